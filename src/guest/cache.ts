/**
 * Where a guest build lives and what names it: the cache directory, the key
 * (a hash of every input that can change the output bytes), and the paths of
 * the outputs inside `<cacheDir>/guest/<key>`.
 */
import { createHash } from 'node:crypto';
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
