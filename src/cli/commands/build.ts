/**
 * `mkrootfs build`: a recipe (delegated to ./build-recipe.ts) or a host
 * directory (`--from-dir`) → ext2 image (our own ext2 writer), or with
 * `--format cpio`/`cpio.gz` an initramfs (src/cpio/write-cpio.ts).
 */
import type { Command } from 'commander';
import { resolve } from 'node:path';
import type { CommandContext } from '../main.ts';
import { usageError } from '../../errors.ts';
import { importDir, type Owner } from '../../tree/import-dir.ts';
import { newTree } from '../../tree/tree.ts';
import { parseImageSize, sizeOptions } from '../../tree/size.ts';
import { writeImageFile, type ImageOptions, type ImageSummary } from '../../ext2/write-image.ts';
import { addRecipeOptions } from './recipe-options.ts';
import { parseSourceDateEpoch } from '../../source-date-epoch.ts';
import type { CliIo } from '../io.ts';
import { withSignalCleanup } from '../signal-cleanup.ts';
import { prepareOutput } from '../../ext2/output-file.ts';
import { DirHandles } from '../../tree/dir-handles.ts';
import type { TempPaths } from '../../temp-paths.ts';
import { withJunitReport } from '../junit-file.ts';
import type { BuildSummary } from '../../pipeline.ts';
import { writeCpioFile, type CpioOptions, type CpioSummary } from '../../cpio/write-cpio.ts';
import { EXT2_ONLY_FIELDS, isInitramfs, parseImageFormat } from '../../image-format.ts';
import { stdoutImage } from '../stdout-image.ts';
import { DEFAULT_EXCLUDES, compileExcludes } from '../../tree/exclude.ts';
import { BUILD_SUMMARY_HELP, buildSummaryJson, formatBuildSummary } from './build-summary.ts';

const HELP = `
Without a recipe, --from-dir and -o are required: the directories' contents
become the image (like genext2fs -d or mke2fs -d, but reproducible and without
root). --from-dir DIR[:DEST] may be repeated: the layers are copied in order,
later over earlier (an entry replaces what an earlier layer had at its path,
directories merge), each into DEST inside the image (default /; DEST starts
with "/", and the split is at the last ":/", so a DIR containing ":/" needs an
explicit :DEST). Owners default to root:root (--owner keep keeps the host's).
Times come from SOURCE_DATE_EPOCH when set (every mtime is clamped to it),
else from the tree.

Excludes: like Buildroot's overlays, every --from-dir layer leaves out
version-control directories and editor leftovers: .git .svn .hg .bzr CVS
.empty *~ (--no-default-excludes keeps them). --exclude GLOB (repeatable)
leaves out more, in every layer, with rsync's rules: a pattern matches whole
path components at any depth ("*.o", ".cache", "ssh/*_key" matches
etc/ssh/host_key); a leading "/" anchors it at the layer root ("/build"); a
trailing "/" matches directories only; * and ? do not cross "/", ** does;
[a-z] [!a-z] are sets; \\ escapes.
An excluded directory is left out with everything under it. (Recipe layers:
the layer's exclude: list, see recipes/README.md.)

--junit FILE writes a JUnit XML report (CI test reports): one testcase for the
build, failing with the error that stopped it (a recipe problem: its first
line as the message, every problem with its code frame in the body); its time
is wall-clock seconds. With GITHUB_ACTIONS=true errors are also printed as
::error file=...,line=...:: annotations at the recipe line.

Sizes: 64M, 1G, 65536 (bytes); auto = content plus a margin; +8M = content
plus 8 MiB of free space.

Formats (--format, or image: { format: ... } in a recipe):
  ext2     a file system image, booted as a disk (the default)
  cpio     an initramfs: a newc ("070701") cpio archive of the same tree, for
           the kernel to unpack into its rootfs (boot it with --initrd). Same
           tree and SOURCE_DATE_EPOCH, same bytes: entries in bytewise order,
           directories first, inode numbers from the tree, hard links sharing
           one inode (data on the first name). Files of 4 GiB or more do not
           fit newc's 32-bit size field and are an error.
  cpio.gz  the same archive, gzip-compressed (fixed settings, no name or time
           in the gzip header, so the bytes are reproducible too)
--size, --inodes, --block-size, --label and --reserved-percent apply to ext2
only: with a cpio format they are an error (in a recipe too). --format
overrides a recipe's image.format; the ext2 fields of a recipe written for
ext2 are then ignored, so any recipe can also be built as an initramfs.

-o - writes the image to stdout (it must be a pipe or a file, never a
terminal) and the summary to stderr: nothing but the image is on stdout.

The image's SHA-256 is computed only when asked for (--json or --sha256) on
--from-dir builds (recipe builds always compute it): it costs about 0.7 s of
CPU per GB of image.

The image is written to a temp file beside it and renamed into place: only a
regular file is ever replaced (keeping its permissions), never a device, FIFO
or one of the build's inputs; missing directories are created. SIGINT,
SIGTERM and SIGHUP remove the temp file, and the build ends by the signal.
${BUILD_SUMMARY_HELP}

Exit codes: 0 ok, 1 runtime error (unreadable input, I/O: full or read-only
disk), 2 invalid input (bad option or output path, tree does not fit the size),
128+n killed by signal n.

Examples:
  $ mkrootfs build recipes/busybox.yml
  $ mkrootfs build --from-dir ./rootfs -o out/rootfs.img --size 64M
  $ mkrootfs build --from-dir ./base --from-dir ./overlay --from-dir ./app:/opt/app -o out/rootfs.img
  $ mkrootfs build --from-dir ./rootfs --exclude '*.o' --exclude 'usr/share/doc/' -o out/rootfs.img
  $ mkrootfs build --from-dir ./rootfs -o - | gzip > rootfs.img.gz
  $ mkrootfs build --from-dir ./rootfs -o out/rootfs.img --size +8M --block-size 1024 --label rootfs
  $ SOURCE_DATE_EPOCH=1700000000 mkrootfs build --from-dir ./rootfs -o rootfs.img --owner keep --json
  $ mkrootfs build recipes/busybox.yml --junit out/build-junit.xml
  $ mkrootfs build --from-dir ./rootfs --format cpio -o out/initramfs.cpio
  $ mkrootfs build recipes/busybox.yml --format cpio.gz -o out/initramfs.cpio.gz`;

