/**
 * Where a guest build lives and what names it: the cache directory, the key
 * (a hash of every input that can change the output bytes), and the paths of
 * the outputs inside `<cacheDir>/guest/<key>`.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

/**
 * Bump when the build recipe in this directory (steps, flags, layout) changes
 * in a way the package versions and assets do not capture. Editing comments
 * must not invalidate everyone's multi-minute kernel build, so the key does
 * not hash the TypeScript itself.
 */
export const GUEST_BUILD_REVISION = 1;

/** Everything that determines the guest's bytes. */
export interface GuestKeyInputs {
  /** Installed Debian package versions (dpkg-query), by package name. */
  packages: Record<string, string>;
  /** Source packages by name: the sha256 of their `.dsc` (which pins every tarball's checksum). */
  sources: Record<string, string>;
  /** Repository assets (src/guest/assets/*) by file name: sha256 of the content. */
  assets: Record<string, string>;
}

/** The cache key: 16 hex digits of a sha256 over the sorted inputs and the build revision. */
export function guestKey(inputs: GuestKeyInputs): string {
  const canonical = JSON.stringify({
    revision: GUEST_BUILD_REVISION,
    packages: sortedEntries(inputs.packages),
    sources: sortedEntries(inputs.sources),
    assets: sortedEntries(inputs.assets),
  });
  return createHash('sha256').update(canonical).digest('hex').slice(0, 16);
}

/**
 * The key of the kernel alone (kernel source, or1k-elf toolchain, config
 * fragment): a finished kernel is kept under `<cache>/guest/kernel-<key>` and
 * reused by guest builds that differ only in userland, so changing busybox,
 * musl or the wrapper does not rebuild Linux.
 */
export function kernelKey(inputs: GuestKeyInputs): string {
  const pick = (rec: Record<string, string>, names: string[]) => names.map((n) => [n, rec[n] ?? '']);
  const canonical = JSON.stringify({
    revision: GUEST_BUILD_REVISION,
    packages: pick(inputs.packages, ['binutils-or1k-elf', 'gcc-or1k-elf', 'linux-source-6.12']),
    assets: pick(inputs.assets, ['kernel.config']),
  });
  return createHash('sha256').update(canonical).digest('hex').slice(0, 16);
}

/**
 * The key of the how-to's kernel (`make ARCH=openrisc defconfig`, i.e.
 * or1ksim_defconfig, no fragment): kernel source and or1k-elf toolchain only.
 * Kept under `<cache>/guest/kernel-or1ksim-<key>`.
 */
export function or1ksimKernelKey(packages: Record<string, string>): string {
  const canonical = JSON.stringify({
    revision: GUEST_BUILD_REVISION,
    config: 'defconfig',
    packages: ['binutils-or1k-elf', 'gcc-or1k-elf', 'linux-source-6.12'].map((n) => [n, packages[n] ?? '']),
  });
  return createHash('sha256').update(canonical).digest('hex').slice(0, 16);
}

