/**
 * Pull-based reading of a byte stream delivered in chunks of any size: exact
 * reads (copied only when they span chunks), bounded streaming of the next n
 * bytes as views into the chunks, and skipping. Nothing is buffered beyond the
 * current chunk, so memory does not depend on the stream's length.
 */
const EMPTY = new Uint8Array(0);

export class ByteSource {
  readonly #it: AsyncIterator<Uint8Array>;
  #chunk: Uint8Array = EMPTY;
  #pos = 0;
  #done = false;
  /** Bytes consumed so far. */
  offset = 0;

  constructor(chunks: AsyncIterable<Uint8Array>) {
    this.#it = chunks[Symbol.asyncIterator]();
  }

  /** Makes unread bytes available; false at the end of the stream. */
  async #fill(): Promise<boolean> {
    while (this.#pos >= this.#chunk.length) {
      if (this.#done) return false;
      const r = await this.#it.next();
      if (r.done) { this.#done = true; this.#chunk = EMPTY; this.#pos = 0; return false; }
      this.#chunk = r.value;
      this.#pos = 0;
    }
    return true;
  }

  /** The next `n` bytes; fewer only at the end of the stream. */
  async read(n: number): Promise<Uint8Array> {
    if (!(await this.#fill())) return EMPTY;
    if (this.#chunk.length - this.#pos >= n) {
      const out = this.#chunk.subarray(this.#pos, this.#pos + n);
      this.#pos += n;
      this.offset += n;
      return out;
    }
    const out = new Uint8Array(n);
    let got = 0;
    while (got < n && (await this.#fill())) {
      const take = Math.min(n - got, this.#chunk.length - this.#pos);
      out.set(this.#chunk.subarray(this.#pos, this.#pos + take), got);
      this.#pos += take;
      got += take;
    }
    this.offset += got;
    return got === n ? out : out.subarray(0, got);
  }

  /**
   * Yields the next `n` bytes as views into the stream's chunks (valid until
   * the next read). Stops early at the end of the stream: the caller compares
   * what it got with what it asked for.
   */
  async *take(n: number): AsyncGenerator<Uint8Array> {
    let left = n;
    while (left > 0 && (await this.#fill())) {
      const take = Math.min(left, this.#chunk.length - this.#pos);
      const out = this.#chunk.subarray(this.#pos, this.#pos + take);
      this.#pos += take;
      this.offset += take;
      left -= take;
      yield out;
    }
  }

  /** Skips `n` bytes; returns how many were there. */
  async skip(n: number): Promise<number> {
    let got = 0;
    for await (const c of this.take(n)) got += c.length;
    return got;
  }

  /** Stops the underlying iterator (closing files, cancelling decoders). */
  async close(): Promise<void> {
    if (this.#done) return;
    this.#done = true;
    await this.#it.return?.();
  }
}
