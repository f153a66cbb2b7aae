/**
 * buildGuest: the or1k guest (Linux 6.12 vmlinux, static busybox, musl
 * sysroot, cross-compiler wrapper) built from Debian packages and cached under
 * `<cacheDir>/guest/<key>`. A cached build returns at once; a new one is built
 * in `<cacheDir>/guest/.build-<key>` and renamed into place only when every
 * step succeeded, so an interrupted build never leaves a half cache.
 */
import { createHash } from 'node:crypto';
import { copyFileSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MkrootfsError } from '../errors.ts';
import { StepJournal, guestDirs, guestKey, guestLayout, kernelKey, resolveCacheDir, sha256Hex, type GuestKeyInputs, type GuestPaths } from './cache.ts';
import { ensurePackages, ensureSources, findDsc, installedVersions, isRoot, KEY_PACKAGES, SOURCE_PACKAGES, type SourcePackage } from './packages.ts';
import { buildKernel, configureKernel, extractKernel, installKernelHeaders } from './kernel.ts';
import { buildMusl } from './musl.ts';
import { installToolchain, toolchainFacts } from './toolchain.ts';
import { buildBusybox } from './busybox.ts';
import { withLock } from './lock.ts';
import { or1ksimKernel } from './kernel-or1ksim.ts';
import { checkHostTools } from './host-tools.ts';
import type { GuestProgress, StepContext, StepEvent } from './step.ts';

export type { GuestPaths } from './cache.ts';
export type { GuestProgress, StepEvent } from './step.ts';

/** Assets shipped with the repository that shape the build (hashed into the key). */
/** Beside this module: src/guest/assets, or its copy in dist/src/guest/assets (scripts/build.mjs). */
export const ASSETS_DIR = join(dirname(fileURLToPath(import.meta.url)), 'assets');

/** busybox's build date (SOURCE_DATE_EPOCH): fixed, like the kernel's KBUILD_BUILD_TIMESTAMP. */
export const GUEST_EPOCH = 0;

export interface BuildGuestOptions {
  /** Cache root (default: $MKROOTFS_CACHE_DIR, else ~/.cache/mkrootfs). */
  cacheDir?: string;
  /** Environment (PATH, HOME, MKROOTFS_CACHE_DIR). Default: process.env. */
  env?: Record<string, string | undefined>;
  /** false: never build; throw GUEST_NOT_BUILT when the cache lacks this key. Default true. */
  build?: boolean;
  /** Progress lines (step names, elapsed seconds). Default: process.stderr. */
  progress?: GuestProgress;
  /** Step events (start, done, failed, resumed) for a live display; without it they are lines on `progress`. */
  onStep?: (e: StepEvent) => void;
  /** Whether missing Debian packages may be installed. Default: running as root. */
  root?: boolean;
  /** Parallel make jobs. Default: CPUs + 1. */
  jobs?: number;
}

export interface GuestResult extends GuestPaths {
  /** True when this call built the guest, false when it came from the cache. */
  built: boolean;
  /**
   * The how-to's `make defconfig` (or1ksim_defconfig) vmlinux, for the or1k-sim
   * board and an initramfs; absent only with `build: false` when not built yet.
   */
  kernelOr1ksim?: string;
}

/**
 * Returns the guest build for the installed packages and this repository's
 * assets, building it if needed, and the or1ksim_defconfig kernel beside it.
 */
export async function buildGuest(opts: BuildGuestOptions = {}): Promise<GuestResult> {
  const guest = await buildMainGuest(opts);
  const env = opts.env ?? process.env;
  const kernelOr1ksim = await or1ksimKernel({
    cacheDir: resolveCacheDir({ cacheDir: opts.cacheDir, env }),
    env: buildEnv(env),
    progress: opts.progress ?? ((line: string) => { process.stderr.write(line + '\n'); }),
    build: opts.build ?? true,
    jobs: opts.jobs,
  });
  return kernelOr1ksim === undefined ? guest : { ...guest, kernelOr1ksim };
}

