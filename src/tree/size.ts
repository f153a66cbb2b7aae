/**
 * Byte sizes as people write them: "64M", "512K", "1G", "4096", plus the image
 * size forms "auto" and "+8M" (that many free bytes over the content).
 * Suffixes are binary (K = 1024); "KiB"/"KB" spellings are accepted too.
 */
import { usageError } from '../errors.ts';

export type SizeSpec =
  | { kind: 'auto' }
  | { kind: 'fixed'; bytes: number }
  /** Content plus this many free bytes. */
  | { kind: 'extra'; bytes: number };

const UNITS: Record<string, number> = { '': 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3, T: 1024 ** 4 };

/** Parses "123", "64M", "1.5G" (rounded down to whole bytes). `what` names the setting in errors. */
export function parseBytes(text: string, what = 'size'): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)(?:i?b)?\s*$/i.exec(text);
  if (!m) {
    throw usageError('BAD_SIZE', `${what} ${JSON.stringify(text)} is not a size`,
      'write a number of bytes with an optional K, M, G or T suffix, e.g. 64M', { what, value: text });
  }
  const bytes = Math.floor(Number(m[1]) * UNITS[m[2]!.toUpperCase()]!);
  if (!Number.isSafeInteger(bytes)) throw usageError('BAD_SIZE', `${what} ${JSON.stringify(text)} is too large`, 'use a smaller size', { what, value: text });
  return bytes;
}

/** Parses an image size: "auto", "+8M" or "64M". */
export function parseImageSize(text: string, what = 'size'): SizeSpec {
  const t = text.trim();
  if (t.toLowerCase() === 'auto') return { kind: 'auto' };
  if (t.startsWith('+')) return { kind: 'extra', bytes: parseBytes(t.slice(1), what) };
  const bytes = parseBytes(t, what);
  if (bytes === 0) throw usageError('BAD_SIZE', `${what} must not be zero`, 'use "auto" or a size such as 64M', { what, value: text });
  return { kind: 'fixed', bytes };
}

/** The ImageOptions fields (`size`, `extraFree`) a SizeSpec stands for. */
export function sizeOptions(spec: SizeSpec): { size: number | 'auto'; extraFree?: number } {
  if (spec.kind === 'fixed') return { size: spec.bytes };
  if (spec.kind === 'extra') return { size: 'auto', extraFree: spec.bytes };
  return { size: 'auto' };
}
