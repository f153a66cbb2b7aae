/**
 * The reader against images made by mke2fs and genext2fs: every directory is
 * listed as debugfs lists it (same names, same order, same inodes), every
 * inode has the attributes debugfs reports, and every file and symlink has the
 * bytes of the source tree the tool copied.
 */
import { readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { openImage, type Ext2Reader } from '../../src/ext2/reader.ts';
import { debugfsBatch, debugfsCat, debugfsStats, dq, parseLs } from '../helpers/oracles.ts';
import { tempDir } from './fixtures.ts';
import { DEVICE_NODES, makeSourceTree, makeToolImage, SOURCE_MTIME, TOOL_IMAGES } from './tool-images.ts';

const dir = tempDir('mkrootfs-reader-tools-');
const src = join(dir, 'src');
const host = (binary: string): string => Buffer.from(binary, 'latin1').toString('utf8');

beforeAll(() => makeSourceTree(src, { large: true, manyFiles: 300 }));

/** Compares file `ino` chunk by chunk with `want` (memcmp, not a hash: the sparse files are 70 MB). */
async function sameBytes(r: Ext2Reader, ino: number, want: Buffer): Promise<boolean> {
  let pos = 0;
  for await (const c of r.fileChunksIno(ino)) {
    if (pos + c.length > want.length || Buffer.compare(Buffer.from(c.buffer, c.byteOffset, c.length), want.subarray(pos, pos + c.length)) !== 0) return false;
    pos += c.length;
  }
  return pos === want.length;
}

describe.each(TOOL_IMAGES.map((v) => [`${v.name}, ${v.blockSize}-byte blocks`, v] as const))('%s', (_label, v) => {
  it('lists, stats and reads everything as debugfs and the source tree say', async () => {
    const img = join(dir, `${v.tool}-${v.blockSize}-${v.args.join('').replace(/[^a-z0-9]/gi, '')}${v.htree ? '-htree' : ''}.img`);
    makeToolImage(v, src, img, 32);
    const r = await openImage(img);
    try {
      // Walk the image with the reader, then list the same directories with debugfs (one process).
      const paths: { path: string; ino: number }[] = [];
      const listings: [string, [string, number][]][] = [];
      const dirs = ['/'];
      while (dirs.length) {
        const d = dirs.shift()!;
        const ours = await r.readdir(d);
        listings.push([d, ours.map((e) => [e.name, e.ino])]);
        for (const e of ours) {
          const path = (d === '/' ? '' : d) + '/' + e.name;
          paths.push({ path, ino: e.ino });
          if ((await r.statIno(e.ino)).type === 'dir') dirs.push(path);
        }
      }
      const theirs = debugfsBatch(img, listings.map(([d]) => `ls -p ${dq(d)}`)).map((out) =>
        // ino 0: debugfs also shows the empty space of directory blocks
        parseLs(out).filter((e) => e.ino !== 0 && e.name !== '.' && e.name !== '..').map((e) => [e.name, e.ino]));
      for (const [k, [d, ours]] of listings.entries()) expect(ours, d).toEqual(theirs[k]);
      expect(paths.length).toBeGreaterThan(330);
      const stats = debugfsStats(img, paths.map((p) => p.path));
      const typeName: Record<string, string> = { file: 'regular', dir: 'directory', symlink: 'symlink', char: 'character special', block: 'block special', fifo: 'FIFO', socket: 'socket' };
      for (const [k, { path, ino }] of paths.entries()) {
        const st = await r.statIno(ino);
        const want = stats[k]!;
        expect({ path, type: typeName[st.type], perm: st.perm, uid: st.uid, gid: st.gid, size: st.size, links: st.links, mtime: st.mtime, sectors: st.sectors })
          .toEqual({ path, type: want.type, perm: want.perm, uid: want.uid, gid: want.gid, size: want.size, links: want.links, mtime: want.mtime, sectors: want.blockcount });
        if (want.major !== undefined) expect([st.major, st.minor], path).toEqual([want.major, want.minor]);
        if (path.startsWith('/dev/')) continue; // added by debugfs, not in the source tree
        if (st.type === 'file') {
          const data = readFileSync(join(src, host(path)));
          // mke2fs 1.47.0 -d with inline_data drops a sparse file's trailing hole; debugfs then is the oracle.
          const want = st.size === data.length ? data : debugfsCat(img, path);
          expect(await sameBytes(r, ino, want), path).toBe(true);
        } else if (st.type === 'symlink') {
          expect(Buffer.from(await r.readlinkIno(ino)).equals(readlinkSync(join(src, host(path)), { encoding: 'buffer' })), path).toBe(true);
        }
        if (path !== '/lost+found' && path !== '/dev') expect(st.mtime, path).toBe(SOURCE_MTIME);
      }
      for (const d of DEVICE_NODES) {
        const st = await r.stat(`/dev/${d.name}`);
        expect(st.type).toBe(d.type === 'c' ? 'char' : d.type === 'b' ? 'block' : 'fifo');
        if (d.type !== 'p') expect([st.major, st.minor]).toEqual([d.major, d.minor]);
      }
      // One file through debugfs too (not only the source tree).
      expect(Buffer.from(await r.readFile('/sparse/runs')).equals(debugfsCat(img, '/sparse/runs'))).toBe(true);
    } finally {
      await r.close();
    }
  });
});
