/**
 * An image handle over a byte stream (a pipe, stdout) for `-o -`, as
 * genext2fs writes to stdout. The writer (image-stream.ts) writes front to
 * back but skips all-zero blocks, leaving holes in a file; a stream has no
 * holes, so the skipped ranges are sent as zeros, and the final truncate pads
 * the stream to the image's size. Writes must never go backwards.
 */
import type { ImageFileHandle } from './image-fs.ts';

/** Where the bytes go: resolves once the chunk is accepted (the caller may reuse its buffer then). */
export interface ByteSink {
  write(chunk: Uint8Array): Promise<void>;
}

const ZEROS = new Uint8Array(1 << 20);

export function sequentialHandle(sink: ByteSink): ImageFileHandle & { readonly written: number } {
  let written = 0;
  const zeroTo = async (position: number): Promise<void> => {
    while (written < position) {
      const n = Math.min(ZEROS.length, position - written);
      await sink.write(ZEROS.subarray(0, n));
      written += n;
    }
  };
  return {
    get written() { return written; },
    read: async () => { throw new Error('a streamed image cannot be read back'); },
    write: async (buf, offset, length, position) => {
      if (position < written) throw new Error(`a streamed image is written front to back (write at ${position} after ${written} bytes)`);
      await zeroTo(position);
      // A copy: the writer reuses its window buffer as soon as this resolves.
      await sink.write(buf.slice(offset, offset + length));
      written += length;
      return { bytesWritten: length };
    },
    truncate: async (length) => {
      if (length < written) throw new Error(`a streamed image cannot shrink (to ${length} after ${written} bytes)`);
      await zeroTo(length);
    },
    close: async () => {},
  };
}

/** A ByteSink over a Node writable stream: waits for 'drain' when the stream's buffer is full. */
export function writableSink(stream: NodeJS.WritableStream): ByteSink {
  return {
    write: (chunk) => new Promise<void>((resolve, reject) => {
      const onError = (err: Error): void => { stream.off('drain', onDrain); reject(err); };
      const onDrain = (): void => { stream.off('error', onError); resolve(); };
      stream.once('error', onError);
      if (stream.write(chunk)) { stream.off('error', onError); resolve(); } else stream.once('drain', onDrain);
    }),
  };
}
