/**
 * The host programs and files the guest build uses, checked before the first
 * step runs: a fresh machine then fails at once with the one apt command
 * that fixes it, instead of minutes into the kernel build (the kernel's
 * `headers_install` runs rsync, for one, which Debian's minimal images lack).
 *
 * Each entry names what the build calls (a command on PATH, or a file such
 * as a header) and the Debian package that provides it.
 */
import { existsSync, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { MkrootfsError } from '../errors.ts';
import { installCommand } from './packages.ts';

export interface HostTool {
  /** A command looked up on PATH, or an absolute file path. */
  need: string;
  /** The Debian package that provides it. */
  pkg: string;
  /** Which step uses it (for the error message). */
  usedBy: string;
}

export const HOST_TOOLS: readonly HostTool[] = [
  { need: 'tar', pkg: 'tar', usedBy: 'unpacking the kernel source' },
  { need: 'xz', pkg: 'xz-utils', usedBy: 'unpacking the kernel source' },
  { need: 'bzip2', pkg: 'bzip2', usedBy: 'unpacking the busybox source package' },
  { need: 'dpkg-source', pkg: 'dpkg-dev', usedBy: 'unpacking the busybox and musl source packages' },
  { need: 'patch', pkg: 'patch', usedBy: 'applying Debian patches to the source packages' },
  { need: 'make', pkg: 'make', usedBy: 'every build step' },
  { need: 'nice', pkg: 'coreutils', usedBy: 'the kernel, musl and busybox builds' },
  { need: 'gcc', pkg: 'gcc', usedBy: 'the kernel\'s host programs (kconfig, fixdep)' },
  { need: '/usr/include/stdio.h', pkg: 'libc6-dev', usedBy: 'the kernel\'s host programs' },
  { need: '/usr/include/libelf.h', pkg: 'libelf-dev', usedBy: 'the kernel build' },
  { need: 'bc', pkg: 'bc', usedBy: 'the kernel build (timeconst.h)' },
  { need: 'flex', pkg: 'flex', usedBy: 'the kernel\'s kconfig and dtc' },
  { need: 'bison', pkg: 'bison', usedBy: 'the kernel\'s kconfig and dtc' },
  { need: 'perl', pkg: 'perl-base', usedBy: 'the kernel build scripts' },
  { need: 'rsync', pkg: 'rsync', usedBy: 'the kernel\'s headers_install' },
  { need: 'or1k-elf-gcc', pkg: 'gcc-or1k-elf', usedBy: 'cross-compiling the kernel, musl and busybox' },
  { need: 'or1k-elf-ld', pkg: 'binutils-or1k-elf', usedBy: 'linking the kernel, musl and busybox' },
  { need: 'or1k-elf-readelf', pkg: 'binutils-or1k-elf', usedBy: 'checking that busybox is static' },
];

/** Where `name` is on `path` (an executable file), or undefined. */
export function findOnPath(name: string, path: string): string | undefined {
  for (const dir of path.split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, name);
    try {
      const st = statSync(candidate);
      if (st.isFile() && (st.mode & 0o111) !== 0) return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** The tools of `tools` that are not available with this PATH. */
export function missingHostTools(path: string, tools: readonly HostTool[] = HOST_TOOLS): HostTool[] {
  return tools.filter((t) => (t.need.startsWith('/') ? !existsSync(t.need) : findOnPath(t.need, path) === undefined));
}

/** Throws GUEST_TOOLS_MISSING naming every missing tool and the apt command that installs them all. */
export function checkHostTools(path: string, tools: readonly HostTool[] = HOST_TOOLS): void {
  const missing = missingHostTools(path, tools);
  if (missing.length === 0) return;
  const packages = [...new Set(missing.map((t) => t.pkg))].sort();
  const cmd = installCommand(packages);
  const lines = missing.map((t) => `  ${t.need} (Debian package ${t.pkg}), for ${t.usedBy}`);
  throw new MkrootfsError({
    code: 'GUEST_TOOLS_MISSING',
    message: `the guest build needs host tools that are not installed:\n${lines.join('\n')}\n  ${cmd}`,
    hint: `install them, then run mkrootfs guest again: ${cmd}`,
    data: { missing: missing.map((t) => t.need), packages, command: cmd },
  });
}
