/**
 * Where the contents of a tar layer's regular files go while the archive is
 * read. A sink makes one writer per file; the writer receives the stored
 * ranges in ascending order (holes are never written and read as zeros) and
 * finishes as the tree's ContentSource. In memory here; spilled to host files
 * by host-sink.ts, so that a layer's size is bounded by disk, not memory.
 */
import { MkrootfsError } from '../../errors.ts';
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

/** Largest file the memory sink holds (a JavaScript typed array's practical limit). */
export const MAX_MEMORY_FILE = 2 ** 31 - 1;

/**
 * Keeps contents in memory: `bytes`, or `zero` for a file that is all holes.
 * The buffer grows with the data that actually arrives, so a header that
 * claims a huge size costs nothing until the bytes are there.
 */
export function memorySink(): ContentSink {
  return {
    async create(size) {
      let data = new Uint8Array(0);
      let written = false;
      const grow = (need: number): void => {
        if (need <= data.length) return;
        const next = new Uint8Array(Math.min(size, Math.max(need, data.length * 2, 64 << 10)));
        next.set(data);
        data = next;
      };
      return {
        async write(offset, chunk) {
          if (offset + chunk.length > MAX_MEMORY_FILE) throw tooLarge(size);
          grow(offset + chunk.length);
          data.set(chunk, offset);
          written = true;
        },
        async finish() {
          if (!written && size > 0) return { kind: 'zero', size };
          if (size > MAX_MEMORY_FILE) throw tooLarge(size);
          grow(size);
          return { kind: 'bytes', data };
        },
      };
    },
  };
}

function tooLarge(size: number): MkrootfsError {
  return new MkrootfsError({
    code: 'TAR_FILE_TOO_LARGE_FOR_MEMORY',
    message: `a file of ${size} bytes cannot be held in memory (at most ${MAX_MEMORY_FILE})`,
    hint: 'import the archive with a content sink that spills to disk (hostSink), as the build does',
    data: { size },
  });
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
