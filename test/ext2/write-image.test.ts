import { join } from 'node:path';
import { existsSync, statSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { writeImageFile } from '../../src/ext2/write-image.ts';
import { openImage } from '../../src/ext2/reader.ts';
import { newTree, setNode, walk } from '../../src/tree/tree.ts';
import { debugfsStat, dumpe2fsHeader, e2fsckClean } from '../helpers/oracles.ts';
import { allTypesTree, attrs, T0, tempDir, pseudoBytes } from './fixtures.ts';
import { expectImageMatchesTree, expectedContent, sha } from './tree-oracle.ts';

const dir = tempDir();

describe.each([1024, 2048, 4096] as const)('writeImageFile, %i-byte blocks', (blockSize) => {
  it('writes every inode type so that e2fsck is clean and debugfs reads the tree back', async () => {
    const tree = allTypesTree();
    const output = join(dir, `all-${blockSize}.img`);
    const s = await writeImageFile({ tree, output, options: { blockSize, label: 'rootfs' } });
    const fsck = e2fsckClean(output);
    expect(fsck).toMatch(/\d+\/\d+ files/);
    expectImageMatchesTree(output, tree);
    expect(s.blockSize).toBe(blockSize);
    expect(statSync(output).size).toBe(s.bytes);
    expect(s.bytes).toBe(s.blocks * blockSize);
    const h = dumpe2fsHeader(output);
    expect(h.get('Filesystem features')).toBe('filetype sparse_super large_file');
    expect(h.get('Filesystem volume name')).toBe('rootfs');
    expect(h.get('Inode size')).toBe('256');
    expect(Number(h.get('Block count'))).toBe(s.blocks);
    expect(Number(h.get('Free blocks'))).toBe(s.freeBlocks);
    expect(Number(h.get('Free inodes'))).toBe(s.freeInodes);
    expect(Number(h.get('Inode count'))).toBe(s.inodes);
    expect(Number(h.get('Reserved block count'))).toBe(Math.floor(s.blocks * 0.05));
    expect(h.get('Filesystem UUID')).toBe(s.uuid);
    // Superblock time: the newest mtime in the tree when no epoch is given.
    expect(h.get('Filesystem created')).toBe(new Date(4_102_444_800 * 1000).toUTCString().replace(/^(\w+), (\d+) (\w+) (\d+) ([\d:]+) GMT$/, (_m, d, dd, mo, y, t) => `${d} ${mo} ${String(Number(dd)).padStart(2, ' ')} ${t} ${y}`));
  });

  it('makes all-zero blocks holes: no data and no indirect blocks for them', async () => {
    const tree = allTypesTree();
    const output = join(dir, `holes-${blockSize}.img`);
    await writeImageFile({ tree, output, options: { blockSize } });
    e2fsckClean(output);
    expect(debugfsStat(output, '/sparse').blockcount).toBe(0);
    const holey = debugfsStat(output, '/holey');
    // Two data blocks; the second lies past the direct blocks for 1K and 2K blocks and needs an indirect block.
    const second = Math.floor((2 * 65536 + 5) / blockSize);
    const expected = 2 + (second >= 12 ? 1 : 0);
    expect(holey.blockcount).toBe(expected * (blockSize / 512));
  });

  it('reads back through its own reader', async () => {
    const tree = allTypesTree();
    const output = join(dir, `reader-${blockSize}.img`);
    await writeImageFile({ tree, output, options: { blockSize } });
    e2fsckClean(output);
    const r = await openImage(output);
    try {
      const paths: [string, ReturnType<typeof expectedContent> | null][] = [];
      walk(tree, (p, n) => { if (n.type === 'file') paths.push([p, expectedContent(n)]); });
      for (const [p, data] of paths) expect(sha(await r.readFile(p)), p).toBe(sha(data!));
      expect(new TextDecoder().decode(await r.readlink('/bin/sh'))).toBe('busybox');
      expect(new TextDecoder().decode(await r.readlink('/bin/slow'))).toBe('/' + 'long-target/'.repeat(10));
      expect(await r.stat('/dev/big')).toMatchObject({ type: 'char', major: 4095, minor: 0xfffff, perm: 0o600 });
      expect(await r.stat('/home/user/big-ids')).toMatchObject({ uid: 0x12345678, gid: 0xfffffffe });
      expect((await r.stat('/home/user/late')).mtime).toBe(4_102_444_800);
      const names = (await r.readdir('/')).map((e) => e.name);
      expect(names).toEqual([...names].sort());
      expect(names).toContain('lost+found');
    } finally {
      await r.close();
    }
  });
});

describe('large and deep files', () => {
  it('maps files across direct, single, double and triple indirect boundaries (1K blocks)', async () => {
    const bs = 1024;
    const p = bs / 4;
    const tree = newTree(attrs());
    // Blocks with data at every boundary of the block map, holes in between.
    const marks = [0, 11, 12, 12 + p - 1, 12 + p, 12 + p + p * p - 1, 12 + p + p * p, 12 + p + p * p + p * p + 3];
    const size = (marks[marks.length - 1]! + 1) * bs;
    const data = new Uint8Array(size);
    marks.forEach((b, i) => data.set(pseudoBytes(bs, i + 1), b * bs));
    setNode(tree, '/deep', { type: 'file', content: { kind: 'bytes', data }, ...attrs({ perm: 0o644 }) }, attrs());
    // And a dense file crossing into double indirect.
    setNode(tree, '/dense', { type: 'file', content: { kind: 'bytes', data: pseudoBytes((12 + p + 3) * bs + 17, 99) }, ...attrs({ perm: 0o644 }) }, attrs());
    const output = join(dir, 'deep.img');
    await writeImageFile({ tree, output, options: { blockSize: bs } });
    e2fsckClean(output);
    expectImageMatchesTree(output, tree);
    // data blocks + 1 single + (1 dind + 2 ind) + (1 tind + 2 dind + 2 ind) for the marks
    expect(debugfsStat(output, '/deep').blockcount).toBe((marks.length + 1 + 3 + 5) * 2);
  });

  it('stores a sparse file over 4 GiB (large_file) without allocating its holes', async () => {
    const tree = newTree(attrs());
    const size = 5 * 2 ** 30 + 12345;
    setNode(tree, '/huge', { type: 'file', content: { kind: 'zero', size }, ...attrs({ perm: 0o644 }) }, attrs());
    for (const blockSize of [1024, 4096] as const) {
      const output = join(dir, `huge-${blockSize}.img`);
      const s = await writeImageFile({ tree, output, options: { blockSize } });
      e2fsckClean(output);
      const st = debugfsStat(output, '/huge');
      expect(st.size).toBe(size);
      expect(st.blockcount).toBe(0);
      expect(s.bytes).toBeLessThan(8 << 20);
    }
  });

  it('writes a directory with thousands of entries (indirect directory blocks)', async () => {
    const tree = newTree(attrs());
    for (let i = 0; i < 3000; i++) {
      setNode(tree, `/many/entry-with-a-longish-name-${String(i).padStart(5, '0')}`, { type: 'fifo', ...attrs({ perm: 0o600 }) }, attrs());
    }
    const output = join(dir, 'many.img');
    await writeImageFile({ tree, output, options: { blockSize: 1024 } });
    e2fsckClean(output);
    const st = debugfsStat(output, '/many');
    expect(st.size).toBeGreaterThan(12 * 1024);
    expectImageMatchesTree(output, tree, { contents: false });
  });
});

describe('times', () => {
  it('clamps mtimes to the epoch and uses it for the superblock', async () => {
    const tree = allTypesTree();
    const epoch = T0 + 10;
    const output = join(dir, 'epoch.img');
    await writeImageFile({ tree, output, options: { epoch } });
    e2fsckClean(output);
    expectImageMatchesTree(output, tree, { epoch, contents: false });
    expect(debugfsStat(output, '/home/user/late').mtime).toBe(epoch);
    expect(debugfsStat(output, '/lost+found').mtime).toBe(epoch);
    expect(dumpe2fsHeader(output).get('Last write time')).toBe(dumpe2fsHeader(output).get('Filesystem created'));
  });

  it('leaves no temp file beside the output', async () => {
    const output = join(dir, 'clean.img');
    await writeImageFile({ tree: allTypesTree(), output });
    e2fsckClean(output);
    const { readdirSync } = await import('node:fs');
    expect(readdirSync(dir).filter((n) => n.includes('clean.img'))).toEqual(['clean.img']);
    expect(existsSync(output)).toBe(true);
  });
});

describe('lost+found and tiny trees', () => {
  it('keeps a lost+found from the tree (with contents) and pre-sizes it', async () => {
    const tree = newTree(attrs());
    setNode(tree, '/lost+found/stray', { type: 'file', content: { kind: 'bytes', data: new Uint8Array([1, 2, 3]) }, ...attrs() }, attrs({ perm: 0o700 }));
    setNode(tree, '/lost+found/sub/x', { type: 'fifo', ...attrs() }, attrs());
    for (const blockSize of [1024, 4096] as const) {
      const output = join(dir, `lf-${blockSize}.img`);
      await writeImageFile({ tree, output, options: { blockSize } });
      e2fsckClean(output);
      expectImageMatchesTree(output, tree);
      const st = debugfsStat(output, '/lost+found');
      expect(st.ino).toBe(11);
      expect(st.size).toBe(16384);
    }
  });

  it('writes an empty tree into a 64 KiB image', async () => {
    const output = join(dir, 'empty.img');
    const s = await writeImageFile({ tree: newTree(attrs()), output, options: { blockSize: 1024, size: 64 << 10 } });
    e2fsckClean(output);
    expect(s.bytes).toBe(65536);
    expect(debugfsStat(output, '/lost+found')).toMatchObject({ ino: 11, perm: 0o700, size: 16384 });
  });
});