interface BuildFlags {
  fromDir?: string[];
  exclude?: string[];
  /** false with --no-default-excludes. */
  defaultExcludes?: boolean;
  output?: string;
  format?: string;
  size?: string;
  inodes?: string;
  blockSize?: string;
  owner?: string;
  label?: string;
  reservedPercent?: string;
  json?: boolean;
  sha256?: boolean;
}

export function defineBuild(program: Command, ctx: CommandContext): void {
  const cmd = program
    .command('build')
    .description('Build an ext2 image or a cpio initramfs from a recipe or from a host directory')
    .argument('[recipe]', 'recipe file (.yml); omit to use --from-dir')
    .option('--from-dir <dir[:dest]>', 'host directory whose contents go into the image at DEST (default /); repeat to layer, later over earlier', collect, undefined)
    .option('--exclude <glob>', 'leave matching entries of the --from-dir layers out (repeatable; rsync rules, see below)', collect, undefined)
    .option('--no-default-excludes', 'keep .git .svn .hg .bzr CVS .empty *~ (left out by default)')
    .option('-o, --output <image>', 'image file to write (replaced only on success); - for stdout')
    .option('--format <format>', 'what to write: ext2 (default), cpio (newc initramfs) or cpio.gz; overrides a recipe\'s image.format')
    .option('--size <size>', 'image size: 64M, auto, or +8M (content plus free space) (default: auto)')
    .option('--inodes <n>', 'number of inodes (default: the tree plus a margin)')
    .option('--block-size <bytes>', 'block size: 1024, 2048 or 4096 (default: 4096)')
    .option('--owner <owner>', 'file owners: root (default), keep (host uid/gid), or UID:GID')
    .option('--label <label>', 'volume label (at most 16 bytes)')
    .option('--reserved-percent <p>', 'blocks reserved for root, in percent (default: 5)')
    .option('--json', 'print the image summary as JSON on stdout (includes the sha256)')
    .option('--sha256', 'compute the image\'s SHA-256 and print it (always done with --json)')
    .option('--junit <file>', 'write a JUnit XML report to FILE: one testcase for the build, a recipe error as its failure')
    .addHelpText('after', HELP);
  addRecipeOptions(cmd);
  cmd.action(async (recipe: string | undefined, flags: BuildFlags & Record<string, unknown>) => withJunitReport(junitOf(ctx, recipe, flags), async () => {
    if (recipe !== undefined) {
      if (flags.fromDir !== undefined) throw usageError('BUILD_CONFLICT', 'give either a recipe or --from-dir, not both', 'drop one of them');
      if (flags.exclude !== undefined || flags.defaultExcludes === false) {
        throw usageError('BUILD_CONFLICT', '--exclude and --no-default-excludes apply to --from-dir builds', 'set exclude: on the recipe\'s layers instead');
      }
      const { runRecipeBuild } = await import('./build-recipe.ts');
      // SIGINT, SIGTERM, SIGHUP: remove temp files and scratch directories, then end by the signal.
      await withSignalCleanup((temps) => runRecipeBuild(recipe, flags, ctx, temps));
      return;
    }
    const summary = await withSignalCleanup((temps) => buildFromDir(flags, ctx.io, temps));
    // With -o - stdout carries the image: the summary goes to stderr.
    const out = flags.output === '-' ? ctx.io.stderr : ctx.io.stdout;
    if (flags.json) out.write(JSON.stringify(buildSummaryJson(summary), null, 2) + '\n');
    else out.write(formatBuildSummary(summary, ctx.io.cwd));
    ctx.setExit(0);
  }));
}

