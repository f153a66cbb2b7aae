/** ext2 block group descriptors: 32 bytes each, packed into the descriptor table. */
import { GROUP_DESC_SIZE } from './layout.ts';

export interface GroupDesc {
  blockBitmap: number;
  inodeBitmap: number;
  inodeTable: number;
  freeBlocks: number;
  freeInodes: number;
  usedDirs: number;
}

/** Encodes all descriptors into a table of `blocks` blocks of `blockSize` bytes. */
export function encodeGroupDescs(descs: readonly GroupDesc[], blockSize: number, blocks: number): Uint8Array {
  const out = new Uint8Array(blockSize * blocks);
  const v = new DataView(out.buffer);
  descs.forEach((d, i) => {
    const o = i * GROUP_DESC_SIZE;
    v.setUint32(o, d.blockBitmap, true);
    v.setUint32(o + 4, d.inodeBitmap, true);
    v.setUint32(o + 8, d.inodeTable, true);
    v.setUint16(o + 12, d.freeBlocks, true);
    v.setUint16(o + 14, d.freeInodes, true);
    v.setUint16(o + 16, d.usedDirs, true);
  });
  return out;
}

export function decodeGroupDescs(bytes: Uint8Array, count: number): GroupDesc[] {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: GroupDesc[] = [];
  for (let i = 0; i < count; i++) {
    const o = i * GROUP_DESC_SIZE;
    out.push({
      blockBitmap: v.getUint32(o, true),
      inodeBitmap: v.getUint32(o + 4, true),
      inodeTable: v.getUint32(o + 8, true),
      freeBlocks: v.getUint16(o + 12, true),
      freeInodes: v.getUint16(o + 14, true),
      usedDirs: v.getUint16(o + 16, true),
    });
  }
  return out;
}
