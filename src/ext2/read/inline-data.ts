/**
 * inline_data: a small file's, directory's or symlink's bytes kept in the
 * inode itself — the 60 bytes of i_block, continued in the value of the
 * in-inode extended attribute "system.data". The attribute area is parsed with
 * every offset and length checked against the inode's size.
 */
import { corrupt } from './errors.ts';
import type { ReadInode } from './inode.ts';

const XATTR_MAGIC = 0xea020000;
/** Name index of the "system." prefix. */
const INDEX_SYSTEM = 7;

/** The continuation of inline data (the "system.data" value; empty if there is none). */
export function inlineTail(inode: ReadInode): Uint8Array {
  const raw = inode.raw;
  const where = `inode ${inode.ino} (in-inode extended attributes)`;
  const start = 128 + inode.extraIsize;
  if (raw.length <= 128 || start + 4 > raw.length) return raw.subarray(0, 0);
  const v = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  if (v.getUint32(start, true) !== XATTR_MAGIC) return raw.subarray(0, 0);
  const first = start + 4;
  const end = raw.length;
  let o = first;
  while (o + 4 <= end && v.getUint32(o, true) !== 0) {
    if (o + 16 > end) throw corrupt('extended attribute entry past the end of the inode', where, { offset: o });
    const nameLen = raw[o]!;
    const nameIndex = raw[o + 1]!;
    const valueOffs = v.getUint16(o + 2, true);
    const valueInum = v.getUint32(o + 4, true);
    const valueSize = v.getUint32(o + 8, true);
    if (o + 16 + nameLen > end) throw corrupt('extended attribute name past the end of the inode', where, { offset: o });
    if (nameIndex === INDEX_SYSTEM && nameLen === 4 && raw[o + 16] === 0x64 && raw[o + 17] === 0x61 && raw[o + 18] === 0x74 && raw[o + 19] === 0x61) {
      if (valueInum !== 0) throw corrupt('inline data stored in an extended attribute inode', where);
      if (first + valueOffs + valueSize > end) throw corrupt(`inline data value of ${valueSize} bytes at offset ${valueOffs} past the end of the inode`, where);
      return raw.subarray(first + valueOffs, first + valueOffs + valueSize);
    }
    o += (16 + nameLen + 3) & ~3;
  }
  return raw.subarray(0, 0);
}

/** The inline bytes of a file or symlink: the first `size` bytes of i_block + tail. */
export function inlineContent(inode: ReadInode): Uint8Array {
  const tail = inlineTail(inode);
  if (inode.size > 60 + tail.length) {
    throw corrupt(`inline data of ${inode.size} bytes, but the inode holds ${60 + tail.length}`, `inode ${inode.ino}`, { size: inode.size });
  }
  const out = new Uint8Array(inode.size);
  out.set(inode.blockBytes.subarray(0, Math.min(60, inode.size)));
  if (inode.size > 60) out.set(tail.subarray(0, inode.size - 60), 60);
  return out;
}
