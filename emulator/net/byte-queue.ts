/**
 * A FIFO of bytes in one ring buffer that grows by doubling: the bytes a TCP
 * connection holds for the guest until it acknowledges them.
 */
export class ByteQueue {
  private buf: Uint8Array;
  private head = 0;
  private size = 0;

  constructor(initial = 4096) {
    this.buf = new Uint8Array(initial);
  }

  get length(): number {
    return this.size;
  }

  push(bytes: Uint8Array): void {
    if (this.size + bytes.length > this.buf.length) {
      let cap = this.buf.length;
      while (cap < this.size + bytes.length) cap *= 2;
      const next = new Uint8Array(cap);
      this.copyOut(0, this.size, next, 0);
      this.buf = next;
      this.head = 0;
    }
    const tail = (this.head + this.size) % this.buf.length;
    const first = Math.min(bytes.length, this.buf.length - tail);
    this.buf.set(bytes.subarray(0, first), tail);
    if (first < bytes.length) this.buf.set(bytes.subarray(first), 0);
    this.size += bytes.length;
  }

  /** Copies `len` bytes starting `offset` bytes into the queue to `dst[dstOff]`. */
  copyOut(offset: number, len: number, dst: Uint8Array, dstOff: number): void {
    const start = (this.head + offset) % this.buf.length;
    const first = Math.min(len, this.buf.length - start);
    dst.set(this.buf.subarray(start, start + first), dstOff);
    if (first < len) dst.set(this.buf.subarray(0, len - first), dstOff + first);
  }

  /** Drops `n` bytes from the front. */
  consume(n: number): void {
    const k = Math.min(n, this.size);
    this.head = (this.head + k) % this.buf.length;
    this.size -= k;
    if (this.size === 0) this.head = 0;
  }

  clear(): void {
    this.head = 0;
    this.size = 0;
  }
}
