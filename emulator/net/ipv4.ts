/**
 * IPv4 (RFC 791) as the user network needs it: validate what the guest sends
 * (version, header length, total length within the frame, header checksum),
 * refuse fragments (no reassembly: they are dropped and counted), and build
 * packets to the guest with a correct header checksum.
 */
import { internetChecksum } from './checksum.ts';
import { ETHERTYPE_IPV4, ETH_HEADER, GATEWAY_MAC, readU16, readU32, writeEthernetHeader, writeU16, writeU32 } from './ethernet.ts';

export const IP_HEADER = 20;
export const PROTO_ICMP = 1;
export const PROTO_TCP = 6;
export const PROTO_UDP = 17;

export interface Ipv4Packet {
  src: number;
  dst: number;
  protocol: number;
  ttl: number;
  /** Offset of the payload in the frame. */
  payloadOffset: number;
  payloadLength: number;
}

export type Ipv4Error = 'short' | 'version' | 'header-length' | 'total-length' | 'checksum' | 'fragment';

/** Validates the IPv4 packet in an ethernet frame; an error name when it must be dropped. */
export function parseIpv4(frame: Uint8Array): Ipv4Packet | Ipv4Error {
  const o = ETH_HEADER;
  if (frame.length < o + IP_HEADER) return 'short';
  const vihl = frame[o]!;
  if (vihl >> 4 !== 4) return 'version';
  const ihl = (vihl & 0xf) * 4;
  if (ihl < IP_HEADER || o + ihl > frame.length) return 'header-length';
  const total = readU16(frame, o + 2);
  if (total < ihl || o + total > frame.length) return 'total-length';
  if (internetChecksum(frame, o, ihl) !== 0) return 'checksum';
  const flagsFrag = readU16(frame, o + 6);
  // More-fragments set, or a non-zero offset: a fragment.
  if ((flagsFrag & 0x2000) !== 0 || (flagsFrag & 0x1fff) !== 0) return 'fragment';
  return {
    src: readU32(frame, o + 12),
    dst: readU32(frame, o + 16),
    protocol: frame[o + 9]!,
    ttl: frame[o + 8]!,
    payloadOffset: o + ihl,
    payloadLength: total - ihl,
  };
}

/**
 * Allocates a frame to the guest carrying an IPv4 packet with `payloadLength`
 * bytes of payload at `IP_PAYLOAD` and fills the ethernet and IP headers. The
 * caller writes the payload (and its own checksum) afterwards.
 */
export function buildIpv4Frame(dstMac: Uint8Array, src: number, dst: number, protocol: number, payloadLength: number, id: number): Uint8Array {
  const total = IP_HEADER + payloadLength;
  const frame = new Uint8Array(Math.max(60, ETH_HEADER + total));
  writeEthernetHeader(frame, dstMac, GATEWAY_MAC, ETHERTYPE_IPV4);
  const o = ETH_HEADER;
  frame[o] = 0x45;
  writeU16(frame, o + 2, total);
  writeU16(frame, o + 4, id & 0xffff);
  writeU16(frame, o + 6, 0x4000); // don't fragment
  frame[o + 8] = 64;
  frame[o + 9] = protocol;
  writeU32(frame, o + 12, src);
  writeU32(frame, o + 16, dst);
  writeU16(frame, o + 10, internetChecksum(frame, o, IP_HEADER));
  return frame;
}

/** Where the payload of a frame from `buildIpv4Frame` starts. */
export const IP_PAYLOAD = ETH_HEADER + IP_HEADER;
