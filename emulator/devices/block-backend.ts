/**
 * The host side of a disk. Synchronous: a virtio-blk request completes inside
 * the guest's QueueNotify write. `read`/`write`/`flush` may return `false`
 * (or throw) to report a host I/O error; the device turns that into
 * VIRTIO_BLK_S_IOERR for the guest. Offsets and lengths passed in are always
 * inside `size` (the device checks before calling).
 */
export interface BlockBackend {
  /** Size in bytes (the guest sees floor(size / 512) sectors). */
  readonly size: number;
  readonly readOnly: boolean;
  read(offset: number, dest: Uint8Array): boolean | void;
  write(offset: number, data: Uint8Array): boolean | void;
  flush(): boolean | void;
}

/** A disk held in memory (tests, browsers). */
export class MemoryBlockBackend implements BlockBackend {
  readonly bytes: Uint8Array;
  readonly readOnly: boolean;
  flushes = 0;

  constructor(bytes: Uint8Array, options: { readOnly?: boolean } = {}) {
    this.bytes = bytes;
    this.readOnly = options.readOnly ?? false;
  }

  get size(): number {
    return this.bytes.length;
  }

  read(offset: number, dest: Uint8Array): boolean {
    if (offset < 0 || offset + dest.length > this.bytes.length) return false;
    dest.set(this.bytes.subarray(offset, offset + dest.length));
    return true;
  }

  write(offset: number, data: Uint8Array): boolean {
    if (this.readOnly || offset < 0 || offset + data.length > this.bytes.length) return false;
    this.bytes.set(data, offset);
    return true;
  }

  flush(): boolean {
    this.flushes++;
    return true;
  }
}
