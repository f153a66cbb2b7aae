/**
 * Builds the metadata blocks of a laid-out image: inode tables, block and
 * inode bitmaps, the group descriptor table and every superblock copy.
 */
import type { SequentialAllocator } from './allocator.ts';
import { setRange } from './bitmap.ts';
import { encodeGroupDescs, type GroupDesc } from './group-desc.ts';
import { encodeInode, type Inode } from './inode.ts';
import {
  blockBitmapBlock, groupBlocks, groupHasSuper, groupOverhead, groupStart, INODE_SIZE, inodeBitmapBlock,
  inodeTableBlock, SUPERBLOCK_OFFSET, type Geometry,
} from './layout.ts';
import type { Piece } from './image-stream.ts';
import { encodeSuperblock, Feature } from './superblock.ts';

/** Encodes inodes (by number) into per-group inode tables; groups without inodes get no buffer. */
export function buildInodeTables(geo: Geometry, inodes: Iterable<{ ino: number; inode: Inode }>): Map<number, Uint8Array> {
  const tables = new Map<number, Uint8Array>();
  for (const { ino, inode } of inodes) {
    const g = Math.floor((ino - 1) / geo.inodesPerGroup);
    let t = tables.get(g);
    if (!t) { t = new Uint8Array(geo.inodeTableBlocks * geo.blockSize); tables.set(g, t); }
    encodeInode(inode, t, ((ino - 1) % geo.inodesPerGroup) * INODE_SIZE);
  }
  return tables;
}

export interface MetadataInput {
  geo: Geometry;
  alloc: SequentialAllocator;
  /** Inodes 1..lastIno are in use (1-10 reserved, 11 lost+found, then the tree). */
  lastIno: number;
  /** Group → number of directories whose inode lives there. */
  dirsPerGroup: Map<number, number>;
  inodeTables: Map<number, Uint8Array>;
  reservedBlocks: number;
  time: number;
  uuid: Uint8Array;
  hashSeed: Uint8Array;
  label: Uint8Array;
}

export interface Metadata {
  pieces: Piece[];
  freeBlocks: number;
  freeInodes: number;
}

export function buildMetadata(m: MetadataInput): Metadata {
  const { geo } = m;
  const bs = geo.blockSize;
  const pieces: Piece[] = [];
  const descs: GroupDesc[] = [];
  let freeBlocks = 0;
  let freeInodes = 0;
  const mem = (phys: number, data: Uint8Array): void => {
    pieces.push({ phys, count: Math.ceil(data.length / bs), src: data, offset: 0, length: data.length, metadata: true });
  };
  for (let g = 0; g < geo.groupCount; g++) {
    const blocks = groupBlocks(geo, g);
    const used = groupOverhead(geo, g) + m.alloc.usedInGroup(g);
    const bmap = new Uint8Array(bs);
    setRange(bmap, 0, used);
    setRange(bmap, blocks, bs * 8); // padding past the end of the last group
    const firstIno = g * geo.inodesPerGroup + 1;
    const usedInodes = Math.max(0, Math.min(geo.inodesPerGroup, m.lastIno - firstIno + 1));
    const imap = new Uint8Array(bs);
    setRange(imap, 0, usedInodes);
    setRange(imap, geo.inodesPerGroup, bs * 8);
    mem(blockBitmapBlock(geo, g), bmap);
    mem(inodeBitmapBlock(geo, g), imap);
    const table = m.inodeTables.get(g);
    if (table) mem(inodeTableBlock(geo, g), table);
    descs.push({
      blockBitmap: blockBitmapBlock(geo, g),
      inodeBitmap: inodeBitmapBlock(geo, g),
      inodeTable: inodeTableBlock(geo, g),
      freeBlocks: blocks - used,
      freeInodes: geo.inodesPerGroup - usedInodes,
      usedDirs: m.dirsPerGroup.get(g) ?? 0,
    });
    freeBlocks += blocks - used;
    freeInodes += geo.inodesPerGroup - usedInodes;
  }
  const gdt = encodeGroupDescs(descs, bs, geo.gdtBlocks);
  for (let g = 0; g < geo.groupCount; g++) {
    if (!groupHasSuper(g)) continue;
    const sb = encodeSuperblock({
      inodesCount: geo.inodesCount,
      blocksCount: geo.blocksCount,
      rBlocksCount: m.reservedBlocks,
      freeBlocksCount: freeBlocks,
      freeInodesCount: freeInodes,
      firstDataBlock: geo.firstDataBlock,
      logBlockSize: Math.log2(bs) - 10,
      blocksPerGroup: geo.blocksPerGroup,
      inodesPerGroup: geo.inodesPerGroup,
      time: m.time,
      state: 1,
      revLevel: 1,
      firstIno: 11,
      inodeSize: INODE_SIZE,
      blockGroupNr: g,
      featureCompat: 0,
      featureIncompat: Feature.incompatFiletype,
      featureRoCompat: Feature.roCompatSparseSuper | Feature.roCompatLargeFile,
      uuid: m.uuid,
      volumeName: m.label,
      hashSeed: m.hashSeed,
      minExtraIsize: 32,
      wantExtraIsize: 32,
      magic: 0xef53,
    });
    const start = groupStart(geo, g);
    // Block 0 of a 2K/4K image holds the boot area and then the primary superblock at byte 1024.
    const head = new Uint8Array(bs);
    head.set(sb, g === 0 && bs > SUPERBLOCK_OFFSET ? SUPERBLOCK_OFFSET : 0);
    mem(start, head);
    mem(start + 1, gdt);
  }
  return { pieces, freeBlocks, freeInodes };
}
