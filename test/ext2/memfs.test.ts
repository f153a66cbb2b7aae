/** The writer and reader only touch the file system they are given: run both against memfs. */
import { createHash } from 'node:crypto';
import { Volume } from 'memfs';
import { describe, expect, it } from 'vitest';
import type { ImageFs } from '../../src/ext2/image-fs.ts';
import { openImage } from '../../src/ext2/reader.ts';
import { writeImageFile } from '../../src/ext2/write-image.ts';
import { newTree, setNode } from '../../src/tree/tree.ts';
import { allTypesTree, attrs, pseudoBytes } from './fixtures.ts';

describe('injected file system (memfs)', () => {
  it('writes an image from host files in memfs and reads it back', async () => {
    const vol = Volume.fromJSON({ '/host/blob': '' });
    vol.writeFileSync('/host/blob', pseudoBytes(100_000, 9));
    vol.mkdirSync('/out');
    const fs = vol.promises as unknown as ImageFs;
    const tree = allTypesTree();
    setNode(tree, '/from-host', { type: 'file', content: { kind: 'host', path: '/host/blob', size: 100_000 }, ...attrs() }, attrs());
    const s = await writeImageFile({ tree, output: '/out/rootfs.img', fs, options: { blockSize: 1024, epoch: 1_700_000_000 } });
    const bytes = vol.readFileSync('/out/rootfs.img') as Buffer;
    expect(bytes.length).toBe(s.bytes);
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(s.sha256);
    expect(vol.readdirSync('/out')).toEqual(['rootfs.img']);
    const r = await openImage('/out/rootfs.img', fs);
    try {
      expect(Buffer.from(await r.readFile('/from-host')).equals(Buffer.from(pseudoBytes(100_000, 9)))).toBe(true);
      expect((await r.stat('/bin/one')).links).toBe(3);
    } finally {
      await r.close();
    }
  });

  it('gives the same image through memfs as through the real file system', async () => {
    const { mkdtempSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const dir = mkdtempSync(join(tmpdir(), 'mkrootfs-memfs-'));
    try {
      const tree = newTree(attrs());
      setNode(tree, '/a', { type: 'file', content: { kind: 'bytes', data: pseudoBytes(5000, 1) }, ...attrs() }, attrs());
      const vol = new Volume();
      vol.mkdirSync('/o');
      const viaMem = await writeImageFile({ tree, output: '/o/i.img', fs: vol.promises as unknown as ImageFs, options: { epoch: 1 } });
      const viaDisk = await writeImageFile({ tree, output: join(dir, 'i.img'), options: { epoch: 1 } });
      expect(viaMem.sha256).toBe(viaDisk.sha256);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
