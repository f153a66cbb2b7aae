/**
 * The guest kernel: Linux 6.12 from Debian's linux-source-6.12 tarball,
 * `virt_defconfig` plus the fragment in assets/kernel.config, built with the
 * bare-metal or1k-elf toolchain. Also installs the kernel's UAPI headers into
 * the musl sysroot.
 */
import { copyFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MkrootfsError } from '../errors.ts';
import { KERNEL_TARBALL } from './packages.ts';
import { runStep, type StepContext } from './step.ts';

/** One line of a Kconfig fragment: `CONFIG_X=y|m|n|123|"str"` or `# CONFIG_X is not set`. */
export interface ConfigSetting {
  symbol: string;
  /** 'n' for `# CONFIG_X is not set`. */
  value: string;
  line: number;
}

/** Parses a Kconfig fragment; other comment lines and blanks are skipped. */
export function parseConfigFragment(text: string, file = 'kernel.config'): ConfigSetting[] {
  const out: ConfigSetting[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (line === '') return;
    const unset = /^# CONFIG_([A-Za-z0-9_]+) is not set$/.exec(line);
    if (unset) { out.push({ symbol: unset[1]!, value: 'n', line: i + 1 }); return; }
    if (line.startsWith('#')) return;
    const set = /^CONFIG_([A-Za-z0-9_]+)=(.*)$/.exec(line);
    if (!set) {
      throw new MkrootfsError({ code: 'GUEST_BAD_CONFIG', message: `${file}:${i + 1}: not a Kconfig line: ${line}`, hint: 'write CONFIG_NAME=value or "# CONFIG_NAME is not set"' });
    }
    out.push({ symbol: set[1]!, value: set[2]!, line: i + 1 });
  });
  return out;
}

/** The `.config` line a setting should produce. */
export function configLine(s: ConfigSetting): string {
  return s.value === 'n' ? `# CONFIG_${s.symbol} is not set` : `CONFIG_${s.symbol}=${s.value}`;
}

/** Settings of `fragment` that `config` (a full .config) does not honour. */
export function unmetSettings(fragment: ConfigSetting[], config: string): ConfigSetting[] {
  const lines = new Map<string, string>();
  for (const l of config.split('\n')) {
    const m = /^# CONFIG_([A-Za-z0-9_]+) is not set$/.exec(l) ?? /^CONFIG_([A-Za-z0-9_]+)=/.exec(l);
    if (m) lines.set(m[1]!, l);
  }
  // A disabled symbol may vanish from .config entirely when its dependencies are off.
  return fragment.filter((s) => (s.value === 'n' ? lines.has(s.symbol) && lines.get(s.symbol) !== configLine(s) : lines.get(s.symbol) !== configLine(s)));
}

/** Make variables every kernel command gets: cross toolchain and fixed build identity. */
export function kernelMakeEnv(srcDir: string): Record<string, string> {
  return {
    ARCH: 'openrisc',
    CROSS_COMPILE: 'or1k-elf-',
    KBUILD_BUILD_TIMESTAMP: 'Thu Jan  1 00:00:00 UTC 1970',
    KBUILD_BUILD_USER: 'mkrootfs',
    KBUILD_BUILD_HOST: 'mkrootfs',
    KBUILD_BUILD_VERSION: '1',
    KCFLAGS: `-ffile-prefix-map=${srcDir}/=`,
  };
}

/** Extracts the kernel source; returns the source directory. */
export async function extractKernel(ctx: StepContext, workDir: string): Promise<string> {
  await runStep(ctx, 'kernel-extract', (r) => r.run('tar', ['-xf', KERNEL_TARBALL, '-C', workDir]));
  return join(workDir, 'linux-source-6.12');
}

/** virt_defconfig + fragment + olddefconfig, then checks that every fragment line held. */
export async function configureKernel(ctx: StepContext, srcDir: string, fragmentPath: string): Promise<void> {
  const fragment = parseConfigFragment(readFileSync(fragmentPath, 'utf8'), fragmentPath);
  const env = kernelMakeEnv(srcDir);
  await runStep(ctx, 'kernel-config', async (r) => {
    await r.run('make', ['virt_defconfig'], { cwd: srcDir, env });
    for (const s of fragment) {
      const args = s.value === 'n' ? ['--disable', s.symbol]
        : s.value === 'y' ? ['--enable', s.symbol]
        : s.value === 'm' ? ['--module', s.symbol]
        : s.value.startsWith('"') ? ['--set-str', s.symbol, s.value.slice(1, -1)]
        : ['--set-val', s.symbol, s.value];
      await r.run(join(srcDir, 'scripts', 'config'), ['--file', '.config', ...args], { cwd: srcDir });
    }
    await r.run('make', ['olddefconfig'], { cwd: srcDir, env });
    const unmet = unmetSettings(fragment, readFileSync(join(srcDir, '.config'), 'utf8'));
    if (unmet.length > 0) {
      throw new MkrootfsError({
        code: 'GUEST_BAD_CONFIG',
        message: `the kernel configuration does not honour ${unmet.map((s) => `${fragmentPath}:${s.line} ${configLine(s)}`).join('; ')}`,
        hint: 'a symbol\'s dependencies are probably off (or it was renamed); check it with `make menuconfig` in the kernel source',
        data: { unmet },
      });
    }
  });
}

/** Builds vmlinux with `nice make -jN` and copies it to `kernelOut`. */
export async function buildKernel(ctx: StepContext, srcDir: string, kernelOut: string, jobs: number): Promise<void> {
  await runStep(ctx, 'kernel-build', async (r) => {
    await r.run('nice', ['make', `-j${jobs}`, 'vmlinux'], { cwd: srcDir, env: kernelMakeEnv(srcDir) });
    copyFileSync(join(srcDir, 'vmlinux'), kernelOut);
  });
}

/** `make headers_install` into `<sysroot>/include` (the Linux UAPI headers busybox needs). */
export async function installKernelHeaders(ctx: StepContext, srcDir: string, sysroot: string): Promise<void> {
  await runStep(ctx, 'kernel-headers', (r) =>
    r.run('make', ['headers_install', `INSTALL_HDR_PATH=${sysroot}`], { cwd: srcDir, env: kernelMakeEnv(srcDir) }));
}
