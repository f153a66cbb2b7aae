/**
 * busybox from Debian's source package: defconfig, statically linked with the
 * or1k-linux-musl- toolchain, without `tc`, installed as the familiar
 * `_install` tree (bin sbin usr linuxrc).
 */
import { readFileSync, writeFileSync, copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { MkrootfsError } from '../errors.ts';
import { runStep, type StepContext } from './step.ts';
import { unpackSource } from './source.ts';
import { CROSS_PREFIX } from './toolchain.ts';

/** busybox .config lines mkrootfs sets on top of `make defconfig`. */
export function busyboxConfigEdits(srcDir: string): Record<string, string | null> {
  return {
    // A static binary: the image has no dynamic loader.
    STATIC: 'y',
    CROSS_COMPILER_PREFIX: `"${CROSS_PREFIX}"`,
    // Paths of the build directory must not reach the binary.
    EXTRA_CFLAGS: `"-ffile-prefix-map=${srcDir}=."`,
    // tc needs kernel headers (pkt_sched) that a musl sysroot lacks.
    TC: null,
  };
}

/** Applies `edits` to a busybox .config (null = `# CONFIG_X is not set`); the rest stays. */
export function editBusyboxConfig(config: string, edits: Record<string, string | null>): string {
  const seen = new Set<string>();
  const lines = config.split('\n').map((line) => {
    const m = /^CONFIG_([A-Za-z0-9_]+)=/.exec(line) ?? /^# CONFIG_([A-Za-z0-9_]+) is not set$/.exec(line);
    if (!m || !(m[1]! in edits)) return line;
    seen.add(m[1]!);
    const v = edits[m[1]!];
    return v === null ? `# CONFIG_${m[1]} is not set` : `CONFIG_${m[1]}=${v}`;
  });
  for (const [k, v] of Object.entries(edits)) {
    if (!seen.has(k)) lines.push(v === null ? `# CONFIG_${k} is not set` : `CONFIG_${k}=${v}`);
  }
  return lines.join('\n');
}

export interface BusyboxArgs {
  dsc: string;
  workDir: string;
  /** Directory holding or1k-linux-musl-gcc (put first on PATH). */
  binDir: string;
  /** Receives the `make install` tree. */
  installDir: string;
  jobs: number;
  /** Embedded as the build date. */
  epoch: number;
  /** Where to keep the final .config (for people who want to know what is in it). */
  configCopy?: string;
}

/** Unpacks, configures, builds and installs busybox; returns the source directory. */
export async function buildBusybox(ctx: StepContext, args: BusyboxArgs): Promise<string> {
  const src = join(args.workDir, 'busybox');
  const env = {
    PATH: `${args.binDir}:${ctx.env.PATH ?? '/usr/bin:/bin'}`,
    SOURCE_DATE_EPOCH: String(args.epoch),
    KCONFIG_NOTIMESTAMP: '1',
  };
  await runStep(ctx, 'busybox-config', async (r) => {
    await unpackSource(r, args.dsc, src);
    await r.run('make', ['defconfig'], { cwd: src, env });
    const configPath = join(src, '.config');
    writeFileSync(configPath, editBusyboxConfig(readFileSync(configPath, 'utf8'), busyboxConfigEdits(src)));
    // oldconfig asks about anything new; the empty answers take the defaults.
    await r.run('make', ['oldconfig'], { cwd: src, env, stdin: '\n'.repeat(5000) });
    const final = readFileSync(configPath, 'utf8');
    for (const needed of ['CONFIG_STATIC=y', `CONFIG_CROSS_COMPILER_PREFIX="${CROSS_PREFIX}"`, '# CONFIG_TC is not set']) {
      if (!final.split('\n').includes(needed)) {
        throw new MkrootfsError({ code: 'GUEST_BAD_CONFIG', message: `busybox .config lost "${needed}" after make oldconfig`, hint: `see ${r.logPath}` });
      }
    }
    if (args.configCopy) copyFileSync(configPath, args.configCopy);
  });
  await runStep(ctx, 'busybox-build', async (r) => {
    await r.run('nice', ['make', `-j${args.jobs}`, 'busybox'], { cwd: src, env });
    await r.run('make', [`CONFIG_PREFIX=${args.installDir}`, 'install'], { cwd: src, env });
    const hdr = await r.capture('or1k-elf-readelf', ['-l', join(args.installDir, 'bin', 'busybox')]);
    if (/INTERP/.test(hdr) || /DYNAMIC/.test(hdr)) {
      throw new MkrootfsError({ code: 'GUEST_BAD_BUSYBOX', message: 'busybox was linked dynamically', hint: `see ${r.logPath}` });
    }
  });
  return src;
}
