/**
 * The pipeline: recipe file → resolved recipe → compiled programs → staging
 * tree → ext2 image, or cpio archive (the recipe's image.format). Each step
 * is exported on its own (the CLI shows them as progress tasks);
 * buildFromRecipe runs them all.
 */
import * as nodeFs from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { MkrootfsError, ioFailure, ioFailureCode, usageError, withContextAsync } from './errors.ts';
import { parseSourceDateEpoch } from './source-date-epoch.ts';
import type { Tree } from './tree/tree.ts';
import { loadRecipe as loadRecipeFile, type LoadedRecipe } from './recipe/load.ts';
import { recipeToTree, type DirImporter } from './recipe/to-tree.ts';
import type { HostFs } from './recipe/host-fs.ts';
import type { GuestResolver } from './recipe/vars.ts';
import { parseImageSize, sizeOptions } from './tree/size.ts';
import { importDir, type ImportFs } from './tree/import-dir.ts';
import { hostSink } from './tree/tar/host-sink.ts';
import { writeImageFile, type ImageSummary, type ImageOptions } from './ext2/write-image.ts';
import { prepareOutput } from './ext2/output-file.ts';
import { writeCpioFile, type CpioSummary } from './cpio/write-cpio.ts';
import { EXT2_ONLY_FIELDS, defaultImageName, isInitramfs, type ImageFormat } from './image-format.ts';
import { DirHandles } from './tree/dir-handles.ts';
import type { TempPaths } from './temp-paths.ts';
import type { ImageFileHandle } from './ext2/image-fs.ts';

export type { LoadedRecipe } from './recipe/load.ts';
export type { Recipe, BootSection } from './recipe/schema.ts';
import type { ImageSection } from './recipe/schema.ts';

export interface RecipeProgress {
  step: 'load' | 'compile' | 'tree' | 'write';
  state: 'start' | 'done';
  detail?: string;
  /** On the write step: what is written. */
  format?: ImageFormat;
}

export interface LoadRecipeArgs {
  recipePath: string;
  /** `--set name=value` values. */
  sets?: Record<string, string>;
  /**
   * Environment for `vars: { x: { env: NAME } }` and SOURCE_DATE_EPOCH (default: none), and for
   * the guest builder when a recipe uses it (default there: the process environment).
   */
  env?: Record<string, string | undefined>;
  /** Directory relative paths are resolved from. Default: process.cwd(). */
  cwd?: string;
  fs?: HostFs;
  /** Resolves ${guest.KEY}; default: the guest builder (src/guest/vars.ts), loaded only when used. */
  guestVar?: GuestResolver;
  /** Guest cache directory (from .mkrootfsrc.yml), passed to the guest builder. */
  cacheDir?: string;
  /** Skip checking that host paths exist. */
  skipPathChecks?: boolean;
}

/** Compiles C sources into one static guest program (src/guest/compile.ts by default). */
export type CompileStatic = (args: { sources: string[]; output: string; cflags?: string[]; cwd: string }) => Promise<void>;

export interface BuildFromRecipeArgs extends LoadRecipeArgs {
  /** Image path; overrides the recipe's image.output. */
  output?: string;
  /** Overrides of the recipe's image section (command-line --size, --block-size ...). */
  image?: Partial<Pick<ImageSection, 'size' | 'blockSize' | 'inodes' | 'label' | 'reservedPercent'>>;
  /** Overrides the recipe's image.format (command-line --format). */
  format?: ImageFormat;
  /** Compiler for `programs`; default: the guest toolchain, loaded only when a recipe has programs. */
  compile?: CompileStatic;
  /** Directory for the default output name (from .mkrootfsrc.yml). Default "out". */
  outputDir?: string;
  onProgress?: (p: RecipeProgress) => void;
  /** Told of every scratch directory and temp file while it exists, so that an interrupted build can remove them (src/temp-paths.ts). */
  temps?: TempPaths;
  /** Write the image front to back into this handle (`-o -`: src/ext2/sequential-output.ts) instead of a file; the summary's path is then "-". */
  stream?: ImageFileHandle;
}

/** What a build wrote: an ext2 image's summary, or a cpio archive's (tell them apart by `format`). */
export type BuildSummary = (ImageSummary & { format: 'ext2' }) | CpioSummary;

export type RecipeBuildSummary = BuildSummary & {
  recipe: string;
  epoch: number;
};

/** Reads, merges, substitutes and validates a recipe; throws RecipeError listing every problem. */
export async function loadRecipe(args: LoadRecipeArgs): Promise<LoadedRecipe> {
  return loadRecipeFile({
    recipePath: args.recipePath,
    sets: args.sets,
    env: args.env ?? {},
    cwd: args.cwd ?? process.cwd(),
    fs: args.fs ?? (nodeFs as unknown as HostFs),
    guestVar: args.guestVar ?? defaultGuestVar(args.cacheDir, args.env),
    skipPathChecks: args.skipPathChecks,
  });
}

