/**
 * Finds which blocks of each regular file hold data. All-zero blocks become
 * holes (neither data nor indirect blocks), so this must run before layout.
 * Host files are streamed in bounded chunks; small files are kept in memory
 * (up to a total budget) so the writer need not open them again.
 */
import { MkrootfsError } from '../errors.ts';
import { displayName, type ContentSource } from '../tree/tree.ts';
import type { LogicalRun } from './block-map.ts';
import { readFully, type ImageFs } from './image-fs.ts';

export interface ScannedContent {
  size: number;
  runs: LogicalRun[];
  /** The whole content when held in memory (inline bytes, or a small host file). */
  data: Uint8Array | null;
  /** Host path when the writer must read the content again. */
  hostPath: string | null;
}

export interface ScanBudget {
  /** Host files up to this size are cached. */
  maxCachedFile: number;
  /** Bytes of host content that may be cached in total. */
  remaining: number;
  /** Cached files are carved out of large slabs: one allocation per slab, not per file. */
  slab?: Uint8Array;
  slabUsed?: number;
}

const SLAB_MAX = 16 << 20;
const SLAB_MIN = 256 << 10;

/**
 * `size` bytes for a cached file, from the current slab (a fresh one when it
 * is full). Slabs start small and double, so small trees allocate little.
 */
function carve(budget: ScanBudget, size: number): Uint8Array {
  if (size > SLAB_MAX / 4) return new Uint8Array(size);
  if (!budget.slab || budget.slabUsed! + size > budget.slab.length) {
    const next = budget.slab ? Math.min(SLAB_MAX, budget.slab.length * 2) : SLAB_MIN;
    budget.slab = new Uint8Array(Math.max(next, size));
    budget.slabUsed = 0;
  }
  const out = budget.slab.subarray(budget.slabUsed!, budget.slabUsed! + size);
  budget.slabUsed! += (size + 7) & ~7;
  return out;
}

/**
 * Host files too large to keep are scanned in chunks of this size: reads into
 * a buffer that stays in the CPU cache measured faster than 4 MiB ones on the
 * benchmark tree (like the writer's windows, see write-image.ts).
 */
const CHUNK = 256 << 10;
const zeroBlock = new Uint8Array(65536);

const zeroBuf = Buffer.from(zeroBlock.buffer);

/** Adds the non-zero blocks of `buf[0, len)` (file offset `base`, block aligned) to `runs`. */
function addRuns(runs: LogicalRun[], buf: Uint8Array, len: number, base: number, blockSize: number): void {
  const first = base / blockSize;
  const view = Buffer.from(buf.buffer, buf.byteOffset, len);
  for (let o = 0, b = first; o < len; o += blockSize, b++) {
    const n = Math.min(blockSize, len - o);
    // Data blocks almost never start with 8 zero bytes: test those first, memcmp only when they are zero.
    const quick = n >= 8 && (buf[o]! | buf[o + 1]! | buf[o + 2]! | buf[o + 3]! | buf[o + 4]! | buf[o + 5]! | buf[o + 6]! | buf[o + 7]!) !== 0;
    if (!quick && view.compare(zeroBuf, 0, n, o, o + n) === 0) continue;
    const last = runs[runs.length - 1];
    if (last && last.logical + last.count === b) last.count++;
    else runs.push({ logical: b, count: 1 });
  }
}

/**
 * The scan when it needs no file handle: zero and in-memory content, and a
 * host file small enough to cache when the file system reads synchronously
 * (readFileInto). Null otherwise (then use scanContent).
 */
export function scanContentSync(content: ContentSource, blockSize: number, fs: ImageFs, budget: ScanBudget, where: string): ScannedContent | null {
  if (content.kind === 'zero') return { size: content.size, runs: [], data: null, hostPath: null };
  if (content.kind === 'bytes') {
    const runs: LogicalRun[] = [];
    addRuns(runs, content.data, content.data.length, 0, blockSize);
    return { size: content.data.length, runs, data: content.data, hostPath: null };
  }
  const size = content.size;
  if (!fs.readFileInto || size > budget.maxCachedFile || size > budget.remaining) return null;
  const data = carve(budget, size);
  let got: number;
  try {
    got = fs.readFileInto(content.path, data);
  } catch (err) {
    throw hostError(err, content.path, where);
  }
  if (got !== size) throw changed(content.path, where, size, got);
  budget.remaining -= size;
  const runs: LogicalRun[] = [];
  addRuns(runs, data, size, 0, blockSize);
  return { size, runs, data, hostPath: null };
}

export async function scanContent(content: ContentSource, blockSize: number, fs: ImageFs, budget: ScanBudget, where: string): Promise<ScannedContent> {
  const done = scanContentSync(content, blockSize, fs, budget, where);
  if (done) return done;
  if (content.kind !== 'host') throw new Error('unreachable: zero and bytes content are scanned synchronously');
  const size = content.size;
  const runs: LogicalRun[] = [];
  let fh;
  try {
    fh = await fs.open(content.path, 'r');
  } catch (err) {
    throw hostError(err, content.path, where);
  }
  try {
    const cache = size <= budget.maxCachedFile && size <= budget.remaining;
    if (cache) {
      const data = carve(budget, size);
      const got = await readFully(fh, data, 0, size, 0);
      if (got !== size) throw changed(content.path, where, size, got);
      budget.remaining -= size;
      addRuns(runs, data, size, 0, blockSize);
      return { size, runs, data, hostPath: null };
    }
    const buf = new Uint8Array(Math.min(CHUNK, size));
    for (let pos = 0; pos < size; pos += CHUNK) {
      const len = Math.min(CHUNK, size - pos);
      const got = await readFully(fh, buf, 0, len, pos);
      if (got !== len) throw changed(content.path, where, size, pos + got);
      addRuns(runs, buf, len, pos, blockSize);
    }
    return { size, runs, data: null, hostPath: content.path };
  } catch (err) {
    throw err instanceof MkrootfsError ? err : hostError(err, content.path, where);
  } finally {
    await fh.close();
  }
}

/** `where` is the path inside the image as a binary string. */
function changed(path: string, binaryWhere: string, expected: number, got: number): MkrootfsError {
  const where = displayName(binaryWhere);
  return new MkrootfsError({
    code: 'HOST_FILE_CHANGED',
    message: `host file ${path} (for ${where}) has ${got} bytes, expected ${expected}: it changed during the build`,
    hint: 'do not modify the source tree while building',
    data: { path, where, expected, got },
  });
}

export function hostError(err: unknown, path: string, binaryWhere: string): MkrootfsError {
  const e = err as NodeJS.ErrnoException;
  const where = displayName(binaryWhere);
  return new MkrootfsError({
    code: 'HOST_FILE_UNREADABLE',
    message: `cannot read host file ${path} (for ${where}): ${e?.code ?? ''} ${e?.message ?? String(err)}`.trim(),
    hint: 'check that the file exists and is readable by this user',
    data: { path, where, errno: e?.code },
    cause: err,
  });
}
