/**
 * On-disk inodes of any size (128 bytes for revision 0 and genext2fs, 256 by
 * default for mke2fs, up to the block size) decoded for reading: the 32-bit
 * owner halves, 64-bit size, i_blocks in its three encodings (512-byte units,
 * 48-bit with huge_file, file-system blocks with the HUGE_FILE flag), the
 * *_extra time bits when the extra area holds them, and i_block both as words
 * (block pointers, device numbers) and bytes (extent root, inline data).
 */
import { decodeTime } from '../inode.ts';
import { corrupt } from './errors.ts';
import { RoCompat } from './features.ts';
import { CreatorOs, type Geometry } from './superblock.ts';

export const InodeFlag = {
  compressed: 0x4,
  encrypt: 0x800,
  index: 0x1000,
  hugeFile: 0x40000,
  extents: 0x80000,
  inlineData: 0x10000000,
} as const;

export interface ReadInode {
  ino: number;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  /** Modification time, seconds since the epoch. */
  mtime: number;
  linksCount: number;
  dtime: number;
  flags: number;
  /** i_blocks in 512-byte sectors. */
  sectors: number;
  /** The 15 words of i_block. */
  block: Uint32Array;
  /** The 60 bytes of i_block. */
  blockBytes: Uint8Array;
  /** Bytes of the extra area after the first 128 (0 for 128-byte inodes). */
  extraIsize: number;
  /** The whole on-disk inode (in-inode extended attributes live after the extra fields). */
  raw: Uint8Array;
}

/** Decodes the inode in `raw` (exactly one inode, `g.inodeSize` bytes). */
export function decodeInode(raw: Uint8Array, ino: number, g: Geometry): ReadInode {
  const v = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  let extraIsize = 0;
  if (raw.length > 128) {
    extraIsize = v.getUint16(0x80, true);
    if (128 + extraIsize > raw.length || extraIsize % 4 !== 0) {
      throw corrupt(`extra inode size ${extraIsize} in a ${raw.length}-byte inode`, `inode ${ino}`, { ino, extraIsize });
    }
  }
  const linuxLike = g.creatorOs === CreatorOs.linux || g.creatorOs === CreatorOs.hurd;
  const flags = v.getUint32(0x20, true);
  let sectors = v.getUint32(0x1c, true);
  if (g.creatorOs === CreatorOs.linux && g.roCompat & RoCompat.hugeFile) {
    sectors += v.getUint16(0x74, true) * 2 ** 32;
    if (flags & InodeFlag.hugeFile) sectors *= g.blockSize / 512;
  }
  const block = new Uint32Array(15);
  for (let i = 0; i < 15; i++) block[i] = v.getUint32(0x28 + i * 4, true);
  return {
    ino,
    mode: v.getUint16(0, true),
    uid: (v.getUint16(2, true) + (linuxLike ? v.getUint16(0x78, true) * 0x10000 : 0)),
    gid: (v.getUint16(0x18, true) + (linuxLike ? v.getUint16(0x7a, true) * 0x10000 : 0)),
    size: v.getUint32(4, true) + v.getUint32(0x6c, true) * 2 ** 32,
    mtime: decodeTime(v.getUint32(0x10, true), extraIsize >= 12 ? v.getUint32(0x88, true) : 0),
    linksCount: v.getUint16(0x1a, true),
    dtime: v.getUint32(0x14, true),
    flags,
    sectors,
    block,
    blockBytes: raw.subarray(0x28, 0x28 + 60),
    extraIsize,
    raw,
  };
}
