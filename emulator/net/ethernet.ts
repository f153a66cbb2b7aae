/**
 * Ethernet II framing and the addresses of the user-mode network (QEMU's
 * slirp layout): the guest's 10.0.2.0/24, the gateway 10.0.2.2 that is also
 * the host's alias, the DNS forwarder 10.0.2.3 and the DHCP address 10.0.2.15.
 */

export const ETH_HEADER = 14;
export const ETHERTYPE_IPV4 = 0x0800;
export const ETHERTYPE_ARP = 0x0806;
/** Largest frame we build or accept (no VLAN tag, no FCS). */
export const ETH_MAX_FRAME = 1514;

/** IPv4 addresses as unsigned 32-bit numbers. */
export const ip4 = (a: number, b: number, c: number, d: number): number => ((a << 24) | (b << 16) | (c << 8) | d) >>> 0;
export const NETWORK = ip4(10, 0, 2, 0);
export const NETMASK = ip4(255, 255, 255, 0);
export const GATEWAY_IP = ip4(10, 0, 2, 2);
export const DNS_IP = ip4(10, 0, 2, 3);
export const GUEST_IP = ip4(10, 0, 2, 15);
export const BROADCAST_IP = ip4(10, 0, 2, 255);

/** The MAC the gateway and the DNS forwarder answer with (QEMU's 52:55:0a:00:02:02 style). */
export const GATEWAY_MAC = Uint8Array.of(0x52, 0x55, 0x0a, 0x00, 0x02, 0x02);
export const BROADCAST_MAC = Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0xff, 0xff);

export const inNetwork = (ip: number): boolean => ((ip & NETMASK) >>> 0) === NETWORK;

/** Does the user network answer at this address (gateway, DNS)? */
export const isServiceAddress = (ip: number): boolean => ip === GATEWAY_IP || ip === DNS_IP;

export function ipToString(ip: number): string {
  return `${ip >>> 24}.${(ip >>> 16) & 0xff}.${(ip >>> 8) & 0xff}.${ip & 0xff}`;
}

/** Parses a dotted quad; undefined when it is not one. */
export function parseIp(text: string): number | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (!m) return undefined;
  const parts = m.slice(1).map(Number);
  if (parts.some((p) => p > 255)) return undefined;
  return ip4(parts[0]!, parts[1]!, parts[2]!, parts[3]!);
}

export function readU16(b: Uint8Array, off: number): number {
  return (b[off]! << 8) | b[off + 1]!;
}
export function readU32(b: Uint8Array, off: number): number {
  return ((b[off]! << 24) | (b[off + 1]! << 16) | (b[off + 2]! << 8) | b[off + 3]!) >>> 0;
}
export function writeU16(b: Uint8Array, off: number, v: number): void {
  b[off] = (v >>> 8) & 0xff;
  b[off + 1] = v & 0xff;
}
export function writeU32(b: Uint8Array, off: number, v: number): void {
  b[off] = (v >>> 24) & 0xff;
  b[off + 1] = (v >>> 16) & 0xff;
  b[off + 2] = (v >>> 8) & 0xff;
  b[off + 3] = v & 0xff;
}

/** Writes an ethernet header at the start of `frame`. */
export function writeEthernetHeader(frame: Uint8Array, dst: Uint8Array, src: Uint8Array, etherType: number): void {
  frame.set(dst.subarray(0, 6), 0);
  frame.set(src.subarray(0, 6), 6);
  writeU16(frame, 12, etherType);
}

export function macToString(mac: Uint8Array): string {
  return Array.from(mac.subarray(0, 6), (b) => b.toString(16).padStart(2, '0')).join(':');
}
