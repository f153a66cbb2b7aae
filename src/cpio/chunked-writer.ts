/**
 * Gathers an archive's many small pieces (110-byte headers, names, short
 * files, padding) into large chunks for a sink, and copies host files into
 * those chunks directly with positional reads.
 */
import { readFully, type ImageFileHandle } from '../ext2/image-fs.ts';
import type { ByteSink } from './byte-sink.ts';

export const CHUNK_BYTES = 1 << 20;

export class ChunkedWriter {
  private readonly buf = new Uint8Array(CHUNK_BYTES);
  private used = 0;
  /** Bytes handed over so far (flushed or buffered). */
  written = 0;

  constructor(private readonly sink: ByteSink, private readonly onChunk?: (written: number) => void) {}

  async put(bytes: Uint8Array): Promise<void> {
    let off = 0;
    while (off < bytes.length) {
      const n = Math.min(bytes.length - off, CHUNK_BYTES - this.used);
      this.buf.set(bytes.subarray(off, off + n), this.used);
      this.used += n;
      off += n;
      this.written += n;
      if (this.used === CHUNK_BYTES) await this.flush();
    }
  }

  async zeros(count: number): Promise<void> {
    let left = count;
    while (left > 0) {
      const n = Math.min(left, CHUNK_BYTES - this.used);
      this.buf.fill(0, this.used, this.used + n);
      this.used += n;
      left -= n;
      this.written += n;
      if (this.used === CHUNK_BYTES) await this.flush();
    }
  }

  /**
   * Copies `length` bytes of `fh` from offset 0. Returns the bytes actually
   * read: fewer when the file is shorter now (the caller reports that).
   * A failed read is passed through `readError` (a failed write is not).
   */
  async copyFrom(fh: Pick<ImageFileHandle, 'read'>, length: number, readError: (err: unknown) => unknown): Promise<number> {
    let pos = 0;
    while (pos < length) {
      const n = Math.min(length - pos, CHUNK_BYTES - this.used);
      let got: number;
      try {
        got = await readFully(fh, this.buf, this.used, n, pos);
      } catch (err) {
        throw readError(err);
      }
      this.used += got;
      pos += got;
      this.written += got;
      if (got < n) return pos;
      if (this.used === CHUNK_BYTES) await this.flush();
    }
    return pos;
  }

  async flush(): Promise<void> {
    if (this.used === 0) return;
    await this.sink.write(this.buf.subarray(0, this.used));
    this.used = 0;
    this.onChunk?.(this.written);
  }
}
