/**
 * Build steps: each one runs external commands with its output appended to
 * `<logs>/<step>.log`, reports its start (with the log's path), end and
 * elapsed time, and on failure throws GUEST_STEP_FAILED naming the step with
 * the tail of its log. With a journal (cache.ts StepJournal) a step finished
 * by an earlier, interrupted run is skipped and its result handed back.
 */
import { spawn } from 'node:child_process';
import { openSync, closeSync, fstatSync, readFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { MkrootfsError } from '../errors.ts';
import type { StepJournal } from './cache.ts';

/** Progress lines for the user (stderr in the CLI). */
export type GuestProgress = (line: string) => void;

/**
 * A step's progress: 'start', then 'done' or 'failed' (elapsed = its run
 * time), or only 'resumed' when an earlier run finished it.
 */
export interface StepEvent {
  step: string;
  state: 'start' | 'done' | 'failed' | 'resumed';
  /** Milliseconds since the step started (0 for 'start' and 'resumed'). */
  elapsedMs: number;
  /** The step's log file. */
  log: string;
}

/** The progress line of a step event (the plain, one-line-per-event form). */
export function stepLine(e: StepEvent): string {
  const secs = (e.elapsedMs / 1000).toFixed(1);
  switch (e.state) {
    case 'start': return `guest: ${e.step} ... (log: ${e.log})`;
    case 'done': return `guest: ${e.step} done (${secs} s)`;
    case 'failed': return `guest: ${e.step} FAILED after ${secs} s (log: ${e.log})`;
    case 'resumed': return `guest: ${e.step} done in an earlier run (kept)`;
  }
}

export interface StepContext {
  /** Directory that receives `<step>.log`. */
  logs: string;
  /** Environment every command starts from (already sanitised, see buildEnv). */
  env: Record<string, string>;
  progress: GuestProgress;
  /** Monotonic milliseconds, for elapsed times only (never in outputs). */
  now: () => number;
  /** Receives step events instead of `progress` getting their lines (the CLI's live display). */
  onStep?: (e: StepEvent) => void;
  /** Finished steps of this build directory: they are skipped, and the steps that finish now are recorded. */
  journal?: StepJournal;
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

/**
 * Runs one named step: `guest: <name> ... (log: <path>)`, then
 * `guest: <name> done (12.3 s)`. A step the journal has as finished is not
 * run: its recorded result is returned. The result is recorded only after
 * `fn` returned, so an interrupted step is redone by the next run.
 */
export async function runStep<T>(ctx: StepContext, name: string, fn: (r: StepRunner) => Promise<T>): Promise<T> {
  const logPath = join(ctx.logs, `${name}.log`);
  const report = (state: StepEvent['state'], elapsedMs: number): void => {
    const e: StepEvent = { step: name, state, elapsedMs, log: logPath };
    if (ctx.onStep) ctx.onStep(e);
    else ctx.progress(stepLine(e));
  };
  const recorded = ctx.journal?.lookup(name);
  if (recorded) {
    report('resumed', 0);
    return recorded.result as T;
  }
  ctx.journal?.begin(name);
  const fd = openSync(logPath, 'a');
  if (fstatSync(fd).size > 0) writeSync(fd, `\n--- ${name} runs again (an earlier run did not finish it) ---\n`);
  const started = ctx.now();
  report('start', 0);
  const runner = makeRunner(ctx, name, logPath, fd);
  try {
    const result = await fn(runner);
    ctx.journal?.finish(name, result);
    report('done', ctx.now() - started);
    return result;
  } catch (err) {
    report('failed', ctx.now() - started);
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
