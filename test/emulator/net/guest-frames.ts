/**
 * Test-side frame builders and parsers, written apart from emulator/net so
 * the stack's checksums are checked against an independent computation
 * (DataView words, end-around carry per step).
 */
export const GUEST_MAC = [0x52, 0x54, 0x00, 0x12, 0x34, 0x56];
export const BCAST = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff];
export const GW_MAC = [0x52, 0x55, 0x0a, 0x00, 0x02, 0x02];

export const ip = (s: string): number[] => s.split('.').map(Number);

/** RFC 1071 checksum, end-around carry at each addition. */
export function refChecksum(bytes: Uint8Array): number {
  const padded = bytes.length % 2 ? Uint8Array.from([...bytes, 0]) : bytes;
  const dv = new DataView(padded.buffer, padded.byteOffset, padded.length);
  let sum = 0;
  for (let i = 0; i < padded.length; i += 2) {
    sum += dv.getUint16(i);
    if (sum > 0xffff) sum -= 0xffff;
  }
  return ~sum & 0xffff;
}

const u16 = (v: number): number[] => [(v >> 8) & 0xff, v & 0xff];
const u32 = (v: number): number[] => [(v >>> 24) & 0xff, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff];

export function eth(dst: number[], src: number[], type: number, payload: number[]): Uint8Array {
  return Uint8Array.from([...dst, ...src, ...u16(type), ...payload]);
}

export function ipv4(src: number[], dst: number[], proto: number, payload: number[], opts: { flags?: number } = {}): number[] {
  const h = [0x45, 0, ...u16(20 + payload.length), 0, 1, ...u16(opts.flags ?? 0x4000), 64, proto, 0, 0, ...src, ...dst];
  const c = refChecksum(Uint8Array.from(h));
  h[10] = c >> 8;
  h[11] = c & 0xff;
  return [...h, ...payload];
}

function pseudo(src: number[], dst: number[], proto: number, len: number): number[] {
  return [...src, ...dst, 0, proto, ...u16(len)];
}

export function udp(src: number[], sport: number, dst: number[], dport: number, data: number[]): number[] {
  const seg = [...u16(sport), ...u16(dport), ...u16(8 + data.length), 0, 0, ...data];
  const c = refChecksum(Uint8Array.from([...pseudo(src, dst, 17, seg.length), ...seg]));
  seg[6] = c >> 8;
  seg[7] = c & 0xff;
  return ipv4(src, dst, 17, seg);
}

export interface TcpArgs {
  sport: number; dport: number; seq: number; ack: number; flags: number; window?: number; mss?: number; data?: number[];
}
export const F = { FIN: 1, SYN: 2, RST: 4, PSH: 8, ACK: 16 } as const;

export function tcp(src: number[], dst: number[], a: TcpArgs): number[] {
  const opts = a.mss !== undefined ? [2, 4, ...u16(a.mss)] : [];
  const hl = 20 + opts.length;
  const seg = [...u16(a.sport), ...u16(a.dport), ...u32(a.seq), ...u32(a.ack), (hl / 4) << 4, a.flags, ...u16(a.window ?? 65535), 0, 0, 0, 0, ...opts, ...(a.data ?? [])];
  const c = refChecksum(Uint8Array.from([...pseudo(src, dst, 6, seg.length), ...seg]));
  seg[16] = c >> 8;
  seg[17] = c & 0xff;
  return ipv4(src, dst, 6, seg);
}

/** A frame from the stack, decoded and with every checksum verified independently. */
export interface Decoded {
  dstMac: number[];
  type: number;
  frame: Uint8Array;
  ip?: { src: string; dst: string; proto: number; payload: Uint8Array };
  udp?: { sport: number; dport: number; data: Uint8Array };
  tcp?: { sport: number; dport: number; seq: number; ack: number; flags: number; window: number; data: Uint8Array };
  icmp?: { type: number; code: number; body: Uint8Array };
}

export function decode(frame: Uint8Array): Decoded {
  const dv = new DataView(frame.buffer, frame.byteOffset, frame.length);
  const d: Decoded = { dstMac: [...frame.subarray(0, 6)], type: dv.getUint16(12), frame };
  if (d.type !== 0x0800) return d;
  const ihl = (frame[14]! & 0xf) * 4;
  const total = dv.getUint16(16);
  if (refChecksum(frame.subarray(14, 14 + ihl)) !== 0) throw new Error('bad IP header checksum');
  const src = [...frame.subarray(26, 30)];
  const dst = [...frame.subarray(30, 34)];
  const proto = frame[23]!;
  const payload = frame.subarray(14 + ihl, 14 + total);
  d.ip = { src: src.join('.'), dst: dst.join('.'), proto, payload };
  const pdv = new DataView(payload.buffer, payload.byteOffset, payload.length);
  if (proto === 17) {
    if (refChecksum(Uint8Array.from([...pseudo(src, dst, 17, payload.length), ...payload])) !== 0) throw new Error('bad UDP checksum');
    d.udp = { sport: pdv.getUint16(0), dport: pdv.getUint16(2), data: payload.subarray(8, pdv.getUint16(4)) };
  } else if (proto === 6) {
    if (refChecksum(Uint8Array.from([...pseudo(src, dst, 6, payload.length), ...payload])) !== 0) throw new Error('bad TCP checksum');
    const hl = (payload[12]! >> 4) * 4;
    d.tcp = { sport: pdv.getUint16(0), dport: pdv.getUint16(2), seq: pdv.getUint32(4), ack: pdv.getUint32(8), flags: payload[13]!, window: pdv.getUint16(14), data: payload.subarray(hl) };
  } else if (proto === 1) {
    if (refChecksum(payload) !== 0) throw new Error('bad ICMP checksum');
    d.icmp = { type: payload[0]!, code: payload[1]!, body: payload.subarray(4) };
  }
  return d;
}

/** A NIC frontend that collects frames (optionally refusing: a full receive ring). */
export class CollectingFrontend {
  frames: Uint8Array[] = [];
  full = false;
  canReceive(): boolean {
    return !this.full;
  }
  receive(frame: Uint8Array): boolean {
    this.frames.push(frame.slice());
    return true;
  }
  take(): Decoded[] {
    const out = this.frames.map(decode);
    this.frames = [];
    return out;
  }
}
