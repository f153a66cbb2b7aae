/**
 * The tar stream inside an archive file: compression detected by magic
 * number (gzip, xz, zstd, or none), decompressed as a stream, every byte
 * counted against the layer's expansion budget. Decoder failures become
 * errors naming the archive and the compressed offset; failures reading the
 * archive itself pass through unchanged (they are I/O errors, not bad input).
 */
import { MkrootfsError } from '../../errors.ts';
import type { ExpansionBudget } from './expansion.ts';
import { gunzip } from './gzip.ts';
import { tarError } from './tar-error.ts';
import { unxz } from './xz.ts';
import { unzstd } from './zstd.ts';

export type Compression = 'none' | 'gzip' | 'xz' | 'zstd';

const UNSUPPORTED: [number[], string, string][] = [
  [[0x42, 0x5a, 0x68], 'bzip2', '.tar.bz2'],
  [[0x04, 0x22, 0x4d, 0x18], 'lz4', '.tar.lz4'],
  [[0x4c, 0x5a, 0x49, 0x50], 'lzip', '.tar.lz'],
  [[0x5d, 0x00, 0x00], 'lzma (legacy .lzma)', '.tar.lzma'],
  [[0x1f, 0x9d], 'compress (.Z)', '.tar.Z'],
];

const starts = (head: Uint8Array, magic: number[]): boolean => magic.every((b, i) => head[i] === b);

/** The compression of an archive from its first bytes; unsupported ones are an error. */
export function detectCompression(head: Uint8Array, archive: string): Compression {
  if (starts(head, [0x1f, 0x8b])) return 'gzip';
  if (starts(head, [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00])) return 'xz';
  if (starts(head, [0x28, 0xb5, 0x2f, 0xfd]) || (starts(head.subarray(1), [0x2a, 0x4d, 0x18]) && (head[0]! & 0xf0) === 0x50)) return 'zstd';
  for (const [magic, what, ext] of UNSUPPORTED) {
    if (starts(head, magic)) {
      throw tarError('TAR_UNSUPPORTED_COMPRESSION', { archive }, `is ${what}-compressed (${ext}), which is not supported`,
        'recompress it as .tar.gz, .tar.xz or .tar.zst, or give the plain .tar', { compression: what });
    }
  }
  return 'none';
}

const DECODERS = { gzip: gunzip, xz: unxz, zstd: unzstd } as const;

export async function* tarStream(args: { chunks: AsyncIterable<Uint8Array>; archive: string; budget: ExpansionBudget }): AsyncGenerator<Uint8Array> {
  const { archive, budget } = args;
  const source = args.chunks[Symbol.asyncIterator]();
  let readBytes = 0;
  let sourceError: { err: unknown } | undefined;
  const head: Uint8Array[] = [];
  let headBytes = 0;
  const next = async (): Promise<IteratorResult<Uint8Array>> => {
    try {
      const r = await source.next();
      if (!r.done) { readBytes += r.value.length; budget.archiveRead(readBytes); }
      return r;
    } catch (err) {
      sourceError = { err };
      throw err;
    }
  };
  try {
    while (headBytes < 6) {
      const r = await next();
      if (r.done) break;
      head.push(r.value);
      headBytes += r.value.length;
    }
    const first = head.length === 1 ? head[0]! : Buffer.concat(head);
    const compression = detectCompression(first, archive);
    async function* input(): AsyncGenerator<Uint8Array> {
      for (const c of head) yield c;
      for (;;) {
        const r = await next();
        if (r.done) return;
        yield r.value;
      }
    }
    if (compression === 'none') {
      for await (const c of input()) { budget.data(c.length); yield c; }
      return;
    }
    try {
      for await (const c of DECODERS[compression](input())) { budget.data(c.length); yield c; }
    } catch (err) {
      if (sourceError !== undefined) throw sourceError.err;
      if (err instanceof MkrootfsError) throw err;
      const what = (err as Error)?.message ?? String(err);
      throw tarError(`TAR_BAD_${compression.toUpperCase()}`, { archive },
        `is not a valid ${compression} stream: ${what} (after ${readBytes} compressed bytes)`,
        'check that the archive is complete and not corrupt (e.g. with gzip -t, xz -t or zstd -t)', { compression, compressedOffset: readBytes });
    }
  } finally {
    await source.return?.();
  }
}
