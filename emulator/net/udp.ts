/**
 * UDP (RFC 768): parse the guest's datagrams (length within the IP payload,
 * checksum when present) and build datagrams to the guest with a checksum.
 */
import { transportChecksum } from './checksum.ts';
import { readU16, writeU16 } from './ethernet.ts';
import { IP_PAYLOAD, PROTO_UDP, buildIpv4Frame, type Ipv4Packet } from './ipv4.ts';

export const UDP_HEADER = 8;

export interface UdpDatagram {
  srcPort: number;
  dstPort: number;
  dataOffset: number;
  dataLength: number;
}

export function parseUdp(frame: Uint8Array, ip: Ipv4Packet): UdpDatagram | undefined {
  if (ip.payloadLength < UDP_HEADER) return undefined;
  const o = ip.payloadOffset;
  const len = readU16(frame, o + 4);
  if (len < UDP_HEADER || len > ip.payloadLength) return undefined;
  if (readU16(frame, o + 6) !== 0 && transportChecksum(frame, o, len, ip.src, ip.dst, PROTO_UDP) !== 0) return undefined;
  return { srcPort: readU16(frame, o), dstPort: readU16(frame, o + 2), dataOffset: o + UDP_HEADER, dataLength: len - UDP_HEADER };
}

export function buildUdp(dstMac: Uint8Array, src: number, srcPort: number, dst: number, dstPort: number, data: Uint8Array, id: number): Uint8Array {
  const len = UDP_HEADER + data.length;
  const frame = buildIpv4Frame(dstMac, src, dst, PROTO_UDP, len, id);
  const o = IP_PAYLOAD;
  writeU16(frame, o, srcPort);
  writeU16(frame, o + 2, dstPort);
  writeU16(frame, o + 4, len);
  frame.set(data, o + UDP_HEADER);
  const sum = transportChecksum(frame, o, len, src, dst, PROTO_UDP);
  writeU16(frame, o + 6, sum === 0 ? 0xffff : sum);
  return frame;
}
