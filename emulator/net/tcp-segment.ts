/**
 * TCP segments (RFC 9293): parse the guest's (header length, checksum, the
 * MSS option) and build ours with a correct checksum. Sequence numbers are
 * unsigned 32-bit; compare them with `seqLt`/`seqLe` (modular arithmetic).
 */
import { transportChecksum } from './checksum.ts';
import { readU16, readU32, writeU16, writeU32 } from './ethernet.ts';
import { IP_PAYLOAD, PROTO_TCP, buildIpv4Frame, type Ipv4Packet } from './ipv4.ts';

export const TCP_HEADER = 20;
export const FIN = 0x01;
export const SYN = 0x02;
export const RST = 0x04;
export const PSH = 0x08;
export const ACK = 0x10;

export interface TcpSegment {
  srcPort: number;
  dstPort: number;
  seq: number;
  ack: number;
  flags: number;
  window: number;
  /** From the MSS option of a SYN, 0 when absent. */
  mss: number;
  /** From the window-scale option of a SYN, -1 when absent. */
  wscale: number;
  dataOffset: number;
  dataLength: number;
}

export const seqLt = (a: number, b: number): boolean => ((a - b) | 0) < 0;
export const seqLe = (a: number, b: number): boolean => ((a - b) | 0) <= 0;
export const seqAdd = (a: number, n: number): number => (a + n) >>> 0;
export const seqDiff = (a: number, b: number): number => (a - b) | 0;

export function parseTcp(frame: Uint8Array, ip: Ipv4Packet): TcpSegment | undefined {
  if (ip.payloadLength < TCP_HEADER) return undefined;
  const o = ip.payloadOffset;
  const hlen = (frame[o + 12]! >> 4) * 4;
  if (hlen < TCP_HEADER || hlen > ip.payloadLength) return undefined;
  if (transportChecksum(frame, o, ip.payloadLength, ip.src, ip.dst, PROTO_TCP) !== 0) return undefined;
  const flags = frame[o + 13]! & 0x3f;
  let mss = 0;
  let wscale = -1;
  if ((flags & SYN) !== 0) {
    let i = o + TCP_HEADER;
    const end = o + hlen;
    while (i < end) {
      const kind = frame[i]!;
      if (kind === 0) break;
      if (kind === 1) { i++; continue; }
      if (i + 1 >= end) break;
      const len = frame[i + 1]!;
      if (len < 2 || i + len > end) break;
      if (kind === 2 && len === 4) mss = readU16(frame, i + 2);
      else if (kind === 3 && len === 3) wscale = Math.min(14, frame[i + 2]!);
      i += len;
    }
  }
  return {
    srcPort: readU16(frame, o), dstPort: readU16(frame, o + 2),
    seq: readU32(frame, o + 4), ack: readU32(frame, o + 8),
    flags, window: readU16(frame, o + 14), mss, wscale,
    dataOffset: o + hlen, dataLength: ip.payloadLength - hlen,
  };
}

export interface TcpOut {
  dstMac: Uint8Array;
  src: number;
  srcPort: number;
  dst: number;
  dstPort: number;
  seq: number;
  ack: number;
  flags: number;
  window: number;
  /** Adds the MSS option (SYNs). */
  mss?: number;
  /** Adds a window-scale option with shift 0 (SYNs): the peer may scale its window, ours stays unscaled. */
  offerWscale?: boolean;
  id: number;
}

/** Builds a segment; `fill(frame, offset)` writes `dataLength` bytes of data. */
export function buildTcp(s: TcpOut, dataLength: number, fill?: (frame: Uint8Array, offset: number) => void): Uint8Array {
  const hlen = TCP_HEADER + (s.mss !== undefined ? 4 : 0) + (s.offerWscale ? 4 : 0);
  const len = hlen + dataLength;
  const frame = buildIpv4Frame(s.dstMac, s.src, s.dst, PROTO_TCP, len, s.id);
  const o = IP_PAYLOAD;
  writeU16(frame, o, s.srcPort);
  writeU16(frame, o + 2, s.dstPort);
  writeU32(frame, o + 4, s.seq);
  writeU32(frame, o + 8, (s.flags & ACK) !== 0 ? s.ack : 0);
  frame[o + 12] = (hlen / 4) << 4;
  frame[o + 13] = s.flags;
  writeU16(frame, o + 14, s.window);
  if (s.mss !== undefined) {
    frame[o + 20] = 2;
    frame[o + 21] = 4;
    writeU16(frame, o + 22, s.mss);
  }
  if (s.offerWscale) {
    const w = o + TCP_HEADER + (s.mss !== undefined ? 4 : 0);
    frame[w] = 1; // NOP
    frame[w + 1] = 3;
    frame[w + 2] = 3;
    frame[w + 3] = 0;
  }
  if (dataLength > 0 && fill) fill(frame, o + hlen);
  writeU16(frame, o + 16, transportChecksum(frame, o, len, s.src, s.dst, PROTO_TCP));
  return frame;
}
