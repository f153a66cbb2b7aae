/**
 * One 512-byte tar header block: v7, POSIX ustar (with the 155-byte name
 * prefix) and old GNU ("ustar  "). Numeric fields are octal or, for large and
 * negative values, GNU base-256; a malformed field is an error naming the
 * field, never a silent zero. Names are raw bytes.
 */
import { tarError, type TarWhere } from './tar-error.ts';

export const BLOCK = 512;

export type HeaderFormat = 'v7' | 'ustar' | 'gnu';

export interface RawHeader {
  format: HeaderFormat;
  /** Name bytes (ustar prefix joined with '/'). */
  name: Uint8Array;
  mode: number;
  uid: number;
  gid: number;
  /** The size field: bytes of data that follow the header (for GNU sparse members, the stored part). */
  size: number;
  mtime: number;
  /** The type flag as a one-character string ('\0' for old regular files). */
  type: string;
  linkname: Uint8Array;
  uname: Uint8Array;
  gname: Uint8Array;
  devmajor: number;
  devminor: number;
  /** The whole block, for format-specific fields (GNU sparse maps). */
  block: Uint8Array;
}

/** Bytes up to the first NUL. */
export function cString(field: Uint8Array): Uint8Array {
  const end = field.indexOf(0);
  return end < 0 ? field : field.subarray(0, end);
}

function isBlank(b: number): boolean { return b === 0 || b === 0x20; }

/**
 * A numeric field: octal digits with optional leading blanks and trailing NUL
 * or spaces (all blank reads as 0, as GNU tar and Python do), or base-256 when
 * the first byte has its top bit set (0x80 positive, 0xff negative).
 */
export function parseNumber(field: Uint8Array, what: string, where: TarWhere): number {
  const first = field[0] ?? 0;
  if (first & 0x80) {
    // GNU base-256: the top bit marks it, the next is the sign (two's complement).
    const negative = (first & 0x40) !== 0;
    let v = negative ? ~first & 0x3f : first & 0x3f;
    for (let i = 1; i < field.length; i++) v = v * 256 + (negative ? 0xff - field[i]! : field[i]!);
    if (negative) v = -(v + 1);
    if (!Number.isSafeInteger(v)) throw badField(what, field, where, 'is out of range');
    return v;
  }
  let i = 0;
  while (i < field.length && isBlank(field[i]!)) i++;
  let v = 0;
  let digits = 0;
  while (i < field.length && field[i]! >= 0x30 && field[i]! <= 0x37) {
    v = v * 8 + (field[i]! - 0x30);
    i++;
    digits++;
  }
  for (; i < field.length; i++) if (!isBlank(field[i]!)) throw badField(what, field, where);
  if (digits === 0) return 0;
  return v;
}

function badField(what: string, field: Uint8Array, where: TarWhere, problem = 'is not a number'): Error {
  const shown = Buffer.from(cString(field)).toString('latin1');
  return tarError('TAR_BAD_HEADER', where, `header field ${what} ${JSON.stringify(shown)} ${problem}`,
    'the archive is corrupt or was not written by a tar program; recreate it', { field: what, value: shown });
}

/** True when all 512 bytes are zero (an end-of-archive block). */
export function isZeroBlock(block: Uint8Array): boolean {
  for (let i = 0; i < BLOCK; i++) if (block[i] !== 0) return false;
  return true;
}

/** Header checksum: the byte sum with the checksum field read as spaces, unsigned or (old tars) signed. */
function checksumOk(block: Uint8Array, where: TarWhere): boolean {
  let stored: number;
  try {
    stored = parseNumber(block.subarray(148, 156), 'chksum', where);
  } catch {
    return false;
  }
  let unsigned = 0;
  let signed = 0;
  for (let i = 0; i < BLOCK; i++) {
    const b = i >= 148 && i < 156 ? 0x20 : block[i]!;
    unsigned += b;
    signed += b >= 0x80 ? b - 256 : b;
  }
  return stored === unsigned || stored === signed;
}

/** Parses a header block that is not all zeros. `first` says whether it is the archive's first block. */
export function parseHeader(block: Uint8Array, where: TarWhere, first: boolean): RawHeader {
  if (!checksumOk(block, where)) {
    throw first
      ? tarError('TAR_NOT_AN_ARCHIVE', where, 'is not a tar archive (no valid header at its start)',
        'layers are directories or tar archives (.tar, .tar.gz, .tar.xz, .tar.zst); check the file', {})
      : tarError('TAR_BAD_HEADER', where, 'header checksum mismatch: the archive is corrupt', 'recreate the archive', {});
  }
  const magic = Buffer.from(block.subarray(257, 265)).toString('latin1');
  const format: HeaderFormat = magic === 'ustar\u000000' ? 'ustar' : magic === 'ustar  \u0000' ? 'gnu' : magic.startsWith('ustar\u0000') ? 'ustar' : 'v7';
  let name = cString(block.subarray(0, 100));
  if (format === 'ustar') {
    const prefix = cString(block.subarray(345, 500));
    if (prefix.length > 0) {
      const joined = new Uint8Array(prefix.length + 1 + name.length);
      joined.set(prefix, 0);
      joined[prefix.length] = 0x2f;
      joined.set(name, prefix.length + 1);
      name = joined;
    }
  }
  const num = (off: number, len: number, what: string): number => parseNumber(block.subarray(off, off + len), what, where);
  const hasOwnerNames = format !== 'v7';
  const size = num(124, 12, 'size');
  if (size < 0) throw badField('size', block.subarray(124, 136), where, 'is negative');
  return {
    format,
    name,
    mode: num(100, 8, 'mode'),
    uid: num(108, 8, 'uid'),
    gid: num(116, 8, 'gid'),
    size,
    mtime: num(136, 12, 'mtime'),
    type: String.fromCharCode(block[156]!),
    linkname: cString(block.subarray(157, 257)),
    uname: hasOwnerNames ? cString(block.subarray(265, 297)) : new Uint8Array(0),
    gname: hasOwnerNames ? cString(block.subarray(297, 329)) : new Uint8Array(0),
    devmajor: hasOwnerNames ? num(329, 8, 'devmajor') : 0,
    devminor: hasOwnerNames ? num(337, 8, 'devminor') : 0,
    block,
  };
}
