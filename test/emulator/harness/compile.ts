/**
 * Compile helpers for the CPU verification tests: bare-metal programs with the
 * Debian or1k-elf-gcc, Linux user programs with the guest's musl compiler
 * wrapper (src/guest). Outputs go to a per-run temp dir under out/.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';

const execFileP = promisify(execFile);

export const REPO_ROOT = resolve(import.meta.dirname, '../../..');

/** A fresh directory under out/test-emulator/ for one test file's build products. */
export function makeBuildDir(name: string): string {
  const base = join(REPO_ROOT, 'out', 'test-emulator');
  mkdirSync(base, { recursive: true });
  return mkdtempSync(join(base, `${name}-`));
}

async function run(cmd: string, argv: string[], cwd: string): Promise<void> {
  try {
    await execFileP(cmd, argv, { cwd, env: { ...process.env, LC_ALL: 'C' }, maxBuffer: 16 << 20 });
  } catch (err) {
    const e = err as { stderr?: string; message?: string };
    throw new Error(`${cmd} ${argv.join(' ')} failed:\n${(e.stderr ?? e.message ?? '').trimEnd()}`);
  }
}

/**
 * `or1k-elf-gcc -O2 -nostdlib -ffreestanding -T link.ld start.S <source> -lgcc`
 * (bring-up doc §6). Returns the ELF path.
 */
export async function compileBareMetal(args: { srcDir: string; source: string; outDir: string; cflags?: string[] }): Promise<string> {
  const out = join(args.outDir, args.source.replace(/\.[cS]$/, '.elf'));
  await run('or1k-elf-gcc', [
    '-O2', '-nostdlib', '-ffreestanding', '-Wall', '-Werror', '-Wl,--no-warn-rwx-segments',
    ...(args.cflags ?? []),
    '-T', join(args.srcDir, 'link.ld'),
    '-o', out,
    join(args.srcDir, 'start.S'), join(args.srcDir, args.source),
    '-lgcc',
  ], args.outDir);
  return out;
}

/** Static musl program with the guest's compiler wrapper (`cc` from `mkrootfs guest --print`). */
export async function compileUser(args: { cc: string; sources: string[]; out: string; cflags?: string[]; cwd: string }): Promise<string> {
  await run(args.cc, [...(args.cflags ?? []), '-o', args.out, ...args.sources], args.cwd);
  return args.out;
}
