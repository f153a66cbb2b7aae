/**
 * POSIX pax extended headers: records "LEN key=value\n", values kept as raw
 * bytes (a name is bytes whatever `hdrcharset` says). Local ('x') records
 * apply to the next member, global ('g') ones to every later member; an empty
 * value cancels a keyword. Typed readers validate the values we use: a value
 * that is present but malformed is an error, never ignored.
 */
import { tarError, type TarWhere } from './tar-error.ts';

export interface PaxRecord { key: string; value: Uint8Array }

const latin1 = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('latin1');

/** The records of one extended header's data, in order (repeated keys kept: GNU sparse 0.0 uses them). */
export function parsePaxRecords(data: Uint8Array, where: TarWhere): PaxRecord[] {
  const out: PaxRecord[] = [];
  let pos = 0;
  while (pos < data.length) {
    if (data[pos] === 0) {
      // Padding NULs after the last record.
      for (let i = pos; i < data.length; i++) if (data[i] !== 0) throw bad(where, pos, 'garbage after the last record');
      break;
    }
    let len = 0;
    let i = pos;
    while (i < data.length && data[i]! >= 0x30 && data[i]! <= 0x39 && i - pos < 12) len = len * 10 + (data[i++]! - 0x30);
    if (i === pos || data[i] !== 0x20) throw bad(where, pos, 'a record does not start with "LENGTH "');
    const end = pos + len;
    if (len < i - pos + 4 || end > data.length) throw bad(where, pos, `record length ${len} does not fit`);
    if (data[end - 1] !== 0x0a) throw bad(where, pos, 'a record does not end with a newline');
    const body = data.subarray(i + 1, end - 1);
    const eq = body.indexOf(0x3d);
    if (eq <= 0) throw bad(where, pos, 'a record has no "key="');
    out.push({ key: latin1(body.subarray(0, eq)), value: body.subarray(eq + 1) });
    pos = end;
  }
  return out;
}

function bad(where: TarWhere, at: number, what: string): Error {
  return tarError('TAR_BAD_PAX', where, `malformed pax extended header (${what}, at byte ${at} of the header)`,
    'the archive is corrupt; recreate it with GNU tar, bsdtar or Python tarfile');
}

/** The keywords in force for one member: global ones overlaid with its local ones. */
export class PaxValues {
  readonly #values = new Map<string, Uint8Array>();
  /** Local records in order (for GNU sparse 0.0's repeated offset/numbytes pairs). */
  readonly records: PaxRecord[];

  constructor(globals: ReadonlyMap<string, Uint8Array>, local: PaxRecord[]) {
    for (const [k, v] of globals) this.#values.set(k, v);
    for (const r of local) {
      if (r.value.length === 0) this.#values.delete(r.key);
      else this.#values.set(r.key, r.value);
    }
    this.records = local;
  }

  has(key: string): boolean { return this.#values.has(key); }

  bytes(key: string): Uint8Array | undefined { return this.#values.get(key); }

  text(key: string): string | undefined {
    const v = this.#values.get(key);
    return v === undefined ? undefined : latin1(v);
  }

  /** A non-negative decimal integer of at most `max`. */
  integer(key: string, max: number, where: TarWhere): number | undefined {
    const s = this.text(key);
    if (s === undefined) return undefined;
    if (!/^\d+$/.test(s) || Number(s) > max) {
      throw tarError('TAR_BAD_PAX_VALUE', where, `pax ${key}=${JSON.stringify(s)} is not an integer from 0 to ${max}`,
        'the archive is corrupt or was made by a broken tool; fix the value or recreate the archive', { key, value: s });
    }
    return Number(s);
  }

  /** A time: optional '-', decimal seconds, optional fraction; whole seconds (floor) within [min, max]. */
  time(key: string, min: number, max: number, where: TarWhere): number | undefined {
    const s = this.text(key);
    if (s === undefined) return undefined;
    const m = /^(-?)(\d+)(?:\.(\d+))?$/.exec(s);
    const whole = m ? Number(m[2]) : NaN;
    const t = m ? (m[1] ? -whole - (m[3] && /[1-9]/.test(m[3]) ? 1 : 0) : whole) : NaN;
    if (!Number.isSafeInteger(t) || t < min || t > max) {
      throw tarError('TAR_BAD_PAX_VALUE', where, `pax ${key}=${JSON.stringify(s)} is not a time in seconds from ${min} to ${max}`,
        'the archive is corrupt or was made by a broken tool; fix the value or recreate the archive', { key, value: s });
    }
    return t;
  }
}

/** Applies a global header's records to the running globals. */
export function applyGlobals(globals: Map<string, Uint8Array>, records: PaxRecord[]): void {
  for (const r of records) {
    if (r.value.length === 0) globals.delete(r.key);
    else globals.set(r.key, r.value);
  }
}
