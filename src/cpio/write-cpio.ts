/**
 * writeCpioFile: staging tree → initramfs, a newc cpio archive (optionally
 * gzip-compressed), from the same tree the ext2 writer takes.
 *
 * 1. list the entries and their header fields (entry-plan.ts: tree order,
 *    inode numbers from the tree, SOURCE_DATE_EPOCH clamping);
 * 2. stream headers, names, file contents (host files read in place) and
 *    padding into a temp file beside the target, through gzip for cpio.gz,
 *    hashing what reaches the file;
 * 3. end with TRAILER!!!, pad the archive to a multiple of 512 bytes (as GNU
 *    cpio and the kernel's gen_init_cpio do; the kernel skips zero padding),
 *    and rename the temp file into place only on success (output-file.ts).
 */
import { randomBytes } from 'node:crypto';
import { hostError } from '../ext2/content-scan.ts';
import { nodeImageFs, type ImageFileHandle, type ImageFs } from '../ext2/image-fs.ts';
import { checkStillReplaceable, nodeOutputFs, outputError, prepareOutput, tempPathFor, type OutputFs, type OutputTarget } from '../ext2/output-file.ts';
import type { TempPaths } from '../temp-paths.ts';
import type { Tree } from '../tree/tree.ts';
import { fileSink, gzipSink, type ByteSink } from './byte-sink.ts';
import { ChunkedWriter } from './chunked-writer.ts';
import { planEntries, type CpioEntry, type EntryPlan } from './entry-plan.ts';
import { encodeHeader, encodeTrailer, pad4 } from './newc-header.ts';

/** The archive is padded with zeros to a multiple of this. */
export const ARCHIVE_BLOCK = 512;

export interface CpioOptions {
  /** SOURCE_DATE_EPOCH: every mtime is clamped to it. */
  epoch?: number;
  /** gzip-compress the archive (format cpio.gz). Default false. */
  gzip?: boolean;
  /** Compute the SHA-256 of the written file (CpioSummary.sha256). Default true. */
  hash?: boolean;
}

export interface CpioSummary {
  format: 'cpio' | 'cpio.gz';
  path: string;
  /** Size of the written file (compressed, for cpio.gz). */
  bytes: number;
  /** SHA-256 of the written file (hex); '' when written with options.hash false. */
  sha256: string;
  /** Entries in the archive, the trailer not counted. */
  entries: number;
  /** Distinct inodes among them (hard links share one). */
  inodes: number;
  /** Size of the cpio archive before compression (equals bytes for cpio). */
  archiveBytes: number;
}

export interface WriteCpioArgs {
  tree: Tree;
  /** The archive path. Only a regular file or nothing there is replaced; missing directories are created. */
  output: string;
  options?: CpioOptions;
  /** The file system; when it also has lstat, stat, realpath, mkdir and chmod (memfs does), the output checks use it too. */
  fs?: ImageFs & Partial<OutputFs>;
  /** Host files the build reads: the output must not be one of them. */
  inputs?: readonly string[];
  /** Told of the temp file while it exists, so that an interrupted build can remove it. */
  temps?: TempPaths;
  onProgress?: (p: { phase: string; done: number; total: number }) => void;
}

export async function writeCpioFile(args: WriteCpioArgs): Promise<CpioSummary> {
  const fs: ImageFs = args.fs ?? nodeImageFs;
  const outFs: OutputFs | undefined = args.fs === undefined ? nodeOutputFs : hasOutputFs(args.fs) ? args.fs : undefined;
  const opts = args.options ?? {};
  const plan = planEntries(args.tree, { epoch: opts.epoch });
  const target: OutputTarget = outFs ? await prepareOutput({ path: args.output, fs: outFs, inputs: args.inputs }) : { path: args.output };

  const tmp = tempPathFor(target.path, randomBytes(4).toString('hex'));
  let out: ImageFileHandle | undefined;
  args.temps?.add(tmp);
  try {
    try {
      // 'wx': a name planted in the meantime (a symbolic link) is never followed.
      out = await fs.open(tmp, 'wx', target.existing?.mode ?? 0o644);
      // The replaced file's permissions, whatever the umask.
      if (target.existing && outFs) await outFs.chmod(tmp, target.existing.mode);
    } catch (err) {
      throw outputError(err, args.output);
    }
    const file = fileSink(out, { hash: opts.hash !== false });
    const sink: ByteSink = opts.gzip ? gzipSink(file) : file;
    const archiveBytes = await streamCpio({ plan, fs, sink, onProgress: args.onProgress });
    const written = await sink.end();
    await out.close();
    out = undefined;
    if (outFs) await checkStillReplaceable(outFs, target, args.output);
    await fs.rename(tmp, target.path);
    args.temps?.delete(tmp);
    return {
      format: opts.gzip ? 'cpio.gz' : 'cpio',
      path: args.output,
      bytes: written.bytes,
      sha256: written.sha256,
      entries: plan.entries.length,
      inodes: plan.entries.reduce((max, e) => Math.max(max, e.fields.ino), 0),
      archiveBytes,
    };
  } catch (err) {
    if (out) await out.close().catch(() => undefined);
    await fs.rm(tmp, { force: true }).catch(() => undefined);
    args.temps?.delete(tmp);
    throw outputError(err, args.output);
  }
}

/** Writes every entry of `plan`, the trailer and the final padding into `sink`; returns the archive's size. */
export async function streamCpio(args: {
  plan: EntryPlan; fs: ImageFs; sink: ByteSink; onProgress?: WriteCpioArgs['onProgress'];
}): Promise<number> {
  const total = archiveSize(args.plan);
  const w = new ChunkedWriter(args.sink, (done) => args.onProgress?.({ phase: 'write', done, total }));
  for (const e of args.plan.entries) {
    await w.put(encodeHeader(e.fields, e.name));
    if (e.data === 'target' && e.node.type === 'symlink') await w.put(e.node.target);
    else if (e.data === 'content') await putContent(w, e, args.fs);
    await w.zeros(pad4(e.fields.fileSize));
  }
  await w.put(encodeTrailer());
  await w.zeros(total - w.written);
  await w.flush();
  return w.written;
}

/** The archive's size: entries, trailer, and the padding to a multiple of 512. */
export function archiveSize(plan: EntryPlan): number {
  return Math.ceil(plan.bytes / ARCHIVE_BLOCK) * ARCHIVE_BLOCK;
}

async function putContent(w: ChunkedWriter, e: CpioEntry, fs: ImageFs): Promise<void> {
  if (e.node.type !== 'file') return;
  const c = e.node.content;
  if (c.kind === 'bytes') return w.put(c.data);
  if (c.kind === 'zero') return w.zeros(c.size);
  let fh: ImageFileHandle;
  try {
    fh = await fs.open(c.path, 'r');
  } catch (err) {
    throw hostError(err, c.path, e.path);
  }
  try {
    const got = await w.copyFrom(fh, c.size, (err) => hostError(err, c.path, e.path));
    if (got !== c.size) throw hostError(new Error(`file shrank during the build (${got} of ${c.size} bytes)`), c.path, e.path);
  } finally {
    await fh.close().catch(() => undefined);
  }
}

function hasOutputFs(fs: ImageFs & Partial<OutputFs>): fs is ImageFs & OutputFs {
  return typeof fs.lstat === 'function' && typeof fs.stat === 'function' && typeof fs.realpath === 'function'
    && typeof fs.mkdir === 'function' && typeof fs.chmod === 'function';
}
