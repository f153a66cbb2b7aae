/**
 * Build steps: each one runs external commands with its output appended to
 * `<logs>/<step>.log`, reports its name and elapsed seconds, and on failure
 * throws GUEST_STEP_FAILED naming the step with the tail of its log.
 */
import { spawn } from 'node:child_process';
import { openSync, closeSync, readFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { MkrootfsError } from '../errors.ts';

/** Progress lines for the user (stderr in the CLI). */
export type GuestProgress = (line: string) => void;

export interface StepContext {
  /** Directory that receives `<step>.log`. */
  logs: string;
  /** Environment every command starts from (already sanitised, see buildEnv). */
  env: Record<string, string>;
  progress: GuestProgress;
  /** Monotonic milliseconds, for elapsed times only (never in outputs). */
  now: () => number;
}

/** A command runner bound to one step's log. */
export interface StepRunner {
  /** Runs `cmd args` (no shell); throws GUEST_STEP_FAILED on a non-zero exit. */
  run(cmd: string, args: string[], opts?: { cwd?: string; env?: Record<string, string>; stdin?: string }): Promise<void>;
  /** Runs a command and returns its stdout (also logged). */
  capture(cmd: string, args: string[], opts?: { cwd?: string; env?: Record<string, string> }): Promise<string>;
  /** Appends a line to the step's log. */
  note(line: string): void;
  readonly logPath: string;
}

const TAIL_LINES = 25;

/** Runs one named step, printing `guest: <name> ...` and `guest: <name> done (12.3 s)`. */
export async function runStep<T>(ctx: StepContext, name: string, fn: (r: StepRunner) => Promise<T>): Promise<T> {
  const logPath = join(ctx.logs, `${name}.log`);
  const fd = openSync(logPath, 'a');
  const started = ctx.now();
  ctx.progress(`guest: ${name} ...`);
  const runner = makeRunner(ctx, name, logPath, fd);
  try {
    const result = await fn(runner);
    ctx.progress(`guest: ${name} done (${((ctx.now() - started) / 1000).toFixed(1)} s)`);
    return result;
  } catch (err) {
    ctx.progress(`guest: ${name} FAILED after ${((ctx.now() - started) / 1000).toFixed(1)} s`);
    if (err instanceof MkrootfsError) throw err;
    throw stepFailed(name, logPath, (err as Error)?.message ?? String(err), err);
  } finally {
    closeSync(fd);
  }
}

function makeRunner(ctx: StepContext, step: string, logPath: string, fd: number): StepRunner {
  const exec = (cmd: string, args: string[], opts: { cwd?: string; env?: Record<string, string>; stdin?: string }, collect: boolean) =>
    new Promise<string>((resolvePromise, reject) => {
      writeSync(fd, `\n$ ${[cmd, ...args].map(shellQuote).join(' ')}${opts.cwd ? `   (in ${opts.cwd})` : ''}\n`);
      const child = spawn(cmd, args, {
        cwd: opts.cwd,
        env: { ...ctx.env, ...opts.env },
        stdio: [opts.stdin === undefined ? 'ignore' : 'pipe', collect ? 'pipe' : fd, fd],
      });
      let out = '';
      if (collect) child.stdout!.on('data', (b: Buffer) => { out += b.toString('utf8'); writeSync(fd, b); });
      if (opts.stdin !== undefined) {
        child.stdin!.on('error', () => { /* the command may exit before reading everything */ });
        child.stdin!.end(opts.stdin);
      }
      child.on('error', (e) => reject(stepFailed(step, logPath, `cannot run ${cmd}: ${e.message}`, e)));
      child.on('close', (code, signal) => {
        if (code === 0) resolvePromise(out);
        else reject(stepFailed(step, logPath, `${cmd} ${signal ? `was killed by ${signal}` : `exited with status ${code}`}`));
      });
    });
  return {
    logPath,
    run: async (cmd, args, opts = {}) => { await exec(cmd, args, opts, false); },
    capture: (cmd, args, opts = {}) => exec(cmd, args, opts, true),
    note: (line) => { writeSync(fd, line + '\n'); },
  };
}

/** GUEST_STEP_FAILED with the last lines of the step's log in the message. */
export function stepFailed(step: string, logPath: string, what: string, cause?: unknown): MkrootfsError {
  const tail = logTail(logPath, TAIL_LINES);
  return new MkrootfsError({
    code: 'GUEST_STEP_FAILED',
    message: `guest build step "${step}" failed: ${what}\n--- last lines of ${logPath} ---\n${tail}\n---`,
    hint: `read the whole log: ${logPath} (the temporary build directory is kept until the next run)`,
    data: { step, log: logPath, tail },
    cause,
  });
}

export function logTail(path: string, lines: number): string {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return '(no log)';
  }
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

function shellQuote(s: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}
