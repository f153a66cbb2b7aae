/**
 * The superblock as the reader needs it (ext2 revision 0 and 1, with the
 * ext4 fields: 64-bit block counts, descriptor size, clusters, meta_bg), and
 * the checks that make every later computation safe: block and inode sizes,
 * group geometry, counts that agree with each other. Whatever passes here
 * bounds the loops and buffers of the rest of the reader.
 */
import { corrupt, unsupported } from './errors.ts';
import { checkIncompat, featureNames, Incompat, RoCompat } from './features.ts';

export const SUPERBLOCK_OFFSET = 1024;
export const SUPERBLOCK_SIZE = 1024;
export const EXT2_MAGIC = 0xef53;

/** Creator OS values that change the inode layout (osd2). */
export const CreatorOs = { linux: 0, hurd: 1 } as const;

export interface Geometry {
  blockSize: number;
  log2BlockSize: number;
  blocksCount: number;
  freeBlocksCount: number;
  inodesCount: number;
  freeInodesCount: number;
  firstDataBlock: number;
  blocksPerGroup: number;
  inodesPerGroup: number;
  /** Blocks per allocation cluster (1 without bigalloc). */
  clusterRatio: number;
  inodeSize: number;
  /** Bytes per group descriptor: 32, or s_desc_size with 64bit. */
  descSize: number;
  groupCount: number;
  /** Blocks of one group's inode table. */
  inodeTableBlocks: number;
  revLevel: number;
  firstMetaBg: number;
  /** sparse_super2's two backup groups. */
  backupBgs: [number, number];
  compat: number;
  incompat: number;
  roCompat: number;
  creatorOs: number;
  state: number;
  /** Last write time (seconds since the epoch). */
  writeTime: number;
  uuid: Uint8Array;
  volumeName: Uint8Array;
  /** Every feature by e2fsprogs name. */
  features: string[];
}

export function hasIncompat(g: Geometry, bit: number): boolean {
  return (g.incompat & bit) !== 0;
}
export function hasRoCompat(g: Geometry, bit: number): boolean {
  return (g.roCompat & bit) !== 0;
}

const SB = 'the superblock';

