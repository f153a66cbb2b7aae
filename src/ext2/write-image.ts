/**
 * writeImageFile: staging tree → ext2 image file.
 *
 * 1. number the inodes (inode-plan.ts) and find the data blocks of every file
 *    (content-scan.ts; all-zero blocks become holes);
 * 2. count the blocks everything needs and choose the geometry (sizing.ts);
 * 3. allocate blocks sequentially (allocator.ts, block-map.ts) and encode the
 *    inodes, directories, bitmaps, descriptors and superblocks in memory
 *    (metadata.ts) — metadata is small;
 * 4. stream the image front to back into a temp file beside the target
 *    (image-stream.ts), hashing it on the way when asked (options.hash), and
 *    rename it into place only on success.
 */
import { randomBytes } from 'node:crypto';
import { usageError } from '../errors.ts';
import { displayName, type Tree } from '../tree/tree.ts';
import { SequentialAllocator } from './allocator.ts';
import { countBlocks, indirectBytes, mapBlocks, maxLogicalBlocks, type BlockMap } from './block-map.ts';
import { scanContent, scanContentSync, type ScanBudget, type ScannedContent } from './content-scan.ts';
import { encodeDir } from './dir-block.ts';
import { IdentityHash, formatUuid } from './identity.ts';
import { nodeImageFs, type ImageFileHandle, type ImageFs } from './image-fs.ts';
import { checkStillReplaceable, nodeOutputFs, outputError, prepareOutput, tempPathFor, type OutputFs, type OutputTarget } from './output-file.ts';
import type { TempPaths } from '../temp-paths.ts';
import { streamImage, type HostFile, type Piece } from './image-stream.ts';
import { InlineHasher, NoHasher, type ImageHasher } from './image-hash.ts';
import { encodeDevice, type Inode } from './inode.ts';
import { planInodes, modeOf, type PlannedInode } from './inode-plan.ts';
import { validateBlockSize, type BlockSize } from './layout.ts';
import { buildInodeTables, buildMetadata } from './metadata.ts';
import { chooseGeometry, reservedBlocks } from './sizing.ts';
import { EXT2_TIME_MAX } from './time-range.ts';

export interface ImageOptions {
  /** Image size in bytes, or 'auto' (content plus a margin). Default 'auto'. */
  size?: number | 'auto';
  /** With size 'auto': free bytes (beyond reserved blocks) to leave over the content. */
  extraFree?: number;
  /** Number of inodes (rounded up to fill whole inode-table blocks). */
  inodes?: number;
  blockSize?: 1024 | 2048 | 4096;
  /** Volume label, at most 16 bytes. */
  label?: string;
  /** Percentage of blocks reserved for root (default 5, like mke2fs). */
  reservedPercent?: number;
  /** SOURCE_DATE_EPOCH: superblock times, and the clamp for every mtime. */
  epoch?: number;
  /**
   * Compute the SHA-256 of the whole image (ImageSummary.sha256) while writing it.
   * Default true. It costs about 0.7 s of CPU per GB of image, which mke2fs does
   * not pay: callers that do not report the digest (the CLI without --json or
   * --sha256) pass false.
   */
  hash?: boolean;
}

export interface ImageSummary {
  path: string;
  bytes: number;
  /** SHA-256 of the image file (hex); '' when written with options.hash false. */
  sha256: string;
  blockSize: number;
  blocks: number;
  freeBlocks: number;
  inodes: number;
  freeInodes: number;
  uuid: string;
}

export interface WriteImageArgs {
  tree: Tree;
  /** The image path. Only a regular file or nothing there is replaced (src/ext2/output-file.ts); missing directories are created. */
  output: string;
  options?: ImageOptions;
  /** The file system; when it also has lstat, stat, realpath, mkdir and chmod (memfs does), the output checks use it too. */
  fs?: ImageFs & Partial<OutputFs>;
  /** Host files the build reads (recipe, tar layers...): the output must not be one of them. */
  inputs?: readonly string[];
  /** Told of the temp file while it exists, so that an interrupted build can remove it. */
  temps?: TempPaths;
  onProgress?: (p: { phase: string; done: number; total: number }) => void;
  /**
   * Write the image front to back into this handle instead of a file (for
   * `-o -`: see sequential-output.ts); `output` then only names it in
   * messages and no output path is checked, created or replaced.
   */
  stream?: ImageFileHandle;
}

