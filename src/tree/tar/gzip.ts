/**
 * Streaming gzip decompression through node:zlib (multi-member streams
 * included), in 64 KiB chunks with backpressure: memory stays bounded
 * whatever the ratio.
 */
import { Readable, pipeline } from 'node:stream';
import { createGunzip } from 'node:zlib';

export async function* gunzip(chunks: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  const out = pipeline(Readable.from(chunks, { objectMode: false }), createGunzip({ chunkSize: 64 << 10 }), () => {});
  for await (const c of out) yield c as Uint8Array;
}
