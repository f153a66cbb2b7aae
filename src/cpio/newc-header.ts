/**
 * The newc ("SVR4 portable ASCII, no CRC") cpio header, the format the Linux
 * kernel unpacks as an initramfs (Documentation/driver-api/early-userspace/
 * buffer-format.rst). Each entry is a 110-byte header of the magic "070701"
 * and thirteen 8-digit hexadecimal fields, then the NUL-terminated name
 * padded so that header plus name is a multiple of 4 bytes, then the data
 * padded to a multiple of 4. An entry named TRAILER!!! ends the archive.
 */

export const NEWC_MAGIC = '070701';
export const HEADER_SIZE = 110;
export const TRAILER_NAME = 'TRAILER!!!';
/** Every numeric field is 8 hex digits: 32 bits. */
export const FIELD_MAX = 0xffffffff;

/** File type bits of c_mode (as in <sys/stat.h>). */
export const CpioType = {
  socket: 0o140000,
  symlink: 0o120000,
  file: 0o100000,
  block: 0o060000,
  dir: 0o040000,
  char: 0o020000,
  fifo: 0o010000,
} as const;

export interface NewcFields {
  ino: number;
  /** File type bits | permission bits. */
  mode: number;
  uid: number;
  gid: number;
  nlink: number;
  mtime: number;
  /** Bytes of data following the name. */
  fileSize: number;
  /** The device the file lived on: always 0 here (inode numbers come from the tree, not a host). */
  devMajor: number;
  devMinor: number;
  /** Device nodes: the device they stand for. */
  rdevMajor: number;
  rdevMinor: number;
}

/** Zero bytes after `length` bytes to reach a multiple of 4. */
export function pad4(length: number): number {
  return (4 - (length % 4)) % 4;
}

/** Header + name + NUL + padding, as bytes. `name` is raw bytes (no NUL). */
export function encodeHeader(f: NewcFields, name: Uint8Array): Uint8Array {
  const nameSize = name.length + 1;
  const total = HEADER_SIZE + nameSize + pad4(HEADER_SIZE + nameSize);
  const out = new Uint8Array(total);
  const fields = [f.ino, f.mode, f.uid, f.gid, f.nlink, f.mtime, f.fileSize, f.devMajor, f.devMinor, f.rdevMajor, f.rdevMinor, nameSize, 0 /* c_check: 0 without a CRC */];
  let text = NEWC_MAGIC;
  for (const v of fields) {
    if (!Number.isInteger(v) || v < 0 || v > FIELD_MAX) throw new RangeError(`cpio header field ${v} does not fit 32 bits`);
    text += v.toString(16).padStart(8, '0');
  }
  for (let i = 0; i < HEADER_SIZE; i++) out[i] = text.charCodeAt(i);
  out.set(name, HEADER_SIZE);
  // The NUL and the padding are already zero.
  return out;
}

/** Size of an entry's header and name (padded) for a name of `nameLength` bytes. */
export function headerLength(nameLength: number): number {
  const n = HEADER_SIZE + nameLength + 1;
  return n + pad4(n);
}

/** The closing entry: name TRAILER!!!, nlink 1, every other field 0. */
export function encodeTrailer(): Uint8Array {
  const name = new TextEncoder().encode(TRAILER_NAME);
  return encodeHeader({ ino: 0, mode: 0, uid: 0, gid: 0, nlink: 1, mtime: 0, fileSize: 0, devMajor: 0, devMinor: 0, rdevMajor: 0, rdevMinor: 0 }, name);
}
