/**
 * Compiles C sources into one static or1k Linux program with the guest's
 * or1k-linux-musl-gcc (used by recipes' `programs:` section). The output is
 * written to a temporary name and renamed when the compiler succeeded.
 */
import { execFile } from 'node:child_process';
import { renameSync, rmSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { promisify } from 'node:util';
import { MkrootfsError } from '../errors.ts';
import { guestVar } from './vars.ts';

const execFileP = promisify(execFile);

export interface CompileStaticArgs {
  /** C sources (relative to cwd, or absolute). */
  sources: string[];
  /** The program to write. */
  output: string;
  /** Extra compiler flags, after the defaults (-Os -Wall). */
  cflags?: string[];
  cwd: string;
  /** The compiler; default: the guest's or1k-linux-musl-gcc (building the guest if needed). */
  cc?: string;
  /** Guest cache directory, when cc is not given. */
  cacheDir?: string;
  env?: Record<string, string | undefined>;
}

export const DEFAULT_CFLAGS = ['-Os', '-Wall'] as const;

export async function compileStatic(args: CompileStaticArgs): Promise<void> {
  const env = args.env ?? process.env;
  const cc = args.cc ?? (await guestVar('cc', { cacheDir: args.cacheDir, env }));
  const output = resolve(args.cwd, args.output);
  const tmp = `${output}.tmp-${process.pid}`;
  const argv = [
    ...DEFAULT_CFLAGS,
    // Reproducible: host paths do not reach the binary.
    ...[...new Set([args.cwd, ...args.sources.map((f) => dirname(resolve(args.cwd, f)))])].map((d) => `-ffile-prefix-map=${d}=.`),
    ...(args.cflags ?? []),
    '-o', tmp,
    ...args.sources,
  ];
  try {
    await execFileP(cc, argv, { cwd: args.cwd, env: { ...env, LC_ALL: 'C' }, maxBuffer: 16 << 20 });
  } catch (err) {
    rmSync(tmp, { force: true });
    const e = err as { stderr?: string; code?: unknown; message?: string };
    if (e.code === 'ENOENT') {
      throw new MkrootfsError({ code: 'GUEST_NO_COMPILER', message: `cannot run the guest compiler ${cc}`, hint: 'run: mkrootfs guest', cause: err });
    }
    throw new MkrootfsError({
      code: 'GUEST_COMPILE_FAILED',
      message: `compiling ${args.sources.join(' ')} failed:\n${(e.stderr ?? e.message ?? '').trimEnd()}`,
      hint: 'fix the compiler errors above (the program is built with or1k-linux-musl-gcc, static, musl libc)',
      data: { sources: args.sources, cc, argv },
      exitCode: 2,
      cause: err,
    });
  }
  renameSync(tmp, output);
}
