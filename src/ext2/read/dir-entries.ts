/**
 * Directory entries {inode u32, rec_len u16, name_len u8, file_type u8, name}
 * parsed from one directory block (or one inline-data region) with every
 * length checked against the region. Hash-tree (dir_index) directories need
 * nothing special: their index blocks look like one empty entry spanning the
 * block, so a linear read sees exactly the live entries; so do the checksum
 * tails of metadata_csum.
 */
import { corrupt } from './errors.ts';
import type { Geometry } from './superblock.ts';

export interface RawDirEntry {
  /** Binary string (one char per byte). */
  name: string;
  ino: number;
  fileType: number;
}

/**
 * Appends the live entries of `bytes[start, end)` to `out`. `hasFileType`:
 * byte 7 is the file type (else the high byte of a 16-bit name length).
 * `where(offset)` names an entry's position for errors.
 */
export function parseDirEntries(bytes: Uint8Array, start: number, end: number, g: Geometry, hasFileType: boolean, where: (offset: number) => string, out: RawDirEntry[]): void {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let pos = start;
  while (pos < end) {
    if (pos + 8 > end) throw corrupt(`directory entry header cut off by the end of the block`, where(pos - start));
    const ino = v.getUint32(pos, true);
    let recLen = v.getUint16(pos + 4, true);
    // 64 KiB blocks: a rec_len of 65536 does not fit in 16 bits (ext2fs_get_rec_len).
    if (g.blockSize >= 65536) recLen = recLen === 65535 || recLen === 0 ? g.blockSize : (recLen & 65532) | ((recLen & 3) << 16);
    const nameLen = hasFileType ? bytes[pos + 6]! : v.getUint16(pos + 6, true);
    if (recLen < 12 || recLen % 4 !== 0 || pos + recLen > end) {
      throw corrupt(`directory entry length ${recLen}${pos + recLen > end ? ` past the end of the block (${end - pos} bytes left)` : ' (a multiple of 4, at least 12)'}`, where(pos - start), { recLen });
    }
    if (8 + nameLen > recLen) throw corrupt(`directory entry name of ${nameLen} bytes in a ${recLen}-byte entry`, where(pos - start), { nameLen, recLen });
    if (ino !== 0) {
      if (nameLen === 0) throw corrupt('directory entry with an empty name', where(pos - start));
      if (ino > g.inodesCount) throw corrupt(`directory entry for inode ${ino} (the image has ${g.inodesCount})`, where(pos - start), { ino });
      let name = '';
      for (let i = 0; i < nameLen; i++) name += String.fromCharCode(bytes[pos + 8 + i]!);
      out.push({ name, ino, fileType: hasFileType ? bytes[pos + 7]! : 0 });
    }
    pos += recLen;
  }
}