/**
 * What the build writes: the --format override, else the recipe's
 * image.format ('ext2' when not given). A cpio format is an initramfs: boot it
 * with `--initrd`, not as a disk (isInitramfs in src/image-format.ts).
 */
export function imageFormat(loaded: LoadedRecipe, override?: ImageFormat): ImageFormat {
  return override ?? loaded.recipe.image.format;
}

/** The image path a build writes: -o, else image.output, else <outputDir>/rootfs.img (rootfs.cpio, rootfs.cpio.gz) (relative to cwd). */
export function imageOutputPath(loaded: LoadedRecipe, args: { output?: string; outputDir?: string; cwd?: string; format?: ImageFormat }): string {
  const cwd = args.cwd ?? process.cwd();
  return resolve(cwd, args.output ?? loaded.recipe.image.output ?? join(args.outputDir ?? 'out', defaultImageName(imageFormat(loaded, args.format))));
}

/**
 * The host files a build reads: every recipe file merged, layer sources, file
 * sources, program sources and the device table. The image must not be one of
 * them (src/ext2/output-file.ts compares device and inode).
 */
export function recipeInputs(loaded: LoadedRecipe, cwd: string = process.cwd()): string[] {
  const r = loaded.recipe;
  return [
    ...loaded.files.map((f) => resolve(cwd, f)),
    ...r.layers.map((l) => l.source),
    ...r.files.flatMap((f) => (f.source !== undefined ? [f.source] : [])),
    ...r.programs.flatMap((p) => p.sources),
    ...(r.deviceTable !== undefined ? [r.deviceTable] : []),
  ];
}

/** SOURCE_DATE_EPOCH (src/source-date-epoch.ts), or 0 when unset: no build ever reads the clock. */
export function sourceDateEpoch(env: Record<string, string | undefined>): number {
  return parseSourceDateEpoch(env) ?? 0;
}

/** Compiles the recipe's programs into `workDir`; returns host paths by program index. */
export async function compilePrograms(loaded: LoadedRecipe, workDir: string, compile: CompileStatic): Promise<Map<number, string>> {
  const out = new Map<number, string>();
  if (loaded.recipe.programs.length === 0) return out;
  const compileStatic = compile;
  for (const [i, p] of loaded.recipe.programs.entries()) {
    const output = join(workDir, `program-${i}`);
    await withContextAsync(`while compiling ${p.path}`, () => compileStatic({ sources: p.sources, output, cflags: p.cflags, cwd: workDir }));
    out.set(i, output);
  }
  return out;
}

/**
 * The staging tree a recipe describes. With `workDir`, tar layers' file
 * contents are written there (host files, like a directory layer's) instead
 * of being held in memory; keep the directory until the image is written.
 */
export async function recipeTree(loaded: LoadedRecipe, opts: {
  fs?: HostFs; epoch: number; programs?: Map<number, string>; importDir?: DirImporter; workDir?: string; cwd?: string;
  /** For directory layers deeper than PATH_MAX: keeps their directories open until the image is written (see src/tree/dir-handles.ts). */
  handles?: DirHandles;
  /** The existing image: a directory layer holding it is an error. */
  output?: { dev: number; ino: number; path: string };
}): Promise<Tree> {
  return recipeToTree({
    recipe: loaded.recipe,
    locate: loaded.locate,
    sources: loaded.sources,
    fs: opts.fs ?? (nodeFs as unknown as HostFs),
    importDir: opts.importDir ?? ((a) => importDir({ ...a, handles: opts.handles, output: opts.output, ...(opts.fs ? { fs: opts.fs as unknown as ImportFs } : {}) })),
    epoch: opts.epoch,
    programs: opts.programs,
    tarSink: opts.workDir === undefined ? undefined : hostSink({ fs: nodeFs, dir: opts.workDir }),
    cwd: opts.cwd,
  });
}

/** The writer's options from the recipe's image section. */
export function imageOptions(loaded: LoadedRecipe, epoch: number, overrides: BuildFromRecipeArgs['image'] = {}): ImageOptions {
  const img = { ...loaded.recipe.image, ...Object.fromEntries(Object.entries(overrides).filter(([, v]) => v !== undefined)) };
  return {
    ...sizeOptions(parseImageSize(img.size ?? 'auto', 'image.size')),
    ...(img.blockSize !== undefined ? { blockSize: img.blockSize } : {}),
    ...(img.inodes !== undefined ? { inodes: img.inodes } : {}),
    ...(img.label !== undefined ? { label: img.label } : {}),
    ...(img.reservedPercent !== undefined ? { reservedPercent: img.reservedPercent } : {}),
    epoch,
  };
}

