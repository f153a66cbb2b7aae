/**
 * Hand-made tar archives for tests that need what no tar program writes:
 * malformed numbers, invalid pax values, unknown entry types, hostile sparse
 * maps. Valid archives in tests come from GNU tar and Python's tarfile.
 */
export interface RawMember {
  name: string | Uint8Array;
  type?: string;
  body?: Uint8Array | string;
  /** Overrides the size field (default: the body's length). */
  size?: number;
  mode?: number; uid?: number; gid?: number; mtime?: number;
  linkname?: string;
  /** pax records for a preceding 'x' header (values as text or bytes). */
  pax?: [string, string | Uint8Array][];
  /** Raw bytes written over the header after it is built (before the checksum). */
  patch?: { offset: number; bytes: Uint8Array | string }[];
  /** Leave the checksum wrong. */
  badChecksum?: boolean;
}

const enc = new TextEncoder();
const bytes = (v: Uint8Array | string): Uint8Array => (typeof v === 'string' ? enc.encode(v) : v);

function octal(n: number, width: number): string {
  return n.toString(8).padStart(width - 1, '0') + '\0';
}

export function header(m: Omit<RawMember, 'pax' | 'body'> & { size: number }): Uint8Array {
  const b = new Uint8Array(512);
  const put = (off: number, v: Uint8Array | string): void => { b.set(bytes(v).subarray(0, 512 - off), off); };
  put(0, bytes(m.name).subarray(0, 100));
  put(100, octal(m.mode ?? 0o644, 8));
  put(108, octal(m.uid ?? 0, 8));
  put(116, octal(m.gid ?? 0, 8));
  put(124, octal(m.size, 12));
  put(136, octal(m.mtime ?? 1_500_000_000, 12));
  put(156, m.type ?? '0');
  put(157, (m.linkname ?? '').slice(0, 100));
  put(257, 'ustar\u000000');
  put(265, 'root');
  put(297, 'root');
  put(329, octal(0, 8));
  put(337, octal(0, 8));
  for (const p of m.patch ?? []) put(p.offset, p.bytes);
  b.fill(0x20, 148, 156);
  if (!m.badChecksum) {
    let sum = 0;
    for (const x of b) sum += x;
    put(148, sum.toString(8).padStart(6, '0') + '\0 ');
  }
  return b;
}

export function paxData(records: [string, string | Uint8Array][]): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const [k, v] of records) {
    const body = new Uint8Array([...enc.encode(` ${k}=`), ...bytes(v), 0x0a]);
    let len = body.length + 1;
    while (String(len).length + body.length !== len) len = String(len).length + body.length;
    parts.push(new Uint8Array([...enc.encode(String(len)), ...body]));
  }
  return concat(parts);
}

function pad(data: Uint8Array): Uint8Array {
  const out = new Uint8Array(Math.ceil(data.length / 512) * 512);
  out.set(data);
  return out;
}

export function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
}

/** An archive of `members`, ended by two zero blocks unless `end` is false. */
export function makeTar(members: RawMember[], end = true): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const m of members) {
    if (m.pax) {
      const data = paxData(m.pax);
      parts.push(header({ name: 'PaxHeader', type: 'x', size: data.length }), pad(data));
    }
    const body = bytes(m.body ?? '');
    parts.push(header({ ...m, size: m.size ?? body.length }), pad(body));
  }
  if (end) parts.push(new Uint8Array(1024));
  return concat(parts);
}
