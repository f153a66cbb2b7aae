/**
 * The slice of `node:fs/promises` the ext2 writer and reader use. Injected so
 * tests can run against memfs; `node:fs/promises` itself satisfies it.
 * `nodeImageFs` adds a synchronous small-file read: a FileHandle costs several
 * thread-pool round trips per file (about 90 µs for open+read+close under
 * load), a synchronous open/read/close about 14 µs — it decides the run time
 * on trees of many small files.
 */
import * as fsp from 'node:fs/promises';
import { closeSync, ftruncateSync, openSync, readSync, writeSync } from 'node:fs';

export interface ImageFileHandle {
  read(buffer: Uint8Array, offset: number, length: number, position: number): Promise<{ bytesRead: number }>;
  write(buffer: Uint8Array, offset: number, length: number, position: number): Promise<{ bytesWritten: number }>;
  truncate(length: number): Promise<void>;
  close(): Promise<void>;
}

export interface ImageFs {
  open(path: string, flags: string, mode?: number): Promise<ImageFileHandle>;
  rename(from: string, to: string): Promise<void>;
  rm(path: string, options: { force: boolean }): Promise<void>;
  /** Optional: reads up to `buf.length` bytes from the start of a file synchronously; returns the count. */
  readFileInto?(path: string, buf: Uint8Array): number;
}

/**
 * The real file system. File handles do their reads and writes synchronously
 * (behind the promise interface): the writer issues few, large (256 KiB
 * windows) positional calls, for which a thread-pool hop per call only adds latency —
 * measured on the 20k-file benchmark tree, the promise FileHandle made the
 * write phase about twice as slow.
 */
export const nodeImageFs: ImageFs = {
  open: async (path, flags, mode) => {
    const fd = openSync(path, flags, mode);
    return {
      read: async (buf, off, len, pos) => ({ bytesRead: readSync(fd, buf, off, len, pos) }),
      write: async (buf, off, len, pos) => ({ bytesWritten: writeSync(fd, buf, off, len, pos) }),
      truncate: async (len) => ftruncateSync(fd, len),
      close: async () => closeSync(fd),
    };
  },
  rename: (from, to) => fsp.rename(from, to),
  rm: (path, options) => fsp.rm(path, options),
  readFileInto(path, buf) {
    const fd = openSync(path, 'r');
    try {
      let done = 0;
      while (done < buf.length) {
        const n = readSync(fd, buf, done, buf.length - done, done);
        if (n === 0) break;
        done += n;
      }
      return done;
    } finally {
      closeSync(fd);
    }
  },
};

/** Reads exactly `length` bytes at `position` (fewer only at end of file); returns bytes read. */
export async function readFully(fh: Pick<ImageFileHandle, 'read'>, buf: Uint8Array, offset: number, length: number, position: number): Promise<number> {
  let done = 0;
  while (done < length) {
    const { bytesRead } = await fh.read(buf, offset + done, length - done, position + done);
    if (bytesRead === 0) break;
    done += bytesRead;
  }
  return done;
}

export async function writeFully(fh: ImageFileHandle, buf: Uint8Array, offset: number, length: number, position: number): Promise<void> {
  let done = 0;
  while (done < length) {
    const { bytesWritten } = await fh.write(buf, offset + done, length - done, position + done);
    if (bytesWritten <= 0) throw new Error('short write');
    done += bytesWritten;
  }
}
