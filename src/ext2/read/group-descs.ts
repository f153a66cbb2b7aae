/**
 * Group descriptors, read one at a time when an inode of that group is first
 * needed (an image with a million groups costs nothing up front, and damage to
 * one descriptor only affects its own group). Handles 32- and 64-byte
 * descriptors and both table placements: one table after the superblock, or
 * meta_bg's one descriptor block at the start of each meta group.
 */
import type { ImageBlocks } from './blocks.ts';
import { corrupt } from './errors.ts';
import { Incompat, RoCompat } from './features.ts';
import { groupHasSuper, SUPERBLOCK_OFFSET, type Geometry } from './superblock.ts';

export interface GroupDesc {
  inodeTable: number;
  flags: number;
  /** Inodes at the end of the group's table that were never initialised (uninit_bg / metadata_csum). */
  itableUnused: number;
}

/** Descriptor flag: the group's inode table was never initialised (reads as zeros). */
export const BG_INODE_UNINIT = 0x1;

export class GroupDescs {
  private readonly cache = new Map<number, GroupDesc>();
  private readonly buf: Uint8Array;
  private readonly checksummed: boolean;

  constructor(private readonly blocks: ImageBlocks, private readonly g: Geometry) {
    this.buf = new Uint8Array(g.descSize);
    this.checksummed = (g.roCompat & (RoCompat.gdtCsum | RoCompat.metadataCsum)) !== 0;
  }

  /** The block holding descriptor block `index` (ext2fs_descriptor_block_loc2). */
  private descBlock(index: number): number {
    const g = this.g;
    const first = Math.floor(SUPERBLOCK_OFFSET / g.blockSize) + 1;
    if (!(g.incompat & Incompat.metaBg) || index < g.firstMetaBg) return first + index;
    const group = index * (g.blockSize / g.descSize);
    // bigalloc with 1 KiB blocks: group 0 starts at block 0, the superblock is in block 1.
    const adjust = index === 0 && g.blockSize === 1024 && g.clusterRatio > 1 ? 1 : 0;
    return g.firstDataBlock + group * g.blocksPerGroup + (groupHasSuper(g, group) ? 1 : 0) + adjust;
  }

  async get(group: number): Promise<GroupDesc> {
    const hit = this.cache.get(group);
    if (hit) return hit;
    const g = this.g;
    const perBlock = g.blockSize / g.descSize;
    const block = this.descBlock(Math.floor(group / perBlock));
    const where = `group descriptor ${group} (block ${block})`;
    this.blocks.check(block, 'descriptor block', where);
    const position = block * g.blockSize + (group % perBlock) * g.descSize;
    await this.blocks.readBytes(this.buf, 0, g.descSize, position, where);
    const v = new DataView(this.buf.buffer, 0, g.descSize);
    const wide = g.descSize >= 64;
    const inodeTable = v.getUint32(0x08, true) + (wide ? v.getUint32(0x28, true) * 2 ** 32 : 0);
    const flags = this.checksummed ? v.getUint16(0x12, true) : 0;
    const itableUnused = this.checksummed ? v.getUint16(0x1c, true) + (wide ? v.getUint16(0x32, true) * 0x10000 : 0) : 0;
    if (inodeTable < this.blocks.minBlock || inodeTable + g.inodeTableBlocks > g.blocksCount) {
      throw corrupt(`inode table at block ${inodeTable} (${g.inodeTableBlocks} blocks) outside the file system of ${g.blocksCount} blocks`, where, { group, inodeTable });
    }
    if (itableUnused > g.inodesPerGroup) throw corrupt(`${itableUnused} unused inodes in a group of ${g.inodesPerGroup}`, where, { group, itableUnused });
    const desc: GroupDesc = { inodeTable, flags, itableUnused };
    if (this.cache.size < 4096) this.cache.set(group, desc);
    return desc;
  }
}
