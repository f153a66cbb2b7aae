/**
 * Where an inode's bytes are: its logical blocks as runs of physical blocks
 * or holes, from either block map format (indirect blocks, extent tree).
 * Runs come lazily and in order, so reading the start of a huge file, or
 * skipping a terabyte-long hole, costs only what it touches.
 *
 * Bounds: a walk may read no more blocks (data and map blocks together) than
 * the inode says it has allocated (i_blocks), nor more than the image has, and
 * the size must be addressable by the map. A damaged map that loops or points
 * every entry at one block fails with IMAGE_CORRUPT instead of running on.
 */
import type { Budget, ImageBlocks } from './blocks.ts';
import { corrupt } from './errors.ts';
import { extentRuns } from './extent-tree.ts';
import { indirectRuns, indirectCapacity } from './indirect-map.ts';
import { InodeFlag, type ReadInode } from './inode.ts';

/** `count` logical blocks from `logical`; `physical` 0 is a hole (or unwritten extent): zeros. */
export interface Run {
  logical: number;
  physical: number;
  count: number;
}

export interface MapContext {
  blocks: ImageBlocks;
  ino: number;
  budget: Budget;
}

/** Logical block numbers are 32-bit in both formats. */
const MAX_LOGICAL = 2 ** 32;

export function newBudget(blocks: ImageBlocks, inode: ReadInode): Budget {
  const allocated = Math.ceil(inode.sectors / (blocks.g.blockSize / 512));
  const what = `the block map of inode ${inode.ino} and its blocks`;
  const where = `inode ${inode.ino}`;
  if (allocated <= blocks.imageBlocks) return { left: allocated, what, where };
  return { left: blocks.imageBlocks, what, where, imageBytes: blocks.source.size };
}

/** Logical blocks needed for `size` bytes; throws if the inode's map cannot address them. */
export function blocksForSize(blocks: ImageBlocks, inode: ReadInode, size: number): number {
  const n = Math.ceil(size / blocks.g.blockSize);
  const max = inode.flags & InodeFlag.extents ? MAX_LOGICAL : Math.min(MAX_LOGICAL, indirectCapacity(blocks.g.blockSize));
  if (n > max) throw corrupt(`size ${size} beyond the ${max * blocks.g.blockSize} bytes its block map can address`, `inode ${inode.ino}`, { ino: inode.ino, size });
  return n;
}

/** Runs covering logical blocks [from, to) of `inode`, adjacent runs merged. */
export async function* mapRuns(ctx: MapContext, inode: ReadInode, from: number, to: number): AsyncGenerator<Run> {
  const source = inode.flags & InodeFlag.extents ? extentRuns(ctx, inode.blockBytes, from, to) : indirectRuns(ctx, inode.block, from, to);
  let pending: Run | null = null;
  for await (const r of source) {
    if (pending && pending.logical + pending.count === r.logical
      && ((pending.physical === 0 && r.physical === 0) || (pending.physical !== 0 && pending.physical + pending.count === r.physical))) {
      pending.count += r.count;
      continue;
    }
    if (pending) yield pending;
    pending = { logical: r.logical, physical: r.physical, count: r.count };
  }
  if (pending) yield pending;
}
