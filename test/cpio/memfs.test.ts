/** The cpio writer only touches the file system it is given: run it against memfs and compare with the real one. */
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Volume } from 'memfs';
import { describe, expect, it } from 'vitest';
import type { ImageFs } from '../../src/ext2/image-fs.ts';
import { writeCpioFile } from '../../src/cpio/write-cpio.ts';
import { setNode } from '../../src/tree/tree.ts';
import { allTypesTree, attrs, pseudoBytes, tempDir } from '../ext2/fixtures.ts';
import { gnuCpioNames } from './cpio-oracle.ts';

const dir = tempDir('mkrootfs-cpio-memfs-');

describe('injected file system (memfs)', () => {
  it('writes the same archive into memfs, from memfs host files, as into the real file system', async () => {
    const blob = pseudoBytes(2_500_000, 9);
    const vol = Volume.fromJSON({});
    vol.mkdirSync('/host');
    vol.writeFileSync('/host/blob', blob);
    vol.mkdirSync('/out');
    const memTree = allTypesTree();
    setNode(memTree, '/from-host', { type: 'file', content: { kind: 'host', path: '/host/blob', size: blob.length }, ...attrs() }, attrs());
    const s = await writeCpioFile({ tree: memTree, output: '/out/initramfs.cpio', fs: vol.promises as unknown as ImageFs, options: { epoch: 1_700_000_000 } });
    const inMemory = vol.readFileSync('/out/initramfs.cpio') as Buffer;
    expect(vol.readdirSync('/out')).toEqual(['initramfs.cpio']);
    expect(createHash('sha256').update(inMemory).digest('hex')).toBe(s.sha256);

    writeFileSync(join(dir, 'blob'), blob);
    const realTree = allTypesTree();
    setNode(realTree, '/from-host', { type: 'file', content: { kind: 'host', path: join(dir, 'blob'), size: blob.length }, ...attrs() }, attrs());
    const real = join(dir, 'initramfs.cpio');
    await writeCpioFile({ tree: realTree, output: real, options: { epoch: 1_700_000_000 } });
    expect(readFileSync(real).equals(inMemory)).toBe(true);
    expect(gnuCpioNames(real)).toContain('from-host');
  });
});
