/**
 * The DNS forwarder at 10.0.2.3: a query for an A record is answered from the
 * host's resolver (`HostNet.resolve`); other types get an empty NOERROR
 * answer, names the host cannot resolve NXDOMAIN. Only the query's question
 * is read (one question, no compression there); everything else is checked
 * for length and dropped when malformed.
 */
import { readU16, writeU16 } from './ethernet.ts';

export const DNS_PORT = 53;
const HEADER = 12;
export const TYPE_A = 1;
const CLASS_IN = 1;
export const RCODE_OK = 0;
export const RCODE_SERVFAIL = 2;
export const RCODE_NXDOMAIN = 3;

export interface DnsQuery {
  id: number;
  /** Recursion desired, copied into the answer. */
  rd: boolean;
  name: string;
  qtype: number;
  qclass: number;
  /** The question section as sent (copied into the answer). */
  question: Uint8Array;
}

export function parseDnsQuery(data: Uint8Array): DnsQuery | undefined {
  if (data.length < HEADER + 5) return undefined;
  const flags = readU16(data, 2);
  if ((flags & 0x8000) !== 0 || ((flags >> 11) & 0xf) !== 0) return undefined; // a response, or not QUERY
  if (readU16(data, 4) !== 1) return undefined;
  const labels: string[] = [];
  let i = HEADER;
  for (;;) {
    if (i >= data.length) return undefined;
    const len = data[i]!;
    if (len === 0) { i++; break; }
    if (len > 63 || i + 1 + len > data.length) return undefined;
    let label = '';
    for (let j = i + 1; j < i + 1 + len; j++) {
      const c = data[j]!;
      // Host names only: letters, digits, '-', '_'; nothing that a resolver would read differently.
      if (!((c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x2d || c === 0x5f)) return undefined;
      label += String.fromCharCode(c);
    }
    labels.push(label);
    i += 1 + len;
    if (i - HEADER > 255) return undefined;
  }
  if (i + 4 > data.length || labels.length === 0) return undefined;
  return {
    id: readU16(data, 0), rd: (flags & 0x100) !== 0, name: labels.join('.'),
    qtype: readU16(data, i), qclass: readU16(data, i + 2), question: data.slice(HEADER, i + 4),
  };
}

/** The answer: `addresses` as A records (for an A/IN query), TTL 60 s. */
export function buildDnsAnswer(q: DnsQuery, rcode: number, addresses: number[]): Uint8Array {
  const answers = q.qtype === TYPE_A && q.qclass === CLASS_IN && rcode === RCODE_OK ? addresses.slice(0, 16) : [];
  const out = new Uint8Array(HEADER + q.question.length + answers.length * 16);
  writeU16(out, 0, q.id);
  writeU16(out, 2, 0x8000 | (q.rd ? 0x100 : 0) | 0x80 | (rcode & 0xf));
  writeU16(out, 4, 1);
  writeU16(out, 6, answers.length);
  out.set(q.question, HEADER);
  let i = HEADER + q.question.length;
  for (const a of answers) {
    writeU16(out, i, 0xc000 | HEADER); // the name: a pointer to the question's
    writeU16(out, i + 2, TYPE_A);
    writeU16(out, i + 4, CLASS_IN);
    writeU16(out, i + 6, 0);
    writeU16(out, i + 8, 60);
    writeU16(out, i + 10, 4);
    out[i + 12] = a >>> 24;
    out[i + 13] = (a >>> 16) & 0xff;
    out[i + 14] = (a >>> 8) & 0xff;
    out[i + 15] = a & 0xff;
    i += 16;
  }
  return out;
}
