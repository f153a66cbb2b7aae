/**
 * Pure ext2 geometry: where each block group starts, which groups carry a
 * superblock backup (sparse_super), and where the bitmaps and inode table of
 * each group live. No I/O and no tree knowledge here.
 */
import { usageError } from '../errors.ts';

export const INODE_SIZE = 256;
/** First inode number available to files; 1-10 are reserved by ext2. */
export const FIRST_INO = 11;
export const ROOT_INO = 2;
export const GROUP_DESC_SIZE = 32;
export const SUPERBLOCK_OFFSET = 1024;

export type BlockSize = 1024 | 2048 | 4096;

export interface Geometry {
  blockSize: BlockSize;
  blocksCount: number;
  firstDataBlock: number;
  blocksPerGroup: number;
  groupCount: number;
  inodesPerGroup: number;
  inodesCount: number;
  /** Blocks one group's inode table takes. */
  inodeTableBlocks: number;
  /** Blocks the group descriptor table takes (in every group holding a superblock copy). */
  gdtBlocks: number;
}

/** sparse_super: groups 0, 1 and powers of 3, 5 and 7 hold superblock + descriptor copies. */
export function groupHasSuper(g: number): boolean {
  if (g <= 1) return true;
  for (const base of [3, 5, 7]) {
    let p = base;
    while (p < g) p *= base;
    if (p === g) return true;
  }
  return false;
}

export function groupStart(geo: Geometry, g: number): number {
  return geo.firstDataBlock + g * geo.blocksPerGroup;
}

export function groupBlocks(geo: Geometry, g: number): number {
  return Math.min(geo.blocksPerGroup, geo.blocksCount - groupStart(geo, g));
}

export function blockBitmapBlock(geo: Geometry, g: number): number {
  return groupStart(geo, g) + (groupHasSuper(g) ? 1 + geo.gdtBlocks : 0);
}

export function inodeBitmapBlock(geo: Geometry, g: number): number {
  return blockBitmapBlock(geo, g) + 1;
}

export function inodeTableBlock(geo: Geometry, g: number): number {
  return blockBitmapBlock(geo, g) + 2;
}

/** Blocks of group `g` used by the superblock copy, descriptors, bitmaps and inode table. */
export function groupOverhead(geo: Geometry, g: number): number {
  return (groupHasSuper(g) ? 1 + geo.gdtBlocks : 0) + 2 + geo.inodeTableBlocks;
}

/** First block of group `g` that may hold file data. */
export function groupFirstDataBlock(geo: Geometry, g: number): number {
  return inodeTableBlock(geo, g) + geo.inodeTableBlocks;
}

/** Blocks available for data (directories, files, indirect blocks) in the whole image. */
export function dataCapacity(geo: Geometry): number {
  let total = 0;
  for (let g = 0; g < geo.groupCount; g++) total += groupBlocks(geo, g) - groupOverhead(geo, g);
  return total;
}

/** Physical location (block number, byte offset within it) of inode `ino` (1-based). */
export function inodeLocation(geo: Geometry, ino: number): { block: number; offset: number } {
  const g = Math.floor((ino - 1) / geo.inodesPerGroup);
  const index = (ino - 1) % geo.inodesPerGroup;
  const perBlock = geo.blockSize / INODE_SIZE;
  return { block: inodeTableBlock(geo, g) + Math.floor(index / perBlock), offset: (index % perBlock) * INODE_SIZE };
}

/**
 * Geometry for an image of `blocksCount` blocks holding at least `inodes`
 * inodes, or null when that many blocks cannot hold the metadata. A last group
 * too small for its own metadata is dropped (the image shrinks slightly), as
 * mke2fs does.
 */
export function computeGeometry(blockSize: BlockSize, blocksCount: number, inodes: number): Geometry | null {
  const firstDataBlock = blockSize === 1024 ? 1 : 0;
  const blocksPerGroup = blockSize * 8;
  const perBlock = blockSize / INODE_SIZE;
  let n = blocksCount;
  for (;;) {
    if (n - firstDataBlock < 8) return null;
    const groupCount = Math.ceil((n - firstDataBlock) / blocksPerGroup);
    let ipg = Math.ceil(inodes / groupCount);
    const unit = Math.max(perBlock, 8);
    ipg = Math.max(unit, Math.ceil(ipg / unit) * unit);
    if (ipg > blocksPerGroup) return null;
    const geo: Geometry = {
      blockSize, blocksCount: n, firstDataBlock, blocksPerGroup, groupCount,
      inodesPerGroup: ipg, inodesCount: ipg * groupCount,
      inodeTableBlocks: ipg / perBlock,
      gdtBlocks: Math.ceil((groupCount * GROUP_DESC_SIZE) / blockSize),
    };
    if (geo.inodesCount > 0xffffffff) return null;
    const last = groupCount - 1;
    // The last group needs room for its metadata plus at least one data block.
    if (groupBlocks(geo, last) < groupOverhead(geo, last) + 1) {
      if (groupCount === 1) return null;
      n = groupStart(geo, last);
      continue;
    }
    return geo;
  }
}

export function validateBlockSize(size: number): BlockSize {
  if (size === 1024 || size === 2048 || size === 4096) return size;
  throw usageError('EXT2_BAD_BLOCK_SIZE', `block size ${size} is not supported`, 'use 1024, 2048 or 4096');
}
