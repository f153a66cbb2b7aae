/** Block and inode bitmaps: one bit per block/inode of a group, least significant bit first. */

export function setBit(map: Uint8Array, bit: number): void {
  map[bit >>> 3]! |= 1 << (bit & 7);
}

export function testBit(map: Uint8Array, bit: number): boolean {
  return (map[bit >>> 3]! & (1 << (bit & 7))) !== 0;
}

/** Sets bits [from, to). */
export function setRange(map: Uint8Array, from: number, to: number): void {
  let b = from;
  while (b < to && (b & 7) !== 0) setBit(map, b++);
  while (b + 8 <= to) { map[b >>> 3] = 0xff; b += 8; }
  while (b < to) setBit(map, b++);
}

/** Counts clear bits among the first `bits` bits. */
export function countClear(map: Uint8Array, bits: number): number {
  let set = 0;
  for (let i = 0; i < bits; i++) if (testBit(map, i)) set++;
  return bits - set;
}