/** Decodes and checks the 1024 superblock bytes (the magic was checked by the caller). */
export function decodeGeometry(bytes: Uint8Array): Geometry {
  const v = new DataView(bytes.buffer, bytes.byteOffset, SUPERBLOCK_SIZE);
  const u32 = (o: number): number => v.getUint32(o, true);
  const u16 = (o: number): number => v.getUint16(o, true);
  const compat = u32(0x5c);
  const incompat = u32(0x60);
  const roCompat = u32(0x64);
  const revLevel = u32(0x4c);
  if (revLevel > 1) throw unsupported(`revision ${revLevel}`, `the superblock says file system revision ${revLevel}; ext2/3/4 define revisions 0 and 1`, { revLevel });
  checkIncompat(incompat);
  const is64 = (incompat & Incompat.bit64) !== 0;

  const logBlock = u32(0x18);
  if (logBlock > 6) throw corrupt(`block size 2^${10 + logBlock} (s_log_block_size ${logBlock}; at most 64 KiB)`, SB, { logBlockSize: logBlock });
  const blockSize = 1024 << logBlock;

  let clusterRatio = 1;
  if (roCompat & RoCompat.bigalloc) {
    const logCluster = u32(0x1c);
    if (logCluster < logBlock || logCluster - logBlock > 16) throw corrupt(`cluster size 2^${10 + logCluster} for ${blockSize}-byte blocks`, SB, { logClusterSize: logCluster });
    clusterRatio = 2 ** (logCluster - logBlock);
  }

  const inodeSize = revLevel === 0 ? 128 : u16(0x58);
  if (inodeSize < 128 || inodeSize > blockSize || (inodeSize & (inodeSize - 1)) !== 0) {
    throw corrupt(`inode size ${inodeSize} (a power of two from 128 to the block size ${blockSize})`, SB, { inodeSize });
  }

  let descSize = 32;
  if (is64) {
    descSize = u16(0xfe);
    if (descSize < 64 || descSize > 1024 || (descSize & (descSize - 1)) !== 0) throw corrupt(`group descriptor size ${descSize} with 64bit (a power of two from 64 to 1024)`, SB, { descSize });
  }

  const blocksCount = u32(0x04) + (is64 ? u32(0x150) * 2 ** 32 : 0);
  const freeBlocksCount = u32(0x0c) + (is64 ? u32(0x158) * 2 ** 32 : 0);
  const firstDataBlock = u32(0x14);
  const blocksPerGroup = u32(0x20);
  const clustersPerGroup = clusterRatio > 1 ? u32(0x24) : blocksPerGroup;
  const inodesPerGroup = u32(0x28);
  const inodesCount = u32(0x00);

  // 2^53 bytes: beyond any image file and beyond exact arithmetic on JS numbers.
  if (blocksCount * blockSize > Number.MAX_SAFE_INTEGER) throw corrupt(`block count ${blocksCount} (${blocksCount * blockSize} bytes)`, SB, { blocksCount });
  if (firstDataBlock > 1 || firstDataBlock >= blocksCount) throw corrupt(`first data block ${firstDataBlock} of ${blocksCount} blocks`, SB, { firstDataBlock, blocksCount });
  if (clustersPerGroup < 8 || clustersPerGroup > 8 * blockSize) throw corrupt(`${clustersPerGroup} blocks per group (8 to ${8 * blockSize})`, SB, { blocksPerGroup, clustersPerGroup });
  if (blocksPerGroup !== clustersPerGroup * clusterRatio) throw corrupt(`${blocksPerGroup} blocks per group with ${clustersPerGroup} clusters of ${clusterRatio} blocks`, SB, { blocksPerGroup, clustersPerGroup });
  if (inodesPerGroup < 1 || inodesPerGroup > 8 * blockSize) throw corrupt(`${inodesPerGroup} inodes per group (1 to ${8 * blockSize})`, SB, { inodesPerGroup });
  const groupCount = Math.ceil((blocksCount - firstDataBlock) / blocksPerGroup);
  if (groupCount * inodesPerGroup !== inodesCount) {
    throw corrupt(`inode count ${inodesCount} is not ${groupCount} groups of ${inodesPerGroup} inodes`, SB, { inodesCount, groupCount, inodesPerGroup });
  }
  const descPerBlock = blockSize / descSize;
  const descBlocks = Math.ceil(groupCount / descPerBlock);
  const firstMetaBg = u32(0x104);
  if (incompat & Incompat.metaBg) {
    if (firstMetaBg > descBlocks) throw corrupt(`first meta_bg ${firstMetaBg} beyond the ${descBlocks} descriptor blocks`, SB, { firstMetaBg, descBlocks });
  } else if (descBlocks + 2 > blocksCount) {
    throw corrupt(`${descBlocks} group descriptor blocks in ${blocksCount} blocks`, SB, { descBlocks, blocksCount });
  }

  return {
    blockSize, log2BlockSize: 10 + logBlock, blocksCount, freeBlocksCount, inodesCount, freeInodesCount: u32(0x10),
    firstDataBlock, blocksPerGroup, inodesPerGroup, clusterRatio, inodeSize, descSize, groupCount,
    inodeTableBlocks: Math.ceil((inodesPerGroup * inodeSize) / blockSize), revLevel, firstMetaBg,
    backupBgs: [u32(0x24c), u32(0x250)], compat, incompat, roCompat, creatorOs: u32(0x48), state: u16(0x3a),
    writeTime: u32(0x30) + bytes[0x274]! * 2 ** 32,
    uuid: bytes.slice(0x68, 0x78), volumeName: bytes.slice(0x78, 0x88),
    features: featureNames(compat, incompat, roCompat),
  };
}

/** Does group `g` hold a superblock backup (and so descriptors after it)? */
export function groupHasSuper(g: Geometry, group: number): boolean {
  if (group === 0) return true;
  if (g.compat & 0x200) return group === g.backupBgs[0] || group === g.backupBgs[1]; // sparse_super2
  if (!(g.roCompat & RoCompat.sparseSuper)) return true;
  if (group === 1) return true;
  for (const base of [3, 5, 7]) {
    let p = base;
    while (p < group) p *= base;
    if (p === group) return true;
  }
  return false;
}