/** recipe.yml → image file. */
export async function buildFromRecipe(args: BuildFromRecipeArgs): Promise<RecipeBuildSummary> {
  const progress = args.onProgress ?? (() => {});
  const env = args.env ?? {};
  const cwd = args.cwd ?? process.cwd();
  const epoch = sourceDateEpoch(env);
  progress({ step: 'load', state: 'start', detail: args.recipePath });
  const loaded = await loadRecipe(args);
  progress({ step: 'load', state: 'done' });
  const format = imageFormat(loaded, args.format);
  if (isInitramfs(format)) rejectExt2Overrides(args.image, format);
  if (args.stream && isInitramfs(format)) {
    throw usageError('STREAM_FORMAT', `-o - streams ext2 images only, not ${format}`, 'write the archive to a file: -o out/rootfs.cpio');
  }
  const output = args.stream ? '-' : imageOutputPath(loaded, args);
  const inputs = recipeInputs(loaded, cwd);
  // Before any work: the output must be a usable path, and none of the inputs.
  const target = args.stream ? undefined : await prepareOutput({ path: output, inputs });
  // Scratch space for compiled programs and tar layers' contents; removed at the end.
  const workDir = await scratchDir();
  args.temps?.add(workDir);
  const handles = new DirHandles();
  try {
    let programs: Map<number, string> | undefined;
    if (loaded.recipe.programs.length > 0) {
      progress({ step: 'compile', state: 'start', detail: `${loaded.recipe.programs.length} program(s)` });
      programs = await compilePrograms(loaded, workDir, args.compile ?? defaultCompile(args.cacheDir, args.env));
      progress({ step: 'compile', state: 'done' });
    }
    progress({ step: 'tree', state: 'start' });
    const existing = target?.existing ? { ...target.existing, path: output } : undefined;
    const tree = await recipeTree(loaded, { fs: args.fs, epoch, programs, workDir, cwd, handles, output: existing });
    progress({ step: 'tree', state: 'done' });
    progress({ step: 'write', state: 'start', detail: args.stream ? 'stdout' : output, format });
    const summary: BuildSummary = isInitramfs(format)
      ? await writeCpioFile({ tree, output, options: { epoch, gzip: format === 'cpio.gz' }, inputs, temps: args.temps })
      : { format: 'ext2', ...await writeImageFile({ tree, output, options: imageOptions(loaded, epoch, args.image), inputs, temps: args.temps, stream: args.stream }) };
    progress({ step: 'write', state: 'done', format });
    return { ...summary, recipe: args.recipePath, epoch };
  } finally {
    handles.close();
    await nodeFs.rm(workDir, { recursive: true, force: true });
    args.temps?.delete(workDir);
  }
}

/** Command-line ext2 geometry (--size, --block-size ...) given for a cpio build is an error naming the flag. */
function rejectExt2Overrides(image: BuildFromRecipeArgs['image'], format: ImageFormat): void {
  for (const field of EXT2_ONLY_FIELDS) {
    if (image?.[field] === undefined) continue;
    const flag = '--' + field.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase());
    throw usageError('FORMAT_CONFLICT', `${flag} applies to ext2 images only; this build writes ${format}`,
      `drop ${flag}, or build an ext2 image (--format ext2)`, { flag, format });
  }
}

/** A fresh scratch directory in TMPDIR; a full or read-only TMPDIR is a runtime error (exit 1). */
async function scratchDir(): Promise<string> {
  try {
    return await nodeFs.mkdtemp(join(tmpdir(), 'mkrootfs-build-'));
  } catch (err) {
    if (ioFailureCode(err)) throw ioFailure(err, `while creating a scratch directory in ${tmpdir()}`);
    throw new MkrootfsError({
      code: 'SCRATCH_UNAVAILABLE',
      message: `cannot create a scratch directory in ${tmpdir()}: ${(err as Error).message}`,
      hint: 'set TMPDIR to a writable directory',
      data: { tmpdir: tmpdir(), errno: (err as NodeJS.ErrnoException).code },
      cause: err,
    });
  }
}

// ---- the guest builder, loaded only when a recipe needs it ----

function defaultGuestVar(cacheDir: string | undefined, env: Record<string, string | undefined> | undefined): GuestResolver {
  return async (key) => {
    const { guestVar } = await import('./guest/vars.ts');
    return guestVar(key, { cacheDir, env });
  };
}

function defaultCompile(cacheDir: string | undefined, env: Record<string, string | undefined> | undefined): CompileStatic {
  return async (a) => {
    const { compileStatic } = await import('./guest/compile.ts');
    return compileStatic({ ...a, cacheDir, env });
  };
}
