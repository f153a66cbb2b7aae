/**
 * The internet checksum (RFC 1071): the ones' complement of the ones'
 * complement sum of 16-bit big-endian words. IPv4 headers, ICMP, UDP and TCP
 * all use it; UDP and TCP also sum a pseudo-header of addresses, protocol and
 * length.
 */

/** Adds `len` bytes of `b` from `off` to a running (unfolded) sum. */
export function sumBytes(b: Uint8Array, off: number, len: number, sum = 0): number {
  const end = off + len;
  let i = off;
  for (; i + 1 < end; i += 2) sum += (b[i]! << 8) | b[i + 1]!;
  if (i < end) sum += b[i]! << 8;
  return sum;
}

/** Folds a running sum to 16 bits and complements it. */
export function foldChecksum(sum: number): number {
  while (sum > 0xffff) sum = (sum & 0xffff) + Math.floor(sum / 0x10000);
  return ~sum & 0xffff;
}

/** The checksum of `len` bytes of `b` from `off`. */
export function internetChecksum(b: Uint8Array, off: number, len: number): number {
  return foldChecksum(sumBytes(b, off, len));
}

/** The UDP/TCP pseudo-header sum: source, destination, protocol, segment length. */
export function pseudoHeaderSum(src: number, dst: number, protocol: number, length: number): number {
  return (src >>> 16) + (src & 0xffff) + (dst >>> 16) + (dst & 0xffff) + protocol + length;
}

/** The checksum of a UDP/TCP segment at `off` (its checksum field included as stored). */
export function transportChecksum(b: Uint8Array, off: number, len: number, src: number, dst: number, protocol: number): number {
  return foldChecksum(sumBytes(b, off, len, pseudoHeaderSum(src, dst, protocol, len)));
}
