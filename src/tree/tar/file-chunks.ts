/**
 * An open file read as a stream of chunks by positional reads, for importTar's
 * streamed archive. The handle is injected (node:fs/promises FileHandle and
 * memfs have `read`); each chunk is a fresh buffer, so a consumer may keep a
 * view of it. Ends at the first zero-byte read.
 */
export interface ReadHandle {
  read(buffer: Uint8Array, offset: number, length: number, position: number): Promise<{ bytesRead: number }>;
}

export async function* fileChunks(handle: ReadHandle, chunkSize = 1 << 20): AsyncGenerator<Uint8Array> {
  for (let position = 0; ;) {
    const buf = new Uint8Array(chunkSize);
    const { bytesRead } = await handle.read(buf, 0, chunkSize, position);
    if (bytesRead <= 0) return;
    position += bytesRead;
    yield buf.subarray(0, bytesRead);
  }
}
