/**
 * Where the contents of a tar layer's regular files go while the archive is
 * read. A sink makes one writer per file; the writer receives the stored
 * ranges in ascending order (holes are never written and read as zeros) and
 * finishes as the tree's ContentSource. In memory here; spilled to host files
 * by host-sink.ts, so that a layer's size is bounded by disk, not memory.
 */
import type { ContentSource } from '../tree.ts';

export interface ContentWriter {
  /** Writes `data` at `offset`; `data` may be a view that is only valid during the call. */
  write(offset: number, data: Uint8Array): Promise<void>;
  finish(): Promise<ContentSource>;
  /** Gives up (the import failed): releases what the writer holds. */
  abort?(): Promise<void>;
}

export interface ContentSink {
  /** A regular file of `size` bytes; bytes never written read as zeros. */
  create(size: number): Promise<ContentWriter>;
}

/** Keeps contents in memory: `bytes`, or `zero` for a file that is all holes. */
export function memorySink(): ContentSink {
  return {
    async create(size) {
      let data: Uint8Array | undefined;
      return {
        async write(offset, chunk) {
          data ??= new Uint8Array(size);
          data.set(chunk, offset);
        },
        async finish() {
          if (data === undefined && size > 0) return { kind: 'zero', size };
          return { kind: 'bytes', data: data ?? new Uint8Array(0) };
        },
      };
    },
  };
}

/**
 * Adapts a whole-file store ("here are the bytes, give me a ContentSource"):
 * each file is gathered in memory, then handed over. Memory then grows with
 * the largest file; prefer a streaming sink.
 */
export function storeSink(store: (data: Uint8Array) => Promise<ContentSource>): ContentSink {
  const mem = memorySink();
  return {
    async create(size) {
      const w = await mem.create(size);
      return {
        write: (offset, chunk) => w.write(offset, chunk),
        abort: async () => { await w.abort?.(); },
        async finish() {
          const c = await w.finish();
          return c.kind === 'bytes' ? store(c.data) : c;
        },
      };
    },
  };
}
