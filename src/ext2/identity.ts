/**
 * Content-derived identity of an image: its UUID and directory hash seed.
 *
 * Both come from a SHA-256 over the image's metadata as laid out — geometry,
 * label, every inode (type, mode, owner, size, time, link count, block map or
 * device number or fast symlink target), every directory's entries and slow
 * symlink target — plus the bytes of in-memory file contents. Host files are
 * identified by their size, mtime and which of their blocks are holes, not by
 * hashing their bytes: that would cost a full extra read of the content before
 * the superblock can be written. So two trees that differ only in the bytes of
 * a host file (same sizes, times and sparseness) share a UUID; any other change
 * gives a different one. Same inputs always give the same UUID.
 */
import { createHash, type Hash } from 'node:crypto';

export class IdentityHash {
  private readonly h: Hash = createHash('sha256').update('mkrootfs ext2 identity v1\0');

  add(bytes: Uint8Array): this {
    this.h.update(bytes);
    return this;
  }

  addNumbers(...values: number[]): this {
    this.h.update(values.join(',') + ';');
    return this;
  }

  /** UUID (RFC 4122 layout, version 5 bits) and hash seed. */
  finish(): { uuid: Uint8Array; hashSeed: Uint8Array } {
    const digest = this.h.digest();
    const uuid = new Uint8Array(digest.subarray(0, 16));
    uuid[6] = (uuid[6]! & 0x0f) | 0x50;
    uuid[8] = (uuid[8]! & 0x3f) | 0x80;
    const hashSeed = new Uint8Array(createHash('sha256').update('hash seed\0').update(digest).digest().subarray(0, 16));
    hashSeed[6] = (hashSeed[6]! & 0x0f) | 0x50;
    hashSeed[8] = (hashSeed[8]! & 0x3f) | 0x80;
    return { uuid, hashSeed };
  }
}

export function formatUuid(u: Uint8Array): string {
  const hex = [...u].map((b) => b.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