/** `--junit FILE`: the build as one testcase, named after the recipe or the directory. */
function junitOf(ctx: CommandContext, recipe: string | undefined, flags: Record<string, unknown>): Parameters<typeof withJunitReport>[0] {
  const subject = recipe ?? String(flags.fromDir ?? '');
  return {
    path: typeof flags.junit === 'string' ? resolve(ctx.io.cwd, flags.junit) : undefined,
    suite: `build ${subject}`.trim(),
    testcase: recipe !== undefined ? `build ${recipe}` : `build --from-dir ${subject}`,
    classname: `mkrootfs.build.${subject}`,
  };
}

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/** One --from-dir value: DIR, or DIR:DEST with DEST absolute (split at the last ":/"). */
export function parseFromDir(value: string): { dir: string; dest: string } {
  const at = value.lastIndexOf(':/');
  const dir = at < 0 ? value : value.slice(0, at);
  const dest = at < 0 ? '/' : value.slice(at + 1);
  if (dir === '') throw usageError('BAD_OPTION', `--from-dir ${value} names no directory`, 'write --from-dir DIR or --from-dir DIR:/dest', { flag: '--from-dir', value });
  return { dir, dest };
}

export function parseOwner(text: string): Owner {
  if (text === 'root' || text === 'keep') return text;
  const m = /^(\d+):(\d+)$/.exec(text);
  if (!m || Number(m[1]) > 0xffffffff || Number(m[2]) > 0xffffffff) {
    throw usageError('BAD_OWNER', `--owner ${text} is not root, keep or UID:GID`, 'e.g. --owner 0:0 or --owner keep', { value: text });
  }
  return { uid: Number(m[1]), gid: Number(m[2]) };
}

function parseInteger(text: string, flag: string, min: number, max: number): number {
  if (!/^\d+$/.test(text.trim()) || Number(text) < min || Number(text) > max) {
    throw usageError('BAD_OPTION', `${flag} ${text} must be a whole number from ${min} to ${max}`, `e.g. ${flag} ${min}`, { flag, value: text });
  }
  return Number(text);
}

/** Prints progress on stderr: a rewritten percentage on a terminal, a few plain lines otherwise. */
export function progressReporter(io: CliIo): { update: (p: { phase: string; done: number; total: number }) => void; end: () => void } {
  const tty = io.stderr.isTTY === true;
  let lastShown = -1;
  let shownAny = false;
  return {
    update: ({ phase, done, total }) => {
      if (phase !== 'write' || total < 64 << 20) return;
      const pct = Math.floor((done / total) * 100);
      const step = tty ? 1 : 25;
      if (Math.floor(pct / step) === Math.floor(lastShown / step)) return;
      lastShown = pct;
      shownAny = true;
      if (tty) io.stderr.write(`\rmkrootfs: writing image ${pct}%`);
      else io.stderr.write(`mkrootfs: writing image ${pct}%\n`);
    },
    end: () => { if (tty && shownAny) io.stderr.write('\n'); },
  };
}

/** ext2 geometry flags, by the image field they set. */
const EXT2_FLAGS: Record<(typeof EXT2_ONLY_FIELDS)[number], keyof BuildFlags> = {
  size: 'size', blockSize: 'blockSize', inodes: 'inodes', label: 'label', reservedPercent: 'reservedPercent',
};

