/**
 * The cross toolchain for static or1k Linux programs: `bin/or1k-linux-musl-gcc`
 * (a shell wrapper around Debian's bare-metal or1k-elf-gcc, generated from
 * assets/or1k-linux-musl-gcc.in), `or1k-linux-musl-<tool>` links to the
 * or1k-elf binutils, and the linker script in `<sysroot>/lib`.
 * Why each flag is needed: ../../shared docs "guest-toolchain.md", README.md here.
 */
import { execFile } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { MkrootfsError } from '../errors.ts';
import { runStep, type StepContext } from './step.ts';
import { findOnPath } from './host-tools.ts';

const execFileP = promisify(execFile);

export const CROSS_PREFIX = 'or1k-linux-musl-';
export const WRAPPER_NAME = `${CROSS_PREFIX}gcc`;
export const LINKER_SCRIPT = 'or1k-linux-musl.ld';
/** or1k-elf binutils exposed under the or1k-linux-musl- prefix (what busybox's and other Makefiles call). */
export const BINUTILS = ['addr2line', 'ar', 'as', 'c++filt', 'ld', 'nm', 'objcopy', 'objdump', 'ranlib', 'readelf', 'size', 'strings', 'strip'] as const;

/** Where the bare-metal compiler keeps its pieces. */
export interface ToolchainFacts {
  /** Absolute path of or1k-elf-gcc. */
  gcc: string;
  /** Its libgcc.a. */
  libgcc: string;
  /** Its own header directory (stdarg.h, stddef.h, ...), searched after musl's. */
  gccInclude: string;
}

/** Looks up or1k-elf-gcc on PATH and asks it where libgcc and its headers are. */
export async function toolchainFacts(env: Record<string, string | undefined>): Promise<ToolchainFacts> {
  const gcc = findOnPath('or1k-elf-gcc', env.PATH ?? '');
  if (gcc === undefined) {
    throw new MkrootfsError({ code: 'GUEST_NO_COMPILER', message: 'or1k-elf-gcc is not on PATH', hint: 'install it: sudo apt-get install gcc-or1k-elf binutils-or1k-elf' });
  }
  const ask = async (arg: string) => (await execFileP(gcc, [arg])).stdout.trim();
  return { gcc, libgcc: await ask('-print-libgcc-file-name'), gccInclude: await ask('-print-file-name=include') };
}

/** The wrapper script text: the template with the compiler's paths filled in. */
export function renderWrapper(template: string, facts: ToolchainFacts): string {
  const values: Record<string, string> = { GCC: facts.gcc, LIBGCC: facts.libgcc, GCC_INCLUDE: facts.gccInclude };
  return template.replace(/@([A-Z_]+)@/g, (whole, name: string) => {
    const v = values[name];
    if (v === undefined) throw new MkrootfsError({ code: 'INTERNAL', message: `unknown placeholder ${whole} in the compiler wrapper template` });
    if (/['\n]/.test(v)) throw new MkrootfsError({ code: 'GUEST_BAD_PATH', message: `compiler path ${JSON.stringify(v)} cannot be quoted in a shell script` });
    return v;
  });
}

export interface InstallToolchainArgs {
  /** Receives or1k-linux-musl-gcc and the binutils links. */
  binDir: string;
  sysroot: string;
  assetsDir: string;
  facts: ToolchainFacts;
  /** Scratch directory for the smoke test. */
  workDir: string;
}

/** Writes the wrapper, the binutils links and the linker script. */
export async function installToolchain(ctx: StepContext, args: InstallToolchainArgs): Promise<void> {
  await runStep(ctx, 'toolchain', async (r) => {
    mkdirSync(args.binDir, { recursive: true });
    mkdirSync(join(args.sysroot, 'lib'), { recursive: true });
    const wrapper = join(args.binDir, WRAPPER_NAME);
    writeFileSync(wrapper, renderWrapper(readFileSync(join(args.assetsDir, `${WRAPPER_NAME}.in`), 'utf8'), args.facts));
    chmodSync(wrapper, 0o755);
    copyFileSync(join(args.assetsDir, LINKER_SCRIPT), join(args.sysroot, 'lib', LINKER_SCRIPT));
    const binutilsDir = dirname(args.facts.gcc);
    for (const tool of BINUTILS) {
      const target = join(binutilsDir, `or1k-elf-${tool}`);
      const link = join(args.binDir, `${CROSS_PREFIX}${tool}`);
      // Redone after an interrupted run: the link may be there already.
      rmSync(link, { force: true });
      if (existsSync(target)) symlinkSync(target, link);
    }
    // Smoke test: the wrapper compiles, links and produces a Linux-entry static ELF.
    const probe = join(args.workDir, 'toolchain-probe');
    writeFileSync(`${probe}.c`, '#include <stdio.h>\nint main(void) { puts("probe"); return 0; }\n');
    await r.run(wrapper, ['-O2', '-o', probe, `${probe}.c`]);
    const hdr = await r.capture(join(binutilsDir, 'or1k-elf-readelf'), ['-h', '-l', probe]);
    if (!/Entry point address:\s+0x2/.test(hdr) || !/LOAD\s+0x000000 /.test(hdr)) {
      throw new MkrootfsError({ code: 'GUEST_BAD_TOOLCHAIN', message: 'the compiler wrapper produced a program whose entry or first PT_LOAD is wrong', hint: `see ${r.logPath}` });
    }
  });
}
