import { describe, expect, it } from 'vitest';
import { CountingAllocator } from '../../src/ext2/allocator.ts';
import { countBlocks, mapBlocks, maxLogicalBlocks, type LogicalRun } from '../../src/ext2/block-map.ts';
import { decodeDir, dirBlocksNeeded, encodeDir } from '../../src/ext2/dir-block.ts';
import { decodeDevice, decodeInode, encodeDevice, encodeInode, timeExtra } from '../../src/ext2/inode.ts';
import { computeGeometry, dataCapacity, groupHasSuper, inodeLocation } from '../../src/ext2/layout.ts';

describe('layout', () => {
  it('puts superblock copies in groups 0, 1 and powers of 3, 5, 7 (sparse_super)', () => {
    const groups = Array.from({ length: 130 }, (_, g) => g).filter(groupHasSuper);
    expect(groups).toEqual([0, 1, 3, 5, 7, 9, 25, 27, 49, 81, 125]);
  });

  it('computes geometry like mke2fs for 1K and 4K blocks', () => {
    const g1 = computeGeometry(1024, 65536, 16384)!;
    expect(g1).toMatchObject({ firstDataBlock: 1, blocksPerGroup: 8192, groupCount: 8, inodesPerGroup: 2048, inodeTableBlocks: 512, gdtBlocks: 1 });
    const g4 = computeGeometry(4096, 32768 * 3 + 100, 1000)!;
    // A last group of 100 blocks cannot hold its metadata plus data comfortably → still fine (needs overhead + 1).
    expect(g4.firstDataBlock).toBe(0);
    expect(g4.groupCount).toBe(4);
    expect(g4.inodesPerGroup % 16).toBe(0);
    // Inodes fill whole inode-table blocks and never exceed the bitmap.
    expect(computeGeometry(1024, 1000, 1_000_000)).toBeNull();
  });

  it('drops a last group too small for its own metadata', () => {
    const g = computeGeometry(1024, 1 + 8192 + 10, 4000)!;
    expect(g.groupCount).toBe(1);
    expect(g.blocksCount).toBe(8193);
    expect(dataCapacity(g)).toBeGreaterThan(0);
  });

  it('locates inodes in their group inode table', () => {
    const g = computeGeometry(1024, 65536, 16384)!;
    expect(inodeLocation(g, 1)).toEqual({ block: 1 + 1 + 1 + 2, offset: 0 });
    expect(inodeLocation(g, 5)).toEqual({ block: 1 + 1 + 1 + 2 + 1, offset: 0 });
    expect(inodeLocation(g, 2049).block).toBe(8193 + 1 + 1 + 2);
  });
});

describe('block map', () => {
  it('counts indirect blocks at each boundary', () => {
    const count = (logical: number, n: number, bs = 1024): number => {
      const c = new CountingAllocator();
      return mapBlocks([{ logical, count: n }], bs, c).blocks;
    };
    expect(count(0, 12)).toBe(12);
    expect(count(0, 13)).toBe(14);
    expect(count(0, 12 + 256)).toBe(12 + 256 + 1);
    expect(count(0, 12 + 256 + 1)).toBe(12 + 256 + 1 + 3);
    expect(count(12 + 256 + 65536, 1)).toBe(1 + 3);
    expect(maxLogicalBlocks(1024)).toBe(12 + 256 + 65536 + 16777216);
  });

  it('countBlocks agrees with the blocks mapBlocks allocates (holes, direct-only and indirect runs)', () => {
    let seed = 7;
    const rnd = (n: number): number => { seed = (seed * 1103515245 + 12345) >>> 0; return seed % n; };
    const cases: LogicalRun[][] = [[], [{ logical: 0, count: 1 }], [{ logical: 3, count: 2 }, { logical: 11, count: 1 }], [{ logical: 11, count: 2 }], [{ logical: 0, count: 12 }]];
    for (let i = 0; i < 200; i++) {
      const runs: LogicalRun[] = [];
      let l = rnd(20);
      for (let k = rnd(6); k >= 0; k--) {
        const count = 1 + rnd(i % 2 ? 4 : 700);
        runs.push({ logical: l, count });
        l += count + 1 + rnd(i % 3 ? 5 : 70000);
      }
      cases.push(runs);
    }
    for (const bs of [1024, 4096]) {
      for (const runs of cases) expect(countBlocks(runs, bs)).toBe(mapBlocks(runs, bs, new CountingAllocator()).blocks);
    }
  });
});

describe('inode codec', () => {
  it('round-trips 32-bit owners, 64-bit sizes and post-2038 times', () => {
    const buf = new Uint8Array(256);
    const block = new Uint32Array(15);
    block[0] = 77;
    encodeInode({ mode: 0o104755, uid: 0xdeadbeef, gid: 0x10001, size: 5 * 2 ** 32 + 7, time: 2 ** 32 + 5, linksCount: 3, sectors: 16, block }, buf, 0);
    const d = decodeInode(buf, 0);
    expect(d).toMatchObject({ mode: 0o104755, uid: 0xdeadbeef, gid: 0x10001, size: 5 * 2 ** 32 + 7, time: 2 ** 32 + 5, linksCount: 3, sectors: 16, extraIsize: 32 });
    expect(timeExtra(2 ** 31 - 1)).toBe(0);
    expect(timeExtra(2 ** 31)).toBe(1);
  });

  it('encodes devices in the old form when they fit and the new form otherwise', () => {
    const b = new Uint32Array(15);
    encodeDevice(1, 3, b);
    expect([b[0], b[1]]).toEqual([0x103, 0]);
    encodeDevice(259, 0x12345, b);
    expect(b[0]).toBe(0);
    expect(decodeDevice(b)).toEqual({ major: 259, minor: 0x12345 });
    encodeDevice(4095, 0xfffff, b);
    expect(decodeDevice(b)).toEqual({ major: 4095, minor: 0xfffff });
  });
});

describe('directory blocks', () => {
  it('packs entries, stretches the last entry of each block and round-trips', () => {
    const entries = Array.from({ length: 200 }, (_, i) => ({ name: `name-${i}`, ino: 100 + i, fileType: 1 }));
    const data = encodeDir(entries, 1024);
    expect(data.length / 1024).toBe(dirBlocksNeeded(entries, 1024));
    expect(decodeDir(data, 1024)).toEqual(entries);
    const lf = encodeDir(entries.slice(0, 2), 1024, 16);
    expect(lf.length).toBe(16 * 1024);
    expect(decodeDir(lf, 1024)).toEqual(entries.slice(0, 2));
  });
});
