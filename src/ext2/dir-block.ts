/**
 * Directory data: a sequence of blocks, each a chain of variable-length
 * entries {inode u32, rec_len u16, name_len u8, file_type u8, name}. Entries
 * never straddle a block; the last entry of a block stretches to its end.
 */
export interface DirEntry {
  /** Binary string (one char per byte). */
  name: string;
  ino: number;
  fileType: number;
}

function recLen(nameLen: number): number {
  return (8 + nameLen + 3) & ~3;
}

/** Number of blocks the entries need (at least one). */
export function dirBlocksNeeded(entries: readonly DirEntry[], blockSize: number): number {
  let blocks = 1;
  let used = 0;
  for (const e of entries) {
    const len = recLen(e.name.length);
    if (used + len > blockSize) { blocks++; used = 0; }
    used += len;
  }
  return blocks;
}

/**
 * Packs entries (in the given order) into `minBlocks` or more blocks; blocks
 * beyond the entries are empty (one unused entry spanning the block), which is
 * how mke2fs pre-sizes lost+found.
 */
export function encodeDir(entries: readonly DirEntry[], blockSize: number, minBlocks = 1): Uint8Array {
  const blocks = Math.max(minBlocks, dirBlocksNeeded(entries, blockSize));
  const out = new Uint8Array(blocks * blockSize);
  const v = new DataView(out.buffer);
  let block = 0;
  let pos = 0;
  let last = -1;
  for (const e of entries) {
    const len = recLen(e.name.length);
    if (pos + len > blockSize) {
      v.setUint16(block * blockSize + last + 4, blockSize - last, true);
      block++;
      pos = 0;
    }
    const o = block * blockSize + pos;
    v.setUint32(o, e.ino, true);
    v.setUint16(o + 4, len, true);
    out[o + 6] = e.name.length;
    out[o + 7] = e.fileType;
    for (let i = 0; i < e.name.length; i++) out[o + 8 + i] = e.name.charCodeAt(i);
    last = pos;
    pos += len;
  }
  if (last >= 0) v.setUint16(block * blockSize + last + 4, blockSize - last, true);
  for (let b = block + (last >= 0 ? 1 : 0); b < blocks; b++) v.setUint16(b * blockSize + 4, blockSize, true);
  return out;
}

/** Parses directory data into its live entries (inode != 0). */
export function decodeDir(data: Uint8Array, blockSize: number): DirEntry[] {
  const v = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const out: DirEntry[] = [];
  for (let b = 0; b + blockSize <= data.length; b += blockSize) {
    let pos = 0;
    while (pos + 8 <= blockSize) {
      const o = b + pos;
      const ino = v.getUint32(o, true);
      const len = v.getUint16(o + 4, true);
      if (len < 8 || pos + len > blockSize) throw new Error(`corrupt directory entry at byte ${o} (rec_len ${len})`);
      const nameLen = data[o + 6]!;
      if (ino !== 0) {
        let name = '';
        for (let i = 0; i < nameLen; i++) name += String.fromCharCode(data[o + 8 + i]!);
        out.push({ name, ino, fileType: data[o + 7]! });
      }
      pos += len;
    }
  }
  return out;
}
