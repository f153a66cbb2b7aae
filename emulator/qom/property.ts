/**
 * Typed properties (QOM's qdev properties): a schema entry per property and
 * the parsing of `prop=value` text into a typed value.
 *   uint32 / uint64  decimal or 0x-hex (uint64 exact up to 2^53)
 *   bool             on/off, true/false, yes/no, 1/0 (QEMU's spellings)
 *   string           any text
 *   size             bytes with optional K/M/G/T suffix (powers of 1024), e.g. 16M
 *   link             the id of another object (resolved when the machine is built)
 */
import { QomError } from './errors.ts';

export type PropertyType = 'uint32' | 'uint64' | 'bool' | 'string' | 'size' | 'link';
export type PropertyValue = number | boolean | string;

export interface PropertyInfo {
  readonly name: string;
  readonly type: PropertyType;
  readonly description: string;
  /** Default value; absent = unset (required if `required`). */
  readonly default?: PropertyValue;
  readonly required?: boolean;
  /** For links: the type of object the link points to (e.g. "drive"). */
  readonly linkType?: string;
  /** For links: the target serves one object only (a drive backs one device). */
  readonly exclusive?: boolean;
  /** Set by the board/machine, not by users (e.g. a slot's address). */
  readonly readOnly?: boolean;
  /** Print integers as hex only (addresses). */
  readonly hex?: boolean;
}

export function parsePropertyValue(info: PropertyInfo, text: string, where: string): PropertyValue {
  const bad = (expected: string): QomError =>
    new QomError('bad-property-value', `${where}: property '${info.name}' expects ${expected}, got '${text}'`, {
      hint: `write ${info.name}=${example(info)}`,
      data: { property: info.name, type: info.type, value: text },
    });
  switch (info.type) {
    case 'uint32':
    case 'uint64': {
      const v = parseInteger(text);
      const max = info.type === 'uint32' ? 0xffffffff : Number.MAX_SAFE_INTEGER;
      if (v === undefined || v > max) throw bad(info.type === 'uint32' ? 'an integer 0..4294967295' : 'a non-negative integer');
      return v;
    }
    case 'size': {
      const v = parseSize(text);
      if (v === undefined) throw bad('a size such as 512, 64K, 16M or 1G');
      return v;
    }
    case 'bool': {
      const t = text.toLowerCase();
      if (['on', 'true', 'yes', '1'].includes(t)) return true;
      if (['off', 'false', 'no', '0'].includes(t)) return false;
      throw bad('on or off');
    }
    case 'string':
      return text;
    case 'link':
      if (text === '') throw bad('the id of an object');
      return text;
  }
}

export function parseInteger(text: string): number | undefined {
  if (/^0x[0-9a-f]+$/i.test(text)) return Number.parseInt(text.slice(2), 16);
  if (/^[0-9]+$/.test(text)) {
    const v = Number(text);
    return Number.isSafeInteger(v) ? v : undefined;
  }
  return undefined;
}

export function parseSize(text: string): number | undefined {
  const m = /^([0-9]+)([KMGT]?)(i?B)?$/i.exec(text);
  if (!m) return undefined;
  const unit = { '': 1, K: 2 ** 10, M: 2 ** 20, G: 2 ** 30, T: 2 ** 40 }[m[2]!.toUpperCase() as '' | 'K' | 'M' | 'G' | 'T'];
  const v = Number(m[1]) * unit;
  return Number.isSafeInteger(v) ? v : undefined;
}

/** Text of a value as `info qtree` prints it. */
export function formatPropertyValue(info: PropertyInfo, value: PropertyValue | undefined): string {
  if (value === undefined) return info.type === 'link' ? '<null>' : '<unset>';
  switch (info.type) {
    case 'uint32':
    case 'uint64':
      if (info.hex) return `0x${(value as number).toString(16).padStart(8, '0')}`;
      return `${value} (0x${(value as number).toString(16)})`;
    case 'size':
      return `${value} (${formatSize(value as number)})`;
    case 'bool':
      return value ? 'on' : 'off';
    default:
      return `"${String(value)}"`;
  }
}

export function formatSize(bytes: number): string {
  for (const [unit, n] of [['T', 2 ** 40], ['G', 2 ** 30], ['M', 2 ** 20], ['K', 2 ** 10]] as const) {
    if (bytes >= n && bytes % n === 0) return `${bytes / n}${unit}`;
  }
  return `${bytes}`;
}

function example(info: PropertyInfo): string {
  switch (info.type) {
    case 'uint32': case 'uint64': return '42';
    case 'size': return '16M';
    case 'bool': return 'on';
    case 'link': return info.linkType === 'drive' ? 'hd0' : 'ID';
    default: return 'TEXT';
  }
}
