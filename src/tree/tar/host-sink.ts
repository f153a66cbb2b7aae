/**
 * A content sink that spills each file to its own host file in a scratch
 * directory (the build's work directory), referenced from the tree as `host`
 * content that the image writer reads later. Memory stays at one chunk
 * whatever the file sizes. All-zero chunks are not written: holes, sparse
 * members and zero-filled data leave sparse host files, and a file with no
 * data at all becomes `zero` content without a host file.
 */
import type { ContentSource } from '../tree.ts';
import type { ContentSink } from './content-sink.ts';

/** The calls made on a spill file (node:fs/promises FileHandle has them). */
export interface SpillHandle {
  write(buffer: Uint8Array, offset: number, length: number, position: number): Promise<{ bytesWritten: number }>;
  truncate(length: number): Promise<void>;
  close(): Promise<void>;
}

/** The file system calls made (node:fs/promises has them). */
export interface SpillFs {
  open(path: string, flags: string, mode?: number): Promise<SpillHandle>;
}

export interface HostSinkArgs {
  fs: SpillFs;
  /** An existing directory that outlives the image write. */
  dir: string;
  /** File name prefix in `dir` (default "tar-content-"). */
  prefix?: string;
}

const ZERO = new Uint8Array(64 << 10);

function allZero(data: Uint8Array): boolean {
  const buf = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  const zero = Buffer.from(ZERO.buffer);
  for (let o = 0; o < buf.length; o += ZERO.length) {
    const n = Math.min(ZERO.length, buf.length - o);
    if (buf.compare(zero, 0, n, o, o + n) !== 0) return false;
  }
  return true;
}

export function hostSink(args: HostSinkArgs): ContentSink {
  let count = 0;
  const prefix = args.prefix ?? 'tar-content-';
  return {
    async create(size) {
      const path = `${args.dir.replace(/\/+$/, '')}/${prefix}${count++}`;
      let fh: SpillHandle | undefined;
      return {
        async write(offset, data) {
          if (allZero(data)) return;
          fh ??= await args.fs.open(path, 'wx', 0o600);
          for (let done = 0; done < data.length;) {
            const { bytesWritten } = await fh.write(data, done, data.length - done, offset + done);
            if (bytesWritten <= 0) throw new Error(`short write to ${path}`);
            done += bytesWritten;
          }
        },
        async finish(): Promise<ContentSource> {
          if (fh === undefined) return size > 0 ? { kind: 'zero', size } : { kind: 'bytes', data: new Uint8Array(0) };
          try {
            await fh.truncate(size);
          } finally {
            await fh.close();
          }
          return { kind: 'host', path, size };
        },
        async abort() {
          const h = fh;
          fh = undefined;
          await h?.close();
        },
      };
    },
  };
}