const SCAN_CONCURRENCY = 16;
/** Bytes written, or files scanned, between turns of the event loop (see yielding()). */
const YIELD_BYTES = 8 << 20;
/**
 * The image is assembled in windows of this size (and written in pieces of
 * at most 32 KiB, see image-stream.ts). Small windows measured faster than
 * large ones on the 20k-file + 350 MB benchmark tree: with 8 MiB windows the
 * pwrite calls alone took about 1.5 s of the build, with 256 KiB windows
 * 0.2 s for the same bytes; a window also stays in the CPU cache between
 * being filled (host reads, metadata copies) and written.
 */
const WINDOW_BYTES = 256 << 10;
const YIELD_FILES = 256;
const FAST_SYMLINK_MAX = 59;

export async function writeImageFile(args: WriteImageArgs): Promise<ImageSummary> {
  const fs: ImageFs = args.fs ?? nodeImageFs;
  const outFs: OutputFs | undefined = args.fs === undefined ? nodeOutputFs : hasOutputFs(args.fs) ? args.fs : undefined;
  const opts = args.options ?? {};
  const bs: BlockSize = validateBlockSize(opts.blockSize ?? 4096);
  const reservedPercent = opts.reservedPercent ?? 5;
  if (!(reservedPercent >= 0 && reservedPercent <= 50)) {
    throw usageError('EXT2_BAD_RESERVED', `reserved percentage ${reservedPercent} is out of range`, 'use a value from 0 to 50');
  }
  const label = new TextEncoder().encode(opts.label ?? '');
  if (label.length > 16) throw usageError('EXT2_LABEL_TOO_LONG', `volume label "${opts.label}" is ${label.length} bytes; at most 16 are allowed`, 'shorten the label');
  if (opts.epoch !== undefined && !(Number.isInteger(opts.epoch) && opts.epoch >= 0 && opts.epoch <= EXT2_TIME_MAX)) {
    throw usageError('BAD_EPOCH', `epoch ${opts.epoch} is not a whole number of seconds from 0 to ${EXT2_TIME_MAX}`, 'set SOURCE_DATE_EPOCH to whole seconds no later than 2446-05-10');
  }

  // Before any work: the output path must be usable (and is checked again just before the rename).
  const target: OutputTarget = outFs && !args.stream ? await prepareOutput({ path: args.output, fs: outFs, inputs: args.inputs }) : { path: args.output };

  // 1. Inodes and content.
  const plan = planInodes(args.tree);
  const all = [plan.root, ...plan.inodes];
  let newest = Number.NEGATIVE_INFINITY;
  for (const p of all) if (Number.isFinite(p.node.mtime)) newest = Math.max(newest, p.node.mtime);
  const imageTime = opts.epoch ?? (Number.isFinite(newest) ? newest : 0);
  const timeOf = (p: PlannedInode): number => {
    const t = Number.isFinite(p.node.mtime) ? Math.trunc(p.node.mtime) : imageTime;
    return opts.epoch !== undefined ? Math.min(t, opts.epoch) : t;
  };
  const scans = await scanAll(all, bs, fs, args.onProgress);

  // 2. What each inode needs.
  const laid = all.map((p) => describe(p, bs, scans.get(p)));
  let dataBlocks = 0;
  for (const l of laid) dataBlocks += countBlocks(l.runs, bs);
  const geo = chooseGeometry({
    blockSize: bs, dataBlocks, usedInodes: plan.lastIno,
    size: opts.size ?? 'auto', extraFree: opts.extraFree, inodes: opts.inodes, reservedPercent,
  });

  // 3. Allocation and metadata.
  const alloc = new SequentialAllocator(geo);
  const pieces: Piece[] = [];
  const id = new IdentityHash().addNumbers(bs, geo.blocksCount, geo.inodesCount, reservedPercent, imageTime).add(label);
  const dirsPerGroup = new Map<number, number>();
  const inodes: { ino: number; inode: Inode }[] = [];
  for (const l of laid) {
    const p = l.planned;
    const map = mapBlocks(l.runs, bs, alloc);
    placeData(l, map, bs, pieces, id);
    const block = l.fastTarget ?? map.iBlock;
    const node = p.node;
    if (node.type === 'char' || node.type === 'block') encodeDevice(node.major, node.minor, block);
    inodes.push({
      ino: p.ino,
      inode: { mode: modeOf(node), uid: node.uid, gid: node.gid, size: l.size, time: timeOf(p), linksCount: p.links, sectors: map.blocks * (bs / 512), block },
    });
    if (node.type === 'dir') {
      const g = Math.floor((p.ino - 1) / geo.inodesPerGroup);
      dirsPerGroup.set(g, (dirsPerGroup.get(g) ?? 0) + 1);
    }
  }
  const inodeTables = buildInodeTables(geo, inodes);
  for (const g of [...inodeTables.keys()].sort((a, b) => a - b)) id.add(inodeTables.get(g)!);
  const { uuid, hashSeed } = id.finish();
  const labelField = new Uint8Array(16);
  labelField.set(label);
  const reserved = reservedBlocks(geo.blocksCount, reservedPercent);
  const meta = buildMetadata({ geo, alloc, lastIno: plan.lastIno, dirsPerGroup, inodeTables, reservedBlocks: reserved, time: imageTime, uuid, hashSeed, label: labelField });
  for (const p of meta.pieces) pieces.push(p);
  pieces.sort((a, b) => a.phys - b.phys);

  // 4. Stream into a temp file beside the target (output-file.ts), then rename; or into the caller's stream.
  const windowBytes = Math.min(WINDOW_BYTES, geo.blocksCount * bs);
  const hasher: ImageHasher = opts.hash === false ? new NoHasher(windowBytes) : new InlineHasher(windowBytes);
  const stream = (out: ImageFileHandle) => streamImage({
    out, fs, pieces, blockSize: bs, blocksCount: geo.blocksCount, hasher, windowBytes,
    onProgress: (done, total) => args.onProgress?.({ phase: 'write', done, total }),
  });
  const summary = (sha256: string): ImageSummary => ({
    path: args.output,
    bytes: geo.blocksCount * bs,
    sha256,
    blockSize: bs,
    blocks: geo.blocksCount,
    freeBlocks: meta.freeBlocks,
    inodes: geo.inodesCount,
    freeInodes: meta.freeInodes,
    uuid: formatUuid(uuid),
  });
  if (args.stream) {
    await stream(args.stream);
    const digest = await hasher.digest();
    await args.stream.truncate(geo.blocksCount * bs);
    await args.stream.close();
    return summary(digest);
  }
  const tmp = tempPathFor(target.path, randomBytes(4).toString('hex'));
  let sha256: string;
  let out;
  args.temps?.add(tmp);
  try {
    // 'wx': a name planted in the meantime (a symbolic link) is never followed.
    out = yielding(await fs.open(tmp, 'wx', target.existing?.mode ?? 0o644));
    // The replaced image's permissions, whatever the umask.
    if (target.existing && outFs) await outFs.chmod(tmp, target.existing.mode);
  } catch (err) {
    if (out) await out.close().catch(() => undefined);
    await fs.rm(tmp, { force: true }).catch(() => undefined);
    args.temps?.delete(tmp);
    throw outputError(err, args.output);
  }
  try {
    await stream(out);
    sha256 = await hasher.digest();
    await out.truncate(geo.blocksCount * bs);
    await out.close();
    out = undefined;
    if (outFs) await checkStillReplaceable(outFs, target, args.output);
    await fs.rename(tmp, target.path);
    args.temps?.delete(tmp);
  } catch (err) {
    if (out) await out.close().catch(() => undefined);
    await fs.rm(tmp, { force: true }).catch(() => undefined);
    args.temps?.delete(tmp);
    throw outputError(err, args.output);
  }
  return summary(sha256);
}

