/**
 * A disk image file as a block device backend (emulator/devices/block-backend.ts
 * `BlockBackend`: byte offsets, synchronous, failures as `false`).
 *
 * Default (copy-on-write): the file is opened read-only and is never modified.
 * Guest writes land in an in-memory sparse overlay of 4 KiB chunks; reads see
 * the overlay first, the file otherwise. Everything the guest wrote is gone
 * when the process exits — a boot check cannot damage the image it checks.
 *
 * `write: true`: the file is opened read-write and guest writes go straight to
 * it; a guest flush (virtio-blk FLUSH) fsyncs it.
 *
 * All calls are synchronous (a virtio request completes inside the guest's
 * QueueNotify write) and report failure as a `false` return, never a throw:
 * the device turns that into an I/O error for the guest.
 */
import { closeSync, fstatSync, fsyncSync, openSync, readSync, writeSync } from 'node:fs';

export const SECTOR_SIZE = 512;
const CHUNK = 4096;

export interface FileDiskOptions {
  /** Write guest changes through to the file (default: copy-on-write overlay). */
  write?: boolean;
}

export interface DiskStats {
  readRequests: number;
  writeRequests: number;
  flushes: number;
  bytesRead: number;
  bytesWritten: number;
  /** Bytes held by the copy-on-write overlay. */
  overlayBytes: number;
}

export class FileDisk {
  readonly path: string;
  /** Size in bytes (whole sectors only; a trailing partial sector is not exposed). */
  readonly byteLength: number;
  readonly sectorCount: number;
  readonly writeThrough: boolean;
  /** The guest may write (to the overlay or the file). Always true here. */
  readonly readOnly = false;
  private fd: number;
  private readonly overlay = new Map<number, Uint8Array>();
  readonly stats: DiskStats = { readRequests: 0, writeRequests: 0, flushes: 0, bytesRead: 0, bytesWritten: 0, overlayBytes: 0 };
  /** Last host error (for diagnostics). */
  lastError: Error | undefined;

  /** Opens the image; throws (before the guest starts) if it cannot be opened. */
  constructor(path: string, options: FileDiskOptions = {}) {
    this.path = path;
    this.writeThrough = options.write === true;
    this.fd = openSync(path, this.writeThrough ? 'r+' : 'r');
    const size = fstatSync(this.fd).size;
    this.sectorCount = Math.floor(size / SECTOR_SIZE);
    this.byteLength = this.sectorCount * SECTOR_SIZE;
  }

  /** Size in bytes, as the BlockBackend interface names it. */
  get size(): number {
    return this.byteLength;
  }

  /** Reads `buf.length` bytes at byte `offset`; fails if the range leaves the disk. */
  read(offset: number, buf: Uint8Array): boolean {
    if (!this.inRange(offset, buf.length) || this.fd < 0) return false;
    this.stats.readRequests++;
    this.stats.bytesRead += buf.length;
    try {
      if (this.writeThrough || this.overlay.size === 0) {
        this.readFile(offset, buf, 0, buf.length);
        return true;
      }
      let done = 0;
      while (done < buf.length) {
        const pos = offset + done;
        const chunk = Math.floor(pos / CHUNK);
        const inChunk = pos - chunk * CHUNK;
        const n = Math.min(CHUNK - inChunk, buf.length - done);
        const data = this.overlay.get(chunk);
        if (data) buf.set(data.subarray(inChunk, inChunk + n), done);
        else {
          // Coalesce the run of chunks not in the overlay into one file read.
          let len = n;
          while (done + len < buf.length && !this.overlay.has(Math.floor((offset + done + len) / CHUNK))) {
            len += Math.min(CHUNK, buf.length - done - len);
          }
          this.readFile(pos, buf, done, len);
          done += len;
          continue;
        }
        done += n;
      }
      return true;
    } catch (err) {
      this.lastError = err as Error;
      return false;
    }
  }

  /** Writes `data` at byte `offset`; fails if the range leaves the disk. */
  write(offset: number, data: Uint8Array): boolean {
    if (!this.inRange(offset, data.length) || this.fd < 0) return false;
    this.stats.writeRequests++;
    this.stats.bytesWritten += data.length;
    try {
      if (this.writeThrough) {
        let done = 0;
        while (done < data.length) done += writeSync(this.fd, data, done, data.length - done, offset + done);
        return true;
      }
      let done = 0;
      while (done < data.length) {
        const pos = offset + done;
        const chunk = Math.floor(pos / CHUNK);
        const inChunk = pos - chunk * CHUNK;
        const n = Math.min(CHUNK - inChunk, data.length - done);
        let copy = this.overlay.get(chunk);
        if (!copy) {
          const base = chunk * CHUNK;
          copy = new Uint8Array(Math.min(CHUNK, this.byteLength - base));
          // A partial-chunk write keeps the rest of the chunk from the file.
          if (n < copy.length) this.readFile(base, copy, 0, copy.length);
          this.overlay.set(chunk, copy);
          this.stats.overlayBytes += copy.length;
        }
        copy.set(data.subarray(done, done + n), inChunk);
        done += n;
      }
      return true;
    } catch (err) {
      this.lastError = err as Error;
      return false;
    }
  }

  /** Makes written data durable (fsync in write mode; nothing to do for the overlay). */
  flush(): boolean {
    if (this.fd < 0) return false;
    this.stats.flushes++;
    if (!this.writeThrough) return true;
    try {
      fsyncSync(this.fd);
      return true;
    } catch (err) {
      this.lastError = err as Error;
      return false;
    }
  }

  /** Number of 4 KiB chunks the overlay holds (0 in write mode). */
  get overlayChunks(): number {
    return this.overlay.size;
  }

  close(): void {
    if (this.fd < 0) return;
    if (this.writeThrough) {
      try { fsyncSync(this.fd); } catch { /* closing anyway */ }
    }
    closeSync(this.fd);
    this.fd = -1;
  }

  private inRange(offset: number, length: number): boolean {
    return Number.isInteger(offset) && offset >= 0 && offset + length <= this.byteLength;
  }

  private readFile(pos: number, buf: Uint8Array, at: number, len: number): void {
    let done = 0;
    while (done < len) {
      const n = readSync(this.fd, buf, at + done, len - done, pos + done);
      if (n === 0) {
        buf.fill(0, at + done, at + len); // file shrank under us: reads as zeros
        return;
      }
      done += n;
    }
  }
}