function sortedEntries(rec: Record<string, string>): [string, string][] {
  return Object.entries(rec).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

export function sha256Hex(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/**
 * The cache root: `--cache-dir`, else `$MKROOTFS_CACHE_DIR`, else
 * `$XDG_CACHE_HOME/mkrootfs`, else `~/.cache/mkrootfs`.
 */
export function resolveCacheDir(opts: { cacheDir?: string; env?: Record<string, string | undefined>; cwd?: string }): string {
  const env = opts.env ?? {};
  const cwd = opts.cwd ?? process.cwd();
  if (opts.cacheDir) return resolve(cwd, opts.cacheDir);
  if (env.MKROOTFS_CACHE_DIR) return resolve(cwd, env.MKROOTFS_CACHE_DIR);
  if (env.XDG_CACHE_HOME) return join(resolve(cwd, env.XDG_CACHE_HOME), 'mkrootfs');
  return join(env.HOME || homedir(), '.cache', 'mkrootfs');
}

/** The finished outputs of one guest build (what `mkrootfs guest --print` shows). */
export interface GuestPaths {
  key: string;
  /** `<cacheDir>/guest/<key>` */
  dir: string;
  /** The kernel ELF (`vmlinux`), loaded by the emulator or `qemu-system-or1k -kernel`. */
  kernel: string;
  /** busybox's `make install` tree (`bin sbin usr linuxrc`), a recipe layer. */
  busybox: string;
  /** The cross-compiler wrapper `or1k-linux-musl-gcc` for static programs. */
  cc: string;
  /** musl + Linux UAPI headers and static libraries. */
  sysroot: string;
  /** One `<step>.log` per build step. */
  logs: string;
}

/** Layout of a guest build directory (the same inside the temporary build directory). */
export function guestLayout(dir: string, key: string): GuestPaths {
  return {
    key,
    dir,
    kernel: join(dir, 'vmlinux'),
    busybox: join(dir, 'busybox'),
    cc: join(dir, 'bin', 'or1k-linux-musl-gcc'),
    sysroot: join(dir, 'sysroot'),
    logs: join(dir, 'logs'),
  };
}

/** The directories one cache root holds for guest builds. */
export function guestDirs(cacheDir: string, key: string) {
  const root = join(cacheDir, 'guest');
  return {
    root,
    /** Finished build, renamed into place atomically. */
    final: join(root, key),
    /** Temporary build directory; a fixed name per key so embedded paths do not vary. */
    build: join(root, `.build-${key}`),
    /** Held (mkdir) while a process builds this key. */
    lock: join(root, `.lock-${key}`),
    /** A finished kernel (vmlinux, .config, UAPI headers, logs) for a kernel key. */
    kernel: (kkey: string) => join(root, `kernel-${kkey}`),
    /** The or1ksim_defconfig kernel (vmlinux, .config, logs) for an or1ksimKernelKey. */
    kernelOr1ksim: (kkey: string) => join(root, `kernel-or1ksim-${kkey}`),
    /** Downloaded Debian source packages (`.dsc`, `.orig`, `.debian` tarballs). */
    sources: join(cacheDir, 'sources'),
  };
}

/** One finished step in a build directory's journal. */
export interface StepRecord {
  step: string;
  /** sha256 of the previous record's key and this step's name; the first record chains from the guest key. */
  key: string;
  /** What the step returned (JSON), handed back when the step is skipped. */
  result?: unknown;
}

/**
 * The journal of a guest build directory (`<build>/steps.json`): the steps
 * that finished, in order, each with its result. A build directory belongs to
 * one guest key, which hashes every input of the build (package versions,
 * source packages, assets, GUEST_BUILD_REVISION), and each record's key
 * chains that key with the names of the steps before it: a record is valid
 * only for the same inputs and the same steps before it.
 *
 * After an interrupted or failed run the next run skips the recorded steps
 * and resumes at the first unrecorded one; a step is recorded only after it
 * returned, so a half-finished step is redone (steps are written to be safe
 * to redo over their own leftovers). Running a step drops every record after
 * it: later steps are redone after an earlier one changed.
 */
export class StepJournal {
  private cursor = 0;

  private constructor(private readonly file: string, private readonly guestKey: string, private records: StepRecord[]) {}

  /**
   * Opens the journal of `buildDir` for `key`. Without a usable journal (none,
   * another key, damaged, or no step finished yet) the directory is emptied:
   * a fresh build.
   */
  static open(buildDir: string, key: string): StepJournal {
    const file = join(buildDir, 'steps.json');
    let records: StepRecord[] = [];
    try {
      const saved = JSON.parse(readFileSync(file, 'utf8')) as { key?: unknown; steps?: unknown };
      if (saved.key === key && Array.isArray(saved.steps)) records = saved.steps as StepRecord[];
    } catch {
      records = [];
    }
    if (records.length === 0) rmSync(buildDir, { recursive: true, force: true });
    mkdirSync(buildDir, { recursive: true });
    const journal = new StepJournal(file, key, records);
    journal.save();
    return journal;
  }

  /** Names of the steps recorded as finished (in order). */
  get finished(): string[] {
    return this.records.map((r) => r.step);
  }

  /** The record of `step` when it is the next one recorded with the same steps before it (the step is then skipped). */
  lookup(step: string): StepRecord | undefined {
    const r = this.records[this.cursor];
    if (r === undefined || r.step !== step || r.key !== this.keyAt(this.cursor, step)) return undefined;
    this.cursor++;
    return r;
  }

  /** `step` is about to run: every record from here on is dropped. */
  begin(step: string): void {
    void step;
    if (this.records.length > this.cursor) {
      this.records = this.records.slice(0, this.cursor);
      this.save();
    }
  }

  /** `step` returned `result`: recorded (atomically on disk). */
  finish(step: string, result: unknown): void {
    this.records = this.records.slice(0, this.cursor);
    this.records.push({ step, key: this.keyAt(this.cursor, step), ...(result === undefined ? {} : { result }) });
    this.cursor++;
    this.save();
  }

  private keyAt(index: number, step: string): string {
    const previous = index === 0 ? this.guestKey : this.records[index - 1]!.key;
    return sha256Hex(`${previous}\0${step}`);
  }

  private save(): void {
    const tmp = `${this.file}.tmp`;
    writeFileSync(tmp, JSON.stringify({ key: this.guestKey, steps: this.records }, null, 2) + '\n');
    renameSync(tmp, this.file);
  }
}
