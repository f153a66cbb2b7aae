/**
 * The ethernet CRC-32 in its big-endian form (Linux's ether_crc, QEMU's
 * net_crc32): polynomial 0x04C11DB7 shifted MSB-first while the data bits
 * enter LSB-first, no final inversion. MACs hash multicast addresses with
 * its top six bits (ethoc's HASH0/HASH1).
 */
export function etherCrc(data: Uint8Array, start: number, length: number): number {
  let crc = 0xffffffff;
  for (let i = start; i < start + length; i++) {
    let b = data[i]!;
    for (let j = 0; j < 8; j++) {
      const carry = (crc >>> 31) ^ (b & 1);
      crc = (crc << 1) >>> 0;
      b >>>= 1;
      if (carry) crc = ((crc ^ 0x04c11db6) | 1) >>> 0;
    }
  }
  return crc >>> 0;
}
