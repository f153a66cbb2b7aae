/**
 * The CLI in-process (`main(args, io)`) with its output captured: for tests
 * that check exit codes, messages and files without spawning Node.
 */
import { PassThrough } from 'node:stream';
import type { CliIo } from '../../src/cli/io.ts';
import { main } from '../../src/cli/main.ts';

export interface CapturedIo {
  io: CliIo;
  /** stdout's bytes so far. */
  raw(): Buffer;
  stdout(encoding?: BufferEncoding): string;
  stderr(): string;
}

/** A CliIo on `cwd` and `env` whose stdout and stderr are kept (stdout a TTY when asked). */
export function captureIo(cwd: string, env: Record<string, string> = {}, opts: { ttyStdout?: boolean } = {}): CapturedIo {
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  const stdout = Object.assign(new PassThrough(), opts.ttyStdout ? { isTTY: true } : {});
  const stderr = new PassThrough();
  stdout.on('data', (c: Buffer) => out.push(c));
  stderr.on('data', (c: Buffer) => err.push(c));
  const io: CliIo = { stdout, stderr, stdin: new PassThrough(), env, cwd };
  return {
    io,
    raw: () => Buffer.concat(out),
    stdout: (encoding = 'utf8') => Buffer.concat(out).toString(encoding),
    stderr: () => Buffer.concat(err).toString('utf8'),
  };
}

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
  /** stdout's bytes (images written to `-o -`). */
  raw: Buffer;
}

/** Runs `mkrootfs ARGS` in-process. */
export async function runCli(args: string[], cwd: string, env: Record<string, string> = {}, opts: { ttyStdout?: boolean; encoding?: BufferEncoding } = {}): Promise<CliRun> {
  const c = captureIo(cwd, env, opts);
  const code = await main(args, c.io);
  return { code, stdout: c.stdout(opts.encoding), stderr: c.stderr(), raw: c.raw() };
}