/**
 * The image handle, yielding to the event loop (setImmediate) after every
 * 8 MiB written: the writer's file I/O is synchronous under its promises, and
 * without a turn of the loop a SIGINT or SIGTERM handler (src/cli/signal-cleanup.ts)
 * could not run — and remove the temp file — until the whole image was written.
 */
function yielding(fh: ImageFileHandle): ImageFileHandle {
  let sinceYield = 0;
  return {
    read: (b, o, l, p) => fh.read(b, o, l, p),
    write: async (b, o, l, p) => {
      const r = await fh.write(b, o, l, p);
      sinceYield += r.bytesWritten;
      if (sinceYield >= YIELD_BYTES) {
        sinceYield = 0;
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
      return r;
    },
    truncate: (len) => fh.truncate(len),
    close: () => fh.close(),
  };
}

async function scanAll(all: PlannedInode[], bs: number, fs: ImageFs, onProgress: WriteImageArgs['onProgress']): Promise<Map<PlannedInode, ScannedContent>> {
  const allFiles = all.filter((p) => p.node.type === 'file');
  const out = new Map<PlannedInode, ScannedContent>();
  const budget: ScanBudget = { maxCachedFile: 1 << 20, remaining: 128 << 20 };
  let done = 0;
  // Most files of a tree are small: scanned in a plain loop, without a promise per file (~20k on the bench tree).
  const files: PlannedInode[] = []; // the rest, through file handles
  for (const p of allFiles) {
    if (p.node.type !== 'file') continue;
    const scanned = scanContentSync(p.node.content, bs, fs, budget, p.path);
    if (!scanned) { files.push(p); continue; }
    out.set(p, scanned);
    if (++done % YIELD_FILES === 0) {
      onProgress?.({ phase: 'scan', done, total: allFiles.length });
      // Host reads are synchronous: give signal handlers a turn (see yielding()).
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < files.length) {
      const p = files[next++]!;
      if (p.node.type !== 'file') continue;
      out.set(p, await scanContent(p.node.content, bs, fs, budget, p.path));
      if (++done % YIELD_FILES === 0) {
        onProgress?.({ phase: 'scan', done, total: allFiles.length });
        // Host reads are synchronous: give signal handlers a turn (see yielding()).
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
    }
  };
  await Promise.all(Array.from({ length: SCAN_CONCURRENCY }, worker));
  onProgress?.({ phase: 'scan', done, total: allFiles.length });
  return out;
}

/** What one inode stores: its size, its logical data blocks, and where their bytes come from. */
interface Laid {
  planned: PlannedInode;
  size: number;
  runs: { logical: number; count: number }[];
  src: Uint8Array | HostFile | null;
  /** Fast symlinks: the target packed into i_block. */
  fastTarget?: Uint32Array;
}

function hasOutputFs(fs: ImageFs & Partial<OutputFs>): fs is ImageFs & OutputFs {
  return typeof fs.lstat === 'function' && typeof fs.stat === 'function' && typeof fs.realpath === 'function'
    && typeof fs.mkdir === 'function' && typeof fs.chmod === 'function';
}

function describe(p: PlannedInode, bs: BlockSize, scan: ScannedContent | undefined): Laid {
  const node = p.node;
  switch (node.type) {
    case 'dir': {
      const data = encodeDir(p.entries!, bs, p.lostFound ? Math.ceil(16384 / bs) : 1);
      return { planned: p, size: data.length, runs: [{ logical: 0, count: data.length / bs }], src: data };
    }
    case 'file': {
      const s = scan!;
      const blocksNeeded = Math.ceil(s.size / bs);
      if (blocksNeeded > maxLogicalBlocks(bs) || s.size > 2 ** 46) {
        throw usageError('EXT2_FILE_TOO_LARGE', `${displayName(p.path)} is ${s.size} bytes, more than ext2 with ${bs}-byte blocks can store`,
          'use a larger --block-size', { path: displayName(p.path), size: s.size });
      }
      const src = s.data ?? (s.hostPath ? { path: s.hostPath, where: p.path, remaining: 0 } : null);
      return { planned: p, size: s.size, runs: s.runs, src };
    }
    case 'symlink': {
      const t = node.target;
      if (t.length <= FAST_SYMLINK_MAX) {
        const bytes = new Uint8Array(60);
        bytes.set(t);
        const v = new DataView(bytes.buffer);
        const words = new Uint32Array(15);
        for (let i = 0; i < 15; i++) words[i] = v.getUint32(i * 4, true);
        return { planned: p, size: t.length, runs: [], src: null, fastTarget: words };
      }
      if (t.length >= bs) {
        throw usageError('EXT2_SYMLINK_TOO_LONG', `${displayName(p.path)}: symlink target is ${t.length} bytes; with ${bs}-byte blocks it must be shorter than ${bs}`,
          'shorten the target or use a larger --block-size', { path: displayName(p.path), length: t.length, blockSize: bs });
      }
      return { planned: p, size: t.length, runs: [{ logical: 0, count: 1 }], src: t };
    }
    default:
      return { planned: p, size: 0, runs: [], src: null };
  }
}

function placeData(l: Laid, map: BlockMap, bs: number, pieces: Piece[], id: IdentityHash): void {
  for (const ind of map.indirect) {
    const bytes = indirectBytes(ind.words);
    pieces.push({ phys: ind.phys, count: 1, src: bytes, offset: 0, length: bytes.length });
  }
  const src = l.src;
  if (!src) return;
  if (src instanceof Uint8Array) {
    if (l.planned.node.type !== 'file' || l.planned.node.content.kind === 'bytes') id.add(src);
  } else {
    src.remaining = map.data.length;
  }
  for (const run of map.data) {
    const offset = run.logical * bs;
    const srcLen = src instanceof Uint8Array ? src.length : l.size;
    pieces.push({ phys: run.phys, count: run.count, src, offset, length: Math.min(run.count * bs, srcLen - offset) });
  }
}
