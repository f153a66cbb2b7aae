/**
 * Streaming xz decompression through xz-decompress (Lasse Collin's
 * xz-embedded compiled to WebAssembly): LZMA2 with dictionaries up to 64 MiB
 * (every `xz -0` … `xz -9e` preset), CRC32/CRC64/no integrity check,
 * concatenated streams and padding. It decodes 64 KiB of output per step, so
 * memory stays bounded. Not supported by that build: SHA-256 checks and
 * BCJ/delta filters, reported as such.
 */
import xzDecompress from 'xz-decompress';

type XzStreamClass = new (input: ReadableStream<Uint8Array>) => ReadableStream<Uint8Array>;
const XzReadableStream: XzStreamClass = (xzDecompress as unknown as { XzReadableStream: XzStreamClass }).XzReadableStream;

/** xz-embedded's return codes (enum xz_ret) as the library reports them. */
const CODES: Record<string, string> = {
  '3': 'the decoder ran out of memory',
  '4': 'it needs a dictionary over 64 MiB, more than this decoder allows; recompress with xz -9 or a lower preset',
  '5': 'it is not an xz stream (bad header)',
  '6': 'it uses an option this decoder does not support (a SHA-256 check or a BCJ/delta filter); recompress with plain xz (the default CRC64 check, no filters)',
  '7': 'the compressed data is corrupt',
  '8': 'it is truncated or followed by garbage',
};

/** Thrown for a stream xz-embedded rejects; `message` explains in words. */
export class XzRefused extends Error {}

export async function* unxz(chunks: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  const it = chunks[Symbol.asyncIterator]();
  const input = new ReadableStream<Uint8Array>({
    async pull(controller) {
      const r = await it.next();
      if (r.done) controller.close();
      else controller.enqueue(r.value);
    },
    async cancel() { await it.return?.(); },
  }, { highWaterMark: 0 });
  const reader = new XzReadableStream(input).getReader();
  let finished = false;
  try {
    for (;;) {
      let r: Awaited<ReturnType<typeof reader.read>>;
      try {
        r = await reader.read();
      } catch (err) {
        finished = true;
        const code = /error code (\d+)/.exec((err as Error)?.message ?? '')?.[1];
        throw code !== undefined ? new XzRefused(CODES[code] ?? `the decoder failed (xz-embedded code ${code})`, { cause: err }) : err;
      }
      if (r.done) { finished = true; return; }
      if (r.value.length > 0) yield r.value;
    }
  } finally {
    // Stopped early (an error downstream, or the tar ended): release the decoder, which serialises its users.
    if (!finished) await reader.cancel().catch(() => {});
  }
}
