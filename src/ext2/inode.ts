/**
 * The 256-byte ext2 inode (revision 1 with 32 bytes of extra fields): mode,
 * 32-bit owner split into low/high halves, 64-bit size, block map, and
 * timestamps with *_extra words so times past 2038 are representable.
 */
import { INODE_SIZE } from './layout.ts';

export const S_IFMT = 0o170000;
export const Mode = {
  fifo: 0o010000,
  char: 0o020000,
  dir: 0o040000,
  block: 0o060000,
  file: 0o100000,
  symlink: 0o120000,
  socket: 0o140000,
} as const;

/** Directory entry file_type codes (incompat filetype feature). */
export const DirFileType = { file: 1, dir: 2, char: 3, block: 4, fifo: 5, socket: 6, symlink: 7 } as const;

export const EXTRA_ISIZE = 32;

export interface Inode {
  mode: number;
  uid: number;
  gid: number;
  size: number;
  /** Seconds since the epoch; atime, ctime, mtime and crtime all equal this. */
  time: number;
  linksCount: number;
  /** 512-byte sectors allocated (data and indirect blocks). */
  sectors: number;
  /** The 15 words of i_block: block pointers, a fast symlink's target, or device numbers. */
  block: Uint32Array;
}

/** Low 32 bits of a time as stored in i_*time (signed seconds). */
function timeLo(t: number): number {
  return t >>> 0;
}

/** The *_extra word: two epoch bits extending the signed 32-bit seconds, nanoseconds (0) above. */
export function timeExtra(t: number): number {
  const signedLo = (t >>> 0) | 0;
  return ((t - signedLo) / 2 ** 32) & 3;
}

export function decodeTime(lo: number, extra: number): number {
  return (lo | 0) + (extra & 3) * 2 ** 32;
}

export function encodeInode(ino: Inode, out: Uint8Array, offset: number): void {
  const v = new DataView(out.buffer, out.byteOffset + offset, INODE_SIZE);
  const t = timeLo(ino.time);
  const x = timeExtra(ino.time);
  v.setUint16(0, ino.mode, true);
  v.setUint16(2, ino.uid & 0xffff, true);
  v.setUint32(4, ino.size >>> 0, true);
  v.setUint32(8, t, true); // atime
  v.setUint32(12, t, true); // ctime
  v.setUint32(16, t, true); // mtime
  v.setUint16(24, ino.gid & 0xffff, true);
  v.setUint16(26, ino.linksCount, true);
  v.setUint32(28, ino.sectors >>> 0, true);
  for (let i = 0; i < 15; i++) v.setUint32(40 + i * 4, ino.block[i]!, true);
  v.setUint32(108, Math.floor(ino.size / 2 ** 32), true); // i_size_high
  v.setUint16(116, Math.floor(ino.sectors / 2 ** 32), true); // l_i_blocks_hi
  v.setUint16(120, ino.uid >>> 16, true); // l_i_uid_high
  v.setUint16(122, ino.gid >>> 16, true); // l_i_gid_high
  v.setUint16(128, EXTRA_ISIZE, true);
  v.setUint32(132, x, true); // ctime_extra
  v.setUint32(136, x, true); // mtime_extra
  v.setUint32(140, x, true); // atime_extra
  v.setUint32(144, t, true); // crtime
  v.setUint32(148, x, true); // crtime_extra
}

export interface DecodedInode extends Inode {
  dtime: number;
  flags: number;
  extraIsize: number;
}

export function decodeInode(bytes: Uint8Array, offset: number): DecodedInode {
  const v = new DataView(bytes.buffer, bytes.byteOffset + offset, INODE_SIZE);
  const block = new Uint32Array(15);
  for (let i = 0; i < 15; i++) block[i] = v.getUint32(40 + i * 4, true);
  const extraIsize = v.getUint16(128, true);
  return {
    mode: v.getUint16(0, true),
    uid: (v.getUint16(2, true) | (v.getUint16(120, true) << 16)) >>> 0,
    gid: (v.getUint16(24, true) | (v.getUint16(122, true) << 16)) >>> 0,
    size: v.getUint32(4, true) + v.getUint32(108, true) * 2 ** 32,
    time: decodeTime(v.getUint32(16, true), extraIsize >= 12 ? v.getUint32(136, true) : 0),
    linksCount: v.getUint16(26, true),
    sectors: v.getUint32(28, true) + v.getUint16(116, true) * 2 ** 32,
    block,
    dtime: v.getUint32(20, true),
    flags: v.getUint32(32, true),
    extraIsize,
  };
}

/** Encodes device numbers into i_block like Linux: old 8:8 form when both fit, else the new 12:20 form in i_block[1]. */
export function encodeDevice(major: number, minor: number, block: Uint32Array): void {
  if (major < 256 && minor < 256) {
    block[0] = (major << 8) | minor;
    block[1] = 0;
  } else {
    block[0] = 0;
    block[1] = ((minor & 0xff) | (major << 8) | ((minor & ~0xff) << 12)) >>> 0;
  }
}

export function decodeDevice(block: Uint32Array): { major: number; minor: number } {
  if (block[0] !== 0) return { major: (block[0]! >>> 8) & 0xff, minor: block[0]! & 0xff };
  const d = block[1]!;
  return { major: (d >>> 8) & 0xfff, minor: (d & 0xff) | ((d >>> 12) & 0xfff00) };
}
