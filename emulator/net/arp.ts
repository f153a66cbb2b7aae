/**
 * ARP (RFC 826) for the user network: the gateway and the DNS forwarder answer
 * requests for their addresses with the gateway MAC at once (no timer, so the
 * guest sees the same reply at the same guest instant every run). We also ask
 * for the guest's MAC when we must reach it before it spoke (a forwarded
 * connection right after boot).
 */
import { BROADCAST_MAC, ETHERTYPE_ARP, ETHERTYPE_IPV4, ETH_HEADER, GATEWAY_IP, GATEWAY_MAC, readU16, readU32, writeEthernetHeader, writeU16, writeU32 } from './ethernet.ts';

const ARP_LEN = 28;
export const ARP_REQUEST = 1;
export const ARP_REPLY = 2;

export interface ArpPacket {
  op: number;
  senderMac: Uint8Array;
  senderIp: number;
  targetMac: Uint8Array;
  targetIp: number;
}

/** Parses an ARP packet for IPv4 over ethernet; undefined when malformed. */
export function parseArp(frame: Uint8Array): ArpPacket | undefined {
  if (frame.length < ETH_HEADER + ARP_LEN) return undefined;
  const o = ETH_HEADER;
  if (readU16(frame, o) !== 1 || readU16(frame, o + 2) !== ETHERTYPE_IPV4 || frame[o + 4] !== 6 || frame[o + 5] !== 4) return undefined;
  const op = readU16(frame, o + 6);
  if (op !== ARP_REQUEST && op !== ARP_REPLY) return undefined;
  return {
    op,
    senderMac: frame.slice(o + 8, o + 14),
    senderIp: readU32(frame, o + 14),
    targetMac: frame.slice(o + 18, o + 24),
    targetIp: readU32(frame, o + 24),
  };
}

/** Builds an ARP frame (padded to the ethernet minimum of 60 bytes). */
export function buildArp(op: number, senderMac: Uint8Array, senderIp: number, targetMac: Uint8Array, targetIp: number): Uint8Array {
  const frame = new Uint8Array(60);
  writeEthernetHeader(frame, op === ARP_REQUEST ? BROADCAST_MAC : targetMac, senderMac, ETHERTYPE_ARP);
  const o = ETH_HEADER;
  writeU16(frame, o, 1);
  writeU16(frame, o + 2, ETHERTYPE_IPV4);
  frame[o + 4] = 6;
  frame[o + 5] = 4;
  writeU16(frame, o + 6, op);
  frame.set(senderMac, o + 8);
  writeU32(frame, o + 14, senderIp);
  frame.set(op === ARP_REQUEST ? new Uint8Array(6) : targetMac, o + 18);
  writeU32(frame, o + 24, targetIp);
  return frame;
}

/** The gateway's request for the guest's MAC. */
export function arpWhoHas(targetIp: number): Uint8Array {
  return buildArp(ARP_REQUEST, GATEWAY_MAC, GATEWAY_IP, BROADCAST_MAC, targetIp);
}
