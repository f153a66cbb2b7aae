/**
 * ICMP (RFC 792): echo replies from the gateway and the DNS address, and
 * "port unreachable" for UDP datagrams nobody takes. Echo to outside
 * addresses is not forwarded: Node has no unprivileged ICMP socket (and a
 * browser none at all), so such pings go unanswered and are counted.
 */
import { internetChecksum } from './checksum.ts';
import { readU16, writeU16 } from './ethernet.ts';
import { IP_PAYLOAD, buildIpv4Frame, PROTO_ICMP, type Ipv4Packet } from './ipv4.ts';

export const ICMP_ECHO_REPLY = 0;
export const ICMP_UNREACHABLE = 3;
export const ICMP_ECHO_REQUEST = 8;

/** Is this a well-formed echo request (length and checksum)? */
export function isEchoRequest(frame: Uint8Array, ip: Ipv4Packet): boolean {
  if (ip.payloadLength < 8) return false;
  const o = ip.payloadOffset;
  if (frame[o] !== ICMP_ECHO_REQUEST || frame[o + 1] !== 0) return false;
  return internetChecksum(frame, o, ip.payloadLength) === 0;
}

/** The reply to an echo request: same identifier, sequence and data. */
export function buildEchoReply(frame: Uint8Array, ip: Ipv4Packet, dstMac: Uint8Array, id: number): Uint8Array {
  const out = buildIpv4Frame(dstMac, ip.dst, ip.src, PROTO_ICMP, ip.payloadLength, id);
  out.set(frame.subarray(ip.payloadOffset, ip.payloadOffset + ip.payloadLength), IP_PAYLOAD);
  out[IP_PAYLOAD] = ICMP_ECHO_REPLY;
  writeU16(out, IP_PAYLOAD + 2, 0);
  writeU16(out, IP_PAYLOAD + 2, internetChecksum(out, IP_PAYLOAD, ip.payloadLength));
  return out;
}

/** Destination unreachable (`code` 3 = port) quoting the offending header and 8 bytes. */
export function buildUnreachable(frame: Uint8Array, ip: Ipv4Packet, dstMac: Uint8Array, code: number, id: number): Uint8Array {
  const ipStart = 14;
  const quoted = Math.min(ip.payloadOffset - ipStart + 8, frame.length - ipStart);
  const out = buildIpv4Frame(dstMac, ip.dst, ip.src, PROTO_ICMP, 8 + quoted, id);
  out[IP_PAYLOAD] = ICMP_UNREACHABLE;
  out[IP_PAYLOAD + 1] = code;
  out.set(frame.subarray(ipStart, ipStart + quoted), IP_PAYLOAD + 8);
  writeU16(out, IP_PAYLOAD + 2, internetChecksum(out, IP_PAYLOAD, 8 + quoted));
  return out;
}

export const echoIdent = (frame: Uint8Array, ip: Ipv4Packet): number => readU16(frame, ip.payloadOffset + 4);
