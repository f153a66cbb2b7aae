/**
 * Writes a laid-out image in one forward pass. The image is cut into large
 * windows; each window is assembled in memory from metadata buffers and file
 * contents (read from the host with positional reads, several in flight),
 * hashed, and written back as a few large positional writes that skip
 * all-zero blocks, so the output stays sparse. The next window is assembled
 * while the previous one is being written.
 */
import { hostError } from './content-scan.ts';
import { readFully, writeFully, type ImageFileHandle, type ImageFs } from './image-fs.ts';

/** A host file the writer reads again (too large to keep from the scan). */
export interface HostFile {
  path: string;
  /** Path inside the image, for messages. */
  where: string;
  /** Pieces not yet copied; the handle is closed when this reaches zero. */
  remaining: number;
}

/** `count` blocks at block `phys`, filled with `length` bytes of `src` from `offset` (the rest is zero). */
export interface Piece {
  phys: number;
  count: number;
  src: Uint8Array | HostFile;
  offset: number;
  length: number;
  /** Metadata (bitmaps, inode tables...) may contain all-zero blocks; file data never does. */
  metadata?: boolean;
}

export interface StreamOptions {
  out: ImageFileHandle;
  fs: ImageFs;
  pieces: Piece[];
  blockSize: number;
  blocksCount: number;
  /** Receives every byte of the image in order (for its SHA-256). */
  digest: (bytes: Uint8Array) => void;
  onProgress?: (done: number, total: number) => void;
  windowBytes?: number;
}

export async function streamImage(opts: StreamOptions): Promise<void> {
  const { out, fs, pieces, blockSize: bs, blocksCount } = opts;
  const winBlocks = Math.max(1, Math.floor((opts.windowBytes ?? 8 << 20) / bs));
  const buffers = [new Uint8Array(winBlocks * bs), new Uint8Array(winBlocks * bs)];
  const dirty = [false, false];
  // Per block of each window: 0 untouched (zero), 1 file data (non-zero by construction), 2 metadata (may be zero).
  const states = [new Uint8Array(winBlocks), new Uint8Array(winBlocks)];
  const pending: Promise<void>[] = [Promise.resolve(), Promise.resolve()];
  const zero = Buffer.alloc(bs);
  const handles = new Map<HostFile, Promise<ImageFileHandle>>();
  const total = blocksCount * bs;
  let pi = 0;
  let which = 0;
  try {
    for (let ws = 0; ws < blocksCount; ws += winBlocks) {
      const we = Math.min(blocksCount, ws + winBlocks);
      const bytes = (we - ws) * bs;
      const buf = buffers[which]!;
      await pending[which];
      const state = states[which]!;
      if (dirty[which]) { buf.fill(0); state.fill(0); }
      dirty[which] = false;
      const reads: Promise<void>[] = [];
      while (pi < pieces.length && pieces[pi]!.phys < we) {
        const p = pieces[pi]!;
        const b0 = Math.max(p.phys, ws);
        const b1 = Math.min(p.phys + p.count, we);
        const inPiece = (b0 - p.phys) * bs;
        const len = Math.min((b1 - b0) * bs, p.length - inPiece);
        const dest = (b0 - ws) * bs;
        const last = p.phys + p.count <= we;
        if (len > 0) {
          dirty[which] = true;
          state.fill(p.src instanceof Uint8Array && p.metadata ? 2 : 1, b0 - ws, b1 - ws);
          if (p.src instanceof Uint8Array) buf.set(p.src.subarray(p.offset + inPiece, p.offset + inPiece + len), dest);
          else reads.push(readHost(p.src, buf, dest, len, p.offset + inPiece, last));
        } else if (last && !(p.src instanceof Uint8Array)) {
          reads.push(readHost(p.src, buf, dest, 0, 0, true));
        }
        if (!last) break;
        pi++;
      }
      if (reads.length > 0) await Promise.all(reads);
      for (const [file, h] of handles) {
        if (file.remaining === 0) { handles.delete(file); await (await h).close(); }
      }
      const view = buf.subarray(0, bytes);
      opts.digest(view);
      if (dirty[which]) pending[which] = writeNonZero(out, view, state, bs, ws * bs, zero);
      opts.onProgress?.(we * bs, total);
      which ^= 1;
    }
    await Promise.all(pending);
  } finally {
    for (const h of handles.values()) await h.then((fh) => fh.close(), () => undefined);
  }

  async function readHost(file: HostFile, buf: Uint8Array, dest: number, len: number, pos: number, last: boolean): Promise<void> {
    let h = handles.get(file);
    if (!h) {
      h = fs.open(file.path, 'r');
      handles.set(file, h);
    }
    let fh: ImageFileHandle;
    try {
      fh = await h;
    } catch (err) {
      throw hostError(err, file.path, file.where);
    }
    if (len > 0) {
      const got = await readFully(fh, buf, dest, len, pos);
      if (got !== len) throw hostError(new Error(`file shrank during the build (${pos + got} bytes)`), file.path, file.where);
    }
    if (last) file.remaining--;
  }
}

/**
 * Writes the non-zero blocks of `view` (image offset `base`), coalescing
 * neighbours into one write. Only metadata blocks are compared with zero:
 * file data blocks are non-zero by construction (zero blocks became holes).
 */
async function writeNonZero(out: ImageFileHandle, view: Uint8Array, state: Uint8Array, bs: number, base: number, zero: Buffer): Promise<void> {
  const b = Buffer.from(view.buffer, view.byteOffset, view.byteLength);
  const writes: Promise<void>[] = [];
  let runStart = -1;
  for (let o = 0, i = 0; o <= view.length; o += bs, i++) {
    const st = o < view.length ? state[i]! : 0;
    const nonZero = st === 1 || (st === 2 && b.compare(zero, 0, bs, o, o + bs) !== 0);
    if (nonZero && runStart < 0) runStart = o;
    else if (!nonZero && runStart >= 0) {
      writes.push(writeFully(out, view, runStart, o - runStart, base + runStart));
      runStart = -1;
    }
  }
  await Promise.all(writes);
}
