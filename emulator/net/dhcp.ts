/**
 * The DHCP server (RFC 2131/2132) of the user network: one guest, one
 * address. DISCOVER gets an OFFER of 10.0.2.15, REQUEST for it (or a renewal
 * from it) an ACK, a REQUEST for any other address a NAK. Replies are built
 * at once, so they reach the guest at a guest-time instant that does not
 * depend on the host.
 */
import { BROADCAST_MAC, DNS_IP, GATEWAY_IP, GUEST_IP, NETMASK, BROADCAST_IP, readU32, writeU32, readU16 } from './ethernet.ts';

export const DHCP_SERVER_PORT = 67;
export const DHCP_CLIENT_PORT = 68;
const BOOTP_FIXED = 236;
const MAGIC = 0x63825363;
export const LEASE_SECONDS = 86400;

export const DHCP_DISCOVER = 1;
export const DHCP_OFFER = 2;
export const DHCP_REQUEST = 3;
export const DHCP_DECLINE = 4;
export const DHCP_ACK = 5;
export const DHCP_NAK = 6;
export const DHCP_RELEASE = 7;
export const DHCP_INFORM = 8;

export interface DhcpRequest {
  type: number;
  xid: number;
  flags: number;
  ciaddr: number;
  chaddr: Uint8Array;
  requestedIp: number | undefined;
  serverId: number | undefined;
}

/** Parses a BOOTREQUEST with DHCP options; undefined when malformed. */
export function parseDhcp(data: Uint8Array): DhcpRequest | undefined {
  if (data.length < BOOTP_FIXED + 4) return undefined;
  if (data[0] !== 1 || data[1] !== 1 || data[2] !== 6) return undefined;
  if (readU32(data, BOOTP_FIXED) !== MAGIC) return undefined;
  let type = 0;
  let requestedIp: number | undefined;
  let serverId: number | undefined;
  let i = BOOTP_FIXED + 4;
  while (i < data.length) {
    const code = data[i]!;
    if (code === 0) { i++; continue; }
    if (code === 255) break;
    if (i + 1 >= data.length) return undefined;
    const len = data[i + 1]!;
    const v = i + 2;
    if (v + len > data.length) return undefined;
    if (code === 53 && len === 1) type = data[v]!;
    else if (code === 50 && len === 4) requestedIp = readU32(data, v);
    else if (code === 54 && len === 4) serverId = readU32(data, v);
    i = v + len;
  }
  if (type < DHCP_DISCOVER || type > DHCP_INFORM) return undefined;
  return { type, xid: readU32(data, 4), flags: readU16(data, 10), ciaddr: readU32(data, 12), chaddr: data.slice(28, 34), requestedIp, serverId };
}

export interface DhcpReply {
  data: Uint8Array;
  /** Ethernet and IP destination of the reply. */
  dstMac: Uint8Array;
  dstIp: number;
}

/** The server's answer to a request, or undefined when none is due (RELEASE, DECLINE, another server's). */
export function answerDhcp(req: DhcpRequest): DhcpReply | undefined {
  let type: number;
  let yiaddr = GUEST_IP;
  switch (req.type) {
    case DHCP_DISCOVER:
      type = DHCP_OFFER;
      break;
    case DHCP_REQUEST: {
      if (req.serverId !== undefined && req.serverId !== GATEWAY_IP) return undefined; // chose another server
      const wanted = req.requestedIp ?? req.ciaddr;
      type = wanted === GUEST_IP ? DHCP_ACK : DHCP_NAK;
      break;
    }
    case DHCP_INFORM:
      type = DHCP_ACK;
      yiaddr = 0;
      break;
    default:
      return undefined;
  }
  const out = new Uint8Array(300);
  out[0] = 2; // BOOTREPLY
  out[1] = 1;
  out[2] = 6;
  writeU32(out, 4, req.xid);
  out[10] = (req.flags >>> 8) & 0xff;
  out[11] = req.flags & 0xff;
  writeU32(out, 12, req.ciaddr);
  if (type !== DHCP_NAK) writeU32(out, 16, yiaddr);
  writeU32(out, 20, GATEWAY_IP); // siaddr
  out.set(req.chaddr, 28);
  writeU32(out, BOOTP_FIXED, MAGIC);
  let i = BOOTP_FIXED + 4;
  const opt = (code: number, bytes: number[]): void => {
    out[i++] = code;
    out[i++] = bytes.length;
    for (const b of bytes) out[i++] = b;
  };
  const ipBytes = (ip: number): number[] => [ip >>> 24, (ip >>> 16) & 0xff, (ip >>> 8) & 0xff, ip & 0xff];
  opt(53, [type]);
  opt(54, ipBytes(GATEWAY_IP));
  if (type !== DHCP_NAK) {
    if (req.type !== DHCP_INFORM) opt(51, ipBytes(LEASE_SECONDS));
    opt(1, ipBytes(NETMASK));
    opt(3, ipBytes(GATEWAY_IP));
    opt(6, ipBytes(DNS_IP));
    opt(28, ipBytes(BROADCAST_IP));
  }
  out[i++] = 255;
  // A client that has its address (renewal, INFORM) gets a unicast; one that has none a broadcast.
  const unicast = req.ciaddr !== 0 && type !== DHCP_NAK;
  return { data: out, dstMac: unicast ? req.chaddr : BROADCAST_MAC, dstIp: unicast ? req.ciaddr : 0xffffffff };
}
