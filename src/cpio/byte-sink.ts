/**
 * Where an archive's bytes go: a file handle written front to back (hashed on
 * the way when asked), optionally behind a gzip compressor. A sink consumes
 * each chunk fully before write() resolves, so the caller may reuse it.
 */
import { createHash, type Hash } from 'node:crypto';
import { once } from 'node:events';
import { constants as zlib, createGzip, type Gzip } from 'node:zlib';
import { writeFully, type ImageFileHandle } from '../ext2/image-fs.ts';

export interface ByteSink {
  write(chunk: Uint8Array): Promise<void>;
  /** Flushes everything; returns what reached the file: its size and SHA-256 ('' when not hashed). */
  end(): Promise<{ bytes: number; sha256: string }>;
}

/** Bytes written between turns of the event loop, so that a signal handler can remove the temp file mid-write. */
const YIELD_BYTES = 8 << 20;

/** Writes to `fh` from offset 0. The node file handles write synchronously under their promises: yield every 8 MiB. */
export function fileSink(fh: ImageFileHandle, opts: { hash: boolean }): ByteSink {
  const hash: Hash | null = opts.hash ? createHash('sha256') : null;
  let pos = 0;
  let sinceYield = 0;
  return {
    async write(chunk) {
      await writeFully(fh, chunk, 0, chunk.length, pos);
      hash?.update(chunk);
      pos += chunk.length;
      sinceYield += chunk.length;
      if (sinceYield >= YIELD_BYTES) {
        sinceYield = 0;
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
    },
    async end() {
      return { bytes: pos, sha256: hash ? hash.digest('hex') : '' };
    },
  };
}

/**
 * The gzip settings: fixed, so that the same archive compresses to the same
 * bytes (with a given Node build: its bundled zlib does the deflating).
 */
export const GZIP_OPTIONS = { level: 9, memLevel: 8, windowBits: 15, strategy: zlib.Z_DEFAULT_STRATEGY } as const;

/** gzip OS byte for Unix (RFC 1952), whatever zlib was compiled for. */
const GZIP_OS_UNIX = 3;

/**
 * gzip-compresses into `next`. The member header has no name and MTIME 0
 * (zlib writes none unless asked); its OS byte is set to Unix so the bytes do
 * not depend on the build host.
 */
export function gzipSink(next: ByteSink): ByteSink {
  const gz: Gzip = createGzip(GZIP_OPTIONS);
  const pending: Buffer[] = [];
  let failure: unknown;
  let emitted = 0;
  gz.on('data', (c: Buffer) => {
    // Header bytes 4-7 are MTIME (0 already), byte 9 the OS.
    if (emitted <= 9 && emitted + c.length > 9) c[9 - emitted] = GZIP_OS_UNIX;
    emitted += c.length;
    pending.push(c);
  });
  gz.on('error', (err) => { failure = err; });
  const drain = async (): Promise<void> => {
    while (pending.length > 0) await next.write(pending.shift()!);
    if (failure !== undefined) throw failure;
  };
  return {
    async write(chunk) {
      await new Promise<void>((resolve, reject) => gz.write(chunk, (err) => (err ? reject(err) : resolve())));
      await drain();
    },
    async end() {
      const ended = once(gz, 'end');
      gz.end();
      await ended;
      await drain();
      return next.end();
    },
  };
}
