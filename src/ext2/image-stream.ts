/**
 * Writes a laid-out image in one forward pass. The image is cut into large
 * windows; each window is assembled in memory from metadata buffers and file
 * contents (read from the host with positional reads, several in flight),
 * written back as a few large positional writes that skip all-zero blocks
 * (so the output stays sparse), and handed to the hasher (image-hash.ts).
 */
import { hostError } from './content-scan.ts';
import { readFully, writeFully, type ImageFileHandle, type ImageFs } from './image-fs.ts';
import type { ImageHasher } from './image-hash.ts';

/** A host file the writer reads again (too large to keep from the scan). */
export interface HostFile {
  path: string;
  /** Path inside the image (binary string), for messages. */
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
  /** Receives every byte of the image in order (for its SHA-256) and lends the window buffers. */
  hasher: ImageHasher;
  onProgress?: (done: number, total: number) => void;
  windowBytes: number;
}

/**
 * The largest single write. Linux (6.18, ext4 with large folios) caches a
 * write in folios as large as the write allows; folios above order 3 (32 KiB)
 * come from the buddy allocator instead of the per-CPU page lists, and on a
 * VM whose free memory is handed back to the host (virtio-balloon free page
 * reporting) those pages are often not backed any more: copying into them then
 * ran ~10x slower (perf: copy_folio_from_iter_atomic). Measured on the 20k-file
 * bench tree: 256 KiB writes took 1.2-1.9 s of system time in most runs,
 * 32 KiB writes 0.54-0.60 s in every run (mke2fs, writing 4 KiB at a time, 0.7-1.1 s).
 */
const WRITE_CHUNK = 32 << 10;

export async function streamImage(opts: StreamOptions): Promise<void> {
  const { out, fs, pieces, blockSize: bs, blocksCount, hasher } = opts;
  const winBlocks = Math.max(1, Math.floor(opts.windowBytes / bs));
  // Per block of the window: 0 untouched (zero), 1 file data (non-zero by construction), 2 metadata (may be zero).
  const state = new Uint8Array(winBlocks);
  const zero = Buffer.alloc(bs);
  const handles = new Map<HostFile, Promise<ImageFileHandle>>();
  const total = blocksCount * bs;
  let pi = 0;
  try {
    for (let ws = 0; ws < blocksCount; ws += winBlocks) {
      const we = Math.min(blocksCount, ws + winBlocks);
      const bytes = (we - ws) * bs;
      if (pi >= pieces.length || pieces[pi]!.phys >= we) {
        // Nothing here up to the window of the next piece: a hole in the output, skipped in one step
        // (a sparse 8 TiB image is 32 million windows).
        const next = pi < pieces.length ? ws + Math.floor((pieces[pi]!.phys - ws) / winBlocks) * winBlocks : blocksCount;
        hasher.zeros((next - ws) * bs);
        opts.onProgress?.(next * bs, total);
        ws = next - winBlocks;
        continue;
      }
      const buf = await hasher.take();
      state.fill(0);
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
          state.fill(p.src instanceof Uint8Array && p.metadata ? 2 : 1, b0 - ws, b1 - ws);
          if (p.src instanceof Uint8Array) {
            const from = p.offset + inPiece;
            // Most pieces are a whole small file or directory: copy without making a view of it.
            buf.set(from === 0 && len === p.src.length ? p.src : p.src.subarray(from, from + len), dest);
          }
          else reads.push(readHost(p.src, buf, dest, len, p.offset + inPiece, last));
          // The buffer is not cleared between windows: zero the rest of the piece's last block.
          const end = (b1 - ws) * bs;
          if (dest + len < end) buf.fill(0, dest + len, end);
        } else if (last && !(p.src instanceof Uint8Array)) {
          reads.push(readHost(p.src, buf, dest, 0, 0, true));
        }
        if (!last) break;
        pi++;
      }
      // Blocks no piece touched are zero (the hasher sees them; the output skips them).
      for (let i = 0, n = we - ws; i < n;) {
        if (state[i] !== 0) { i++; continue; }
        let j = i + 1;
        while (j < n && state[j] === 0) j++;
        buf.fill(0, i * bs, j * bs);
        i = j;
      }
      if (reads.length > 0) await Promise.all(reads);
      for (const [file, h] of handles) {
        if (file.remaining === 0) { handles.delete(file); await (await h).close(); }
      }
      await writeNonZero(out, buf.subarray(0, bytes), state, bs, ws * bs, zero);
      hasher.update(buf, bytes);
      opts.onProgress?.(we * bs, total);
    }
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
 * neighbours into writes of up to WRITE_CHUNK bytes. Only metadata blocks are compared with zero:
 * file data blocks are non-zero by construction (zero blocks became holes).
 */
async function writeNonZero(out: ImageFileHandle, view: Uint8Array, state: Uint8Array, bs: number, base: number, zero: Buffer): Promise<void> {
  const b = Buffer.from(view.buffer, view.byteOffset, view.byteLength);
  let runStart = -1;
  for (let o = 0, i = 0; o <= view.length; o += bs, i++) {
    const st = o < view.length ? state[i]! : 0;
    const nonZero = st === 1 || (st === 2 && b.compare(zero, 0, bs, o, o + bs) !== 0);
    if (nonZero && runStart < 0) runStart = o;
    else if (!nonZero && runStart >= 0) {
      for (let k = runStart; k < o; k += WRITE_CHUNK) await writeFully(out, view, k, Math.min(WRITE_CHUNK, o - k), base + k);
      runStart = -1;
    }
  }
}