async function buildMainGuest(opts: BuildGuestOptions): Promise<GuestResult> {
  const env = opts.env ?? process.env;
  const cacheDir = resolveCacheDir({ cacheDir: opts.cacheDir, env });
  const progress = opts.progress ?? ((line: string) => { process.stderr.write(line + '\n'); });
  const root = opts.root ?? isRoot();
  const build = opts.build ?? true;
  const dirs0 = guestDirs(cacheDir, 'x');
  const setupCtx = (): StepContext => {
    mkdirSync(dirs0.root, { recursive: true });
    return { logs: dirs0.root, env: buildEnv(env), progress, now: () => performance.now(), onStep: opts.onStep };
  };

  // The key needs installed package versions and downloaded sources.
  let inputs = await currentInputs(dirs0.sources, dirs0.root);
  if (inputs === undefined) {
    if (!build) throw notBuilt(cacheDir, 'the Debian packages or source packages it needs are missing');
    await ensurePackages(setupCtx(), { root });
    await ensureSources(setupCtx(), { sourcesDir: dirs0.sources, root });
    inputs = await currentInputs(dirs0.sources, dirs0.root);
    if (inputs === undefined) throw new MkrootfsError({ code: 'INTERNAL', message: 'guest inputs still missing after installing them' });
  }
  const key = guestKey(inputs.key);
  const dirs = guestDirs(cacheDir, key);
  if (isComplete(dirs.final)) return { ...guestLayout(dirs.final, key), built: false };
  if (!build) throw notBuilt(cacheDir, `no guest build for key ${key} in ${dirs.root}`);

  await ensurePackages(setupCtx(), { root });
  checkHostTools(buildEnv(env).PATH!);
  return withLock(dirs.lock, progress, async () => {
    if (isComplete(dirs.final)) return { ...guestLayout(dirs.final, key), built: false };
    const started = performance.now();
    // Steps an interrupted run finished are kept (cache.ts StepJournal); without any, a fresh directory.
    const journal = StepJournal.open(dirs.build, key);
    const kept = journal.finished;
    progress(kept.length > 0
      ? `guest: resuming ${key} in ${dirs.build} after ${kept.join(', ')} (finished by an earlier run)`
      : `guest: building ${key} in ${dirs.build} (kernel, musl, busybox; several minutes)`);
    const out = guestLayout(join(dirs.build, 'out'), key);
    const work = join(dirs.build, 'work');
    mkdirSync(out.logs, { recursive: true });
    mkdirSync(work, { recursive: true });
    const ctx: StepContext = { logs: out.logs, env: buildEnv(env), progress, now: () => performance.now(), onStep: opts.onStep, journal };
    const jobs = opts.jobs ?? availableParallelism() + 1;

    await kernelPart(ctx, dirs.kernel(kernelKey(inputs.key)), join(dirs.build, 'kernel-part'), work, jobs, out);
    const facts = await toolchainFacts(ctx.env);
    await buildMusl(ctx, { dsc: inputs.dsc.musl, workDir: work, sysroot: out.sysroot, jobs, libgcc: facts.libgcc });
    await installToolchain(ctx, { binDir: dirname(out.cc), sysroot: out.sysroot, assetsDir: ASSETS_DIR, facts, workDir: work });
    await buildBusybox(ctx, { dsc: inputs.dsc.busybox, workDir: work, binDir: dirname(out.cc), installDir: out.busybox, jobs, epoch: GUEST_EPOCH, configCopy: join(out.dir, 'busybox.config') });

    writeFileSync(join(out.dir, 'manifest.json'), JSON.stringify(manifest(out, inputs.key), null, 2) + '\n');
    // An incomplete final directory (no manifest: not ours, or damaged) is replaced.
    rmSync(dirs.final, { recursive: true, force: true });
    renameSync(out.dir, dirs.final);
    rmSync(dirs.build, { recursive: true, force: true });
    progress(`guest: ${key} ready in ${dirs.final} (${((performance.now() - started) / 1000).toFixed(0)} s)`);
    return { ...guestLayout(dirs.final, key), built: true };
  });
}

/**
 * The kernel for this build: reused from `partDir` when a previous build made
 * it, else extracted, configured and built (then kept in `partDir`). Copies
 * vmlinux, its .config, the UAPI headers (into the sysroot) and the kernel
 * steps' logs into `out`.
 */
