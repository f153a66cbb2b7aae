/**
 * Block allocation: data blocks are handed out in increasing order, group by
 * group, skipping each group's metadata. Sequential allocation keeps every
 * file contiguous (apart from its indirect blocks) and makes the image
 * writable in one forward pass; the used blocks of each group are then simply
 * a prefix of its data area.
 */
import { groupBlocks, groupFirstDataBlock, groupStart, type Geometry } from './layout.ts';

export interface BlockRange { start: number; count: number }

export interface Allocator {
  /** Up to `max` (>= 1) physically contiguous blocks. */
  take(max: number): BlockRange;
}

/** Counts blocks without placing them (for sizing before the geometry is known). */
export class CountingAllocator implements Allocator {
  used = 0;
  take(max: number): BlockRange {
    const start = this.used;
    this.used += max;
    return { start, count: max };
  }
}

export class SequentialAllocator implements Allocator {
  private group = 0;
  private next: number;

  constructor(private readonly geo: Geometry) {
    this.next = groupFirstDataBlock(geo, 0);
  }

  take(max: number): BlockRange {
    const geo = this.geo;
    while (this.group < geo.groupCount) {
      const end = groupStart(geo, this.group) + groupBlocks(geo, this.group);
      if (this.next < end) {
        const count = Math.min(max, end - this.next);
        const start = this.next;
        this.next += count;
        return { start, count };
      }
      this.group++;
      if (this.group < geo.groupCount) this.next = groupFirstDataBlock(geo, this.group);
    }
    throw new Error('ext2 allocator: out of blocks (sizing bug)');
  }

  /** Blocks used in group `g` after its metadata (a prefix of its data area). */
  usedInGroup(g: number): number {
    const geo = this.geo;
    if (g < this.group) return groupBlocks(this.geo, g) - (groupFirstDataBlock(geo, g) - groupStart(geo, g));
    if (g > this.group) return 0;
    return this.next - groupFirstDataBlock(geo, g);
  }
}