export async function buildFromDir(flags: BuildFlags, io: CliIo, temps?: TempPaths): Promise<BuildSummary> {
  if (!flags.fromDir || flags.fromDir.length === 0) throw usageError('BUILD_NO_INPUT', 'nothing to build: give a recipe or --from-dir DIR', 'e.g. mkrootfs build --from-dir ./rootfs -o rootfs.img');
  if (!flags.output) throw usageError('BUILD_NO_OUTPUT', '--from-dir needs -o IMAGE (or -o - for stdout)', 'e.g. -o out/rootfs.img');
  const format = parseImageFormat(flags.format ?? 'ext2');
  if (flags.output === '-' && isInitramfs(format)) {
    throw usageError('STREAM_FORMAT', `-o - streams ext2 images only, not ${format}`, 'write the archive to a file: -o out/rootfs.cpio');
  }
  const epoch = parseSourceDateEpoch(io.env);
  // The whole-image digest is only worth its cost when it is reported.
  const hash = flags.json === true || flags.sha256 === true;
  const options = isInitramfs(format) ? cpioOptions(flags, format, epoch, hash) : ext2Options(flags, epoch, hash);
  const owner = parseOwner(flags.owner ?? 'root');
  const layers = flags.fromDir.map(parseFromDir);
  const exclude = compileExcludes([...(flags.defaultExcludes === false ? [] : DEFAULT_EXCLUDES), ...(flags.exclude ?? [])], '--exclude');
  const toStdout = flags.output === '-';
  const stream = toStdout ? stdoutImage(io) : undefined;
  const output = toStdout ? '-' : resolve(io.cwd, flags.output);
  // Before any work: the output must be a usable path.
  const target = toStdout ? undefined : await prepareOutput({ path: output });
  const tree = newTree();
  // Trees deeper than PATH_MAX are named through open directories, kept until the image is written.
  const handles = new DirHandles();
  const progress = progressReporter(io);
  try {
    // In order, later over earlier: the same importer as recipe directory layers, so the same conflict rules.
    for (const layer of layers) {
      await importDir({
        tree, hostPath: resolve(io.cwd, layer.dir), dest: layer.dest, owner, handles, exclude,
        output: target?.existing ? { ...target.existing, path: output } : undefined,
      });
    }
    // The one staging tree, written by the format's writer.
    if (options.kind === 'cpio') return await writeCpioFile({ tree, output, options: options.cpio, onProgress: progress.update, temps });
    return { format: 'ext2', ...await writeImageFile({ tree, output, options: options.ext2, onProgress: progress.update, temps, stream }) };
  } finally {
    handles.close();
    progress.end();
  }
}

function ext2Options(flags: BuildFlags, epoch: number | undefined, hash: boolean): { kind: 'ext2'; ext2: ImageOptions } {
  const options: ImageOptions = {
    ...sizeOptions(parseImageSize(flags.size ?? 'auto', '--size')),
    blockSize: parseInteger(flags.blockSize ?? '4096', '--block-size', 1024, 4096) as 1024,
    reservedPercent: parseInteger(flags.reservedPercent ?? '5', '--reserved-percent', 0, 50),
    epoch,
    hash,
  };
  if (![1024, 2048, 4096].includes(options.blockSize!)) throw usageError('EXT2_BAD_BLOCK_SIZE', `--block-size ${flags.blockSize} is not supported`, 'use 1024, 2048 or 4096');
  if (flags.inodes !== undefined) options.inodes = parseInteger(flags.inodes, '--inodes', 1, 0xffffffff);
  if (flags.label !== undefined) options.label = flags.label;
  return { kind: 'ext2', ext2: options };
}

/** A cpio archive has no geometry: an ext2 flag with it is an error naming the flag. */
function cpioOptions(flags: BuildFlags, format: 'cpio' | 'cpio.gz', epoch: number | undefined, hash: boolean): { kind: 'cpio'; cpio: CpioOptions } {
  for (const field of EXT2_ONLY_FIELDS) {
    if (flags[EXT2_FLAGS[field]] === undefined) continue;
    const flag = '--' + field.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase());
    throw usageError('FORMAT_CONFLICT', `${flag} applies to ext2 images only; --format ${format} writes a cpio archive`,
      `drop ${flag}, or build an ext2 image (--format ext2)`, { flag, format });
  }
  return { kind: 'cpio', cpio: { epoch, gzip: format === 'cpio.gz', hash } };
}
