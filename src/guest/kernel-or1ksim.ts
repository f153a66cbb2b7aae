/**
 * The how-to's kernel: `make ARCH=openrisc defconfig` (which selects
 * or1ksim_defconfig) from the same linux-source-6.12 and or1k-elf toolchain as
 * the virt kernel, with no fragment. It has no block layer, so its root file
 * system arrives as an initramfs (`boot --initrd`, QEMU `-initrd`); it boots on
 * the or1k-sim board. Built once per kernel inputs into
 * `<cache>/guest/kernel-or1ksim-<key>` (renamed into place when complete), next
 * to the virt kernel's `kernel-<key>`.
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { MkrootfsError } from '../errors.ts';
import { guestDirs, or1ksimKernelKey } from './cache.ts';
import { buildKernel, configLine, extractKernel, kernelMakeEnv, parseConfigFragment, unmetSettings } from './kernel.ts';
import { withLock } from './lock.ts';
import { installedVersions, KEY_PACKAGES } from './packages.ts';
import { runStep, type StepContext } from './step.ts';

/**
 * What the rest of mkrootfs relies on in the defconfig kernel; checked after
 * configuring so a changed defconfig fails the build instead of the boot.
 */
const REQUIRED = `
CONFIG_BLK_DEV_INITRD=y
CONFIG_SERIAL_8250=y
CONFIG_SERIAL_8250_CONSOLE=y
CONFIG_SERIAL_OF_PLATFORM=y
CONFIG_ETHOC=y
`;

export interface Or1ksimKernelOptions {
  cacheDir: string;
  /** The sanitised build environment (PATH, HOME, locale). */
  env: Record<string, string>;
  progress: (line: string) => void;
  /** false: return undefined when it is not built instead of building it. */
  build: boolean;
  jobs?: number;
}

/** The or1ksim_defconfig vmlinux in the cache, built first if needed (and allowed); undefined if absent and not built. */
export async function or1ksimKernel(opts: Or1ksimKernelOptions): Promise<string | undefined> {
  const versions = await installedVersions(KEY_PACKAGES, { memoDir: guestDirs(opts.cacheDir, 'x').root });
  if (KEY_PACKAGES.some((p) => versions[p] === undefined)) return undefined;
  const key = or1ksimKernelKey(versions as Record<string, string>);
  const dirs = guestDirs(opts.cacheDir, key);
  const partDir = dirs.kernelOr1ksim(key);
  const vmlinux = join(partDir, 'vmlinux');
  if (existsSync(vmlinux) || !opts.build) return existsSync(vmlinux) ? vmlinux : undefined;

  return withLock(join(dirs.root, `.lock-kernel-or1ksim-${key}`), opts.progress, async () => {
    if (existsSync(vmlinux)) return vmlinux;
    const started = performance.now();
    const build = join(dirs.root, `.build-kernel-or1ksim-${key}`);
    const stage = join(build, 'part');
    const work = join(build, 'work');
    opts.progress(`guest: building the or1ksim_defconfig kernel ${key} in ${build} (several minutes)`);
    rmSync(build, { recursive: true, force: true });
    mkdirSync(join(stage, 'logs'), { recursive: true });
    mkdirSync(work, { recursive: true });
    const ctx: StepContext = { logs: join(stage, 'logs'), env: opts.env, progress: opts.progress, now: () => performance.now() };
    const src = await extractKernel(ctx, work);
    await configureDefconfig(ctx, src);
    await buildKernel(ctx, src, join(stage, 'vmlinux'), opts.jobs ?? availableParallelism() + 1);
    copyFileSync(join(src, '.config'), join(stage, 'kernel.config'));
    renameSync(stage, partDir);
    rmSync(build, { recursive: true, force: true });
    opts.progress(`guest: or1ksim_defconfig kernel ready in ${partDir} (${((performance.now() - started) / 1000).toFixed(0)} s)`);
    return vmlinux;
  });
}

/** `make defconfig`, then checks the settings mkrootfs relies on. */
async function configureDefconfig(ctx: StepContext, srcDir: string): Promise<void> {
  const required = parseConfigFragment(REQUIRED, 'kernel-or1ksim.ts');
  await runStep(ctx, 'kernel-or1ksim-config', async (r) => {
    await r.run('make', ['defconfig'], { cwd: srcDir, env: kernelMakeEnv(srcDir) });
    const unmet = unmetSettings(required, readFileSync(join(srcDir, '.config'), 'utf8'));
    if (unmet.length > 0) {
      throw new MkrootfsError({
        code: 'GUEST_BAD_CONFIG',
        message: `the openrisc defconfig does not set ${unmet.map(configLine).join(', ')}`,
        hint: 'the kernel source changed its or1ksim_defconfig; update REQUIRED in src/guest/kernel-or1ksim.ts',
        data: { unmet },
      });
    }
  });
}
