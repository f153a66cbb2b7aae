/**
 * The CI side of `mkrootfs boot`: where the console log goes, piped standard
 * input, the JUnit suite of a finished boot, and the recipe lines of its steps
 * (for GitHub annotations). Kept apart from boot.ts, which wires them in.
 */
import { basename, dirname, extname, join, relative, resolve } from 'node:path';
import type { BootOptions } from '../../boot/options.ts';
import type { SessionResult } from '../../boot/session.ts';
import { bootJunitSuite } from '../../boot/junit.ts';
import type { JunitProblem, JunitSuite } from '../../report/junit-xml.ts';
import type { SourcePos } from '../../recipe/recipe-error.ts';
import type { LoadedRecipe } from '../../pipeline.ts';
import type { CliIo } from '../io.ts';

/**
 * The default console log: named after the image (`out/rootfs.img` →
 * `out/rootfs.boot.log`) beside it, or in the configured output directory
 * (`outputDir` in .mkrootfsrc.yml) when there is one. A boot without a disk
 * is named after its kernel, in the output directory (default ./out).
 */
export function defaultBootLogPath(a: { image?: string; kernel: string; outputDir?: string; cwd: string }): string {
  const named = a.image ?? a.kernel;
  const base = basename(named, extname(named)) || basename(named);
  const dir = a.outputDir ?? (a.image !== undefined ? dirname(a.image) : resolve(a.cwd, 'out'));
  return join(dir, `${base}.boot.log`);
}

/**
 * Piped standard input, typed into the guest console the way `qemu
 * -nographic` forwards it: bytes are queued as they arrive, and handed to
 * the console once the guest listens (a program has the tty open), so what
 * is piped before the shell starts is not lost in the driver's FIFO resets.
 * End of input does not end the boot.
 */
export class PipedInput {
  private readonly stream: CliIo['stdin'];
  private queued: Buffer[] = [];
  private readonly onData = (chunk: Buffer | string): void => {
    this.queued.push(typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk);
  };
  private readonly onError = (): void => { /* a broken input pipe just ends the input */ };

  constructor(stream: CliIo['stdin']) {
    this.stream = stream;
    stream.on('data', this.onData);
    stream.on('error', this.onError);
    stream.resume();
  }

  /** Everything received so far (emptied by this call). */
  take(): Uint8Array {
    if (this.queued.length === 0) return EMPTY;
    const all = Buffer.concat(this.queued);
    this.queued = [];
    return all;
  }

  /** Stops reading (the process can then exit while the writer keeps the pipe open). */
  close(): void {
    this.stream.off('data', this.onData);
    this.stream.off('error', this.onError);
    this.stream.pause();
    (this.stream as { destroy?: () => void }).destroy?.();
  }
}

const EMPTY = new Uint8Array(0);

/** Where each boot step (and, past the last, the boot section) is written in the recipe. */
export function recipeStepPositions(loaded: LoadedRecipe): (step: number) => SourcePos | undefined {
  const boot = loaded.recipe.boot;
  const list = boot?.steps && boot.steps.length > 0 ? 'steps' : 'expect';
  const count = (list === 'steps' ? boot?.steps?.length : boot?.expect?.length) ?? 0;
  return (step) => (step < count ? loaded.locate(['boot', list, step]) : loaded.locate(['boot']));
}

/** The failure kinds of a boot, as JUnit sees them: a guest panic is an error, an unmet expectation a failure. */
export function bootProblem(o: SessionResult['outcome'], code: string): JunitProblem | undefined {
  if (o.exitCode === 0) return undefined;
  return { kind: o.kind === 'panic' ? 'error' : 'failure', type: code, message: o.message, ...(o.pattern !== undefined ? { detail: `pattern: ${o.pattern}` } : {}) };
}

export function bootSuite(a: { opts: BootOptions; result: SessionResult; code: string; cwd: string; target?: string }): JunitSuite {
  const { opts, result } = a;
  const show = (p: string): string => relative(a.cwd, p) || p;
  const subject = a.target ?? (opts.image !== undefined ? show(opts.image) : show(opts.kernel));
  return bootJunitSuite({
    name: `boot ${subject}`,
    classname: `mkrootfs.boot.${subject}`,
    steps: opts.steps,
    stepTimesNs: result.stepTimesNs,
    end: { step: result.outcome.step, atNs: result.outcome.atNs, problem: bootProblem(result.outcome, a.code) },
    consoleTail: result.transcript.lastLines(),
    properties: [
      ['image', opts.image !== undefined ? show(opts.image) : ''],
      ['kernel', basename(opts.kernel)],
      ['append', opts.append],
      ['exit-code', String(result.outcome.exitCode)],
      ['guest-seconds', (result.guestNs / 1e9).toFixed(3)],
      ['instructions', String(result.run.instructions)],
    ],
  });
}