async function kernelPart(ctx: StepContext, partDir: string, stageDir: string, work: string, jobs: number, out: GuestPaths): Promise<void> {
  if (existsSync(join(partDir, 'vmlinux'))) {
    ctx.progress(`guest: kernel reused from ${partDir}`);
  } else {
    // stageDir is inside the build directory: fresh on a fresh build, kept with its finished steps on a resumed one.
    mkdirSync(join(stageDir, 'logs'), { recursive: true });
    const kctx: StepContext = { ...ctx, logs: join(stageDir, 'logs') };
    const src = await extractKernel(kctx, work);
    await configureKernel(kctx, src, join(ASSETS_DIR, 'kernel.config'));
    await buildKernel(kctx, src, join(stageDir, 'vmlinux'), jobs);
    await installKernelHeaders(kctx, src, join(stageDir, 'uapi'));
    // Safe to redo after an interruption here: the copy lands atomically, and the source goes only after it.
    if (!existsSync(join(stageDir, 'kernel.config'))) {
      copyFileSync(join(src, '.config'), join(stageDir, 'kernel.config.tmp'));
      renameSync(join(stageDir, 'kernel.config.tmp'), join(stageDir, 'kernel.config'));
    }
    rmSync(src, { recursive: true, force: true });
    try {
      renameSync(stageDir, partDir);
    } catch (err) {
      // Another build of the same kernel finished first: theirs is as good.
      if (!existsSync(join(partDir, 'vmlinux'))) throw err;
    }
  }
  copyFileSync(join(partDir, 'vmlinux'), out.kernel);
  copyFileSync(join(partDir, 'kernel.config'), join(out.dir, 'kernel.config'));
  cpSync(join(partDir, 'uapi'), out.sysroot, { recursive: true });
  cpSync(join(partDir, 'logs'), out.logs, { recursive: true });
}

/** Key inputs from the installed packages, downloaded sources and assets; undefined if something is missing. */
async function currentInputs(sourcesDir: string, memoDir: string): Promise<{ key: GuestKeyInputs; dsc: Record<SourcePackage, string> } | undefined> {
  const versions = await installedVersions(KEY_PACKAGES, { memoDir });
  if (KEY_PACKAGES.some((p) => versions[p] === undefined)) return undefined;
  const dsc = {} as Record<SourcePackage, string>;
  const sources: Record<string, string> = {};
  for (const p of SOURCE_PACKAGES) {
    const f = findDsc(sourcesDir, p);
    if (f === undefined) return undefined;
    dsc[p] = f;
    sources[p] = sha256Hex(readFileSync(f));
  }
  return { key: { packages: versions, sources, assets: assetHashes(ASSETS_DIR) }, dsc };
}

/** sha256 of every file in the assets directory, by name. */
export function assetHashes(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of readdirSync(dir).sort()) out[f] = sha256Hex(readFileSync(join(dir, f)));
  return out;
}

function isComplete(dir: string): boolean {
  return existsSync(join(dir, 'manifest.json'));
}

function notBuilt(cacheDir: string, why: string): MkrootfsError {
  return new MkrootfsError({
    code: 'GUEST_NOT_BUILT',
    message: `the or1k guest (kernel, busybox, toolchain) is not built: ${why} (cache: ${cacheDir})`,
    hint: 'run: mkrootfs guest',
    data: { cacheDir },
  });
}

/** The environment build commands see: PATH and HOME from the caller, a fixed locale and time zone, nothing else. */
function buildEnv(env: Record<string, string | undefined>): Record<string, string> {
  const out: Record<string, string> = { PATH: env.PATH ?? '/usr/local/bin:/usr/bin:/bin', LC_ALL: 'C', LANG: 'C', TZ: 'UTC' };
  if (env.HOME) out.HOME = env.HOME;
  if (env.TMPDIR) out.TMPDIR = env.TMPDIR;
  return out;
}

function manifest(out: GuestPaths, inputs: GuestKeyInputs) {
  const file = (p: string) => {
    const data = readFileSync(p);
    return { size: data.length, sha256: createHash('sha256').update(data).digest('hex') };
  };
  return {
    key: out.key,
    inputs,
    outputs: { vmlinux: file(out.kernel), busybox: file(join(out.busybox, 'bin', 'busybox')) },
  };
}
