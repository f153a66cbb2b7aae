/**
 * Block-level access to an image for the reader: every read names what it is
 * reading (for the error), is checked against the file system's block count
 * and the image file's size, and counts against the caller's budget. One
 * place owns "is this block number possible?".
 */
import { corrupt, truncated } from './errors.ts';
import type { ImageSource } from './image-source.ts';
import type { Geometry } from './superblock.ts';

/** A count of blocks an operation may still read (see newBudget in file-map.ts). */
export interface Budget {
  left: number;
  /** What ran out, for the error ("the block map of inode 12"). */
  readonly what: string;
  readonly where: string;
  /** Set when the image file, not the inode, set the limit: running out then means the image is truncated. */
  readonly imageBytes?: number;
}

export class ImageBlocks {
  /** Lowest block that can hold file data or metadata other than the boot block and superblock. */
  readonly minBlock: number;
  /** Blocks of the image file (the last one possibly partial). */
  readonly imageBlocks: number;

  constructor(readonly source: ImageSource, readonly g: Geometry) {
    this.minBlock = Math.max(1, g.firstDataBlock);
    this.imageBlocks = Math.ceil(source.size / g.blockSize);
  }

  /** Throws unless `block` can be a data or metadata block of this file system. */
  check(block: number, what: string, where: string): void {
    if (block < this.minBlock || block >= this.g.blocksCount) {
      throw corrupt(`${what} ${block} outside the file system (blocks ${this.minBlock} to ${this.g.blocksCount - 1})`, where, { block });
    }
  }

  /** Reads exactly `length` bytes at byte `position` into `buf[offset…]`. */
  async readBytes(buf: Uint8Array, offset: number, length: number, position: number, where: string): Promise<void> {
    if (position + length > this.source.size) throw truncated(where, position + length, this.source.size);
    const n = await this.source.read(buf, offset, length, position);
    if (n < length) throw truncated(where, position + length, this.source.size);
  }

  /** Reads `count` whole blocks from `block` into `buf[offset…]` (the range must have been checked). */
  async readBlocks(buf: Uint8Array, offset: number, block: number, count: number, where: string): Promise<void> {
    await this.readBytes(buf, offset, count * this.g.blockSize, block * this.g.blockSize, where);
  }

  /** A fresh buffer holding one checked block, charged to `budget`. */
  async readBlock(block: number, what: string, where: string, budget: Budget): Promise<Uint8Array> {
    this.check(block, what, where);
    charge(budget, 1);
    const out = new Uint8Array(this.g.blockSize);
    await this.readBlocks(out, 0, block, 1, where);
    return out;
  }
}

export function charge(budget: Budget, blocks: number): void {
  budget.left -= blocks;
  if (budget.left >= 0) return;
  if (budget.imageBytes !== undefined) throw truncated(budget.where, null, budget.imageBytes);
  throw corrupt(`${budget.what} map more blocks than the inode has allocated`, budget.where);
}
