/**
 * `mkrootfs guest` progress on stderr. On a terminal the running step is one
 * live line, rewritten every second with its elapsed time and log path, and
 * replaced by its result when it ends; elsewhere (CI logs, pipes) each step
 * start and end is one plain line (src/guest/step.ts stepLine).
 */
import { stepLine, type StepEvent } from '../guest/step.ts';

export interface GuestProgressView {
  /** A free-form progress line. */
  line(text: string): void;
  /** A step event. */
  step(e: StepEvent): void;
  /** Stops the live line's timer (the command ended, or failed). */
  close(): void;
}

export interface GuestProgressOptions {
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  /** Live line (a terminal, and NO_COLOR / TERM=dumb do not change that: the line has no colour). */
  live: boolean;
  /** Monotonic milliseconds. */
  now: () => number;
  /** Schedules the repaint; returns a cancel function. Default: setInterval, unref'd. */
  every?: (ms: number, fn: () => void) => () => void;
}

const REPAINT_MS = 1000;

export function guestProgressView(opts: GuestProgressOptions): GuestProgressView {
  const { stderr } = opts;
  if (!opts.live) {
    return { line: (text) => { stderr.write(text + '\n'); }, step: (e) => { stderr.write(stepLine(e) + '\n'); }, close: () => {} };
  }
  const every = opts.every ?? ((ms, fn) => {
    const t = setInterval(fn, ms);
    t.unref();
    return () => clearInterval(t);
  });
  let running: { e: StepEvent; started: number; cancel: () => void } | undefined;
  const paint = (): void => {
    if (!running) return;
    const secs = Math.floor((opts.now() - running.started) / 1000);
    const elapsed = secs >= 60 ? `${Math.floor(secs / 60)}m${String(secs % 60).padStart(2, '0')}s` : `${secs}s`;
    stderr.write(`\r\x1b[Kguest: ${running.e.step} ${elapsed}  (log: ${running.e.log})`);
  };
  const clear = (): void => { if (running) stderr.write('\r\x1b[K'); };
  return {
    line(text) {
      clear();
      stderr.write(text + '\n');
      paint();
    },
    step(e) {
      if (e.state === 'start') {
        running?.cancel();
        running = { e, started: opts.now(), cancel: every(REPAINT_MS, paint) };
        paint();
        return;
      }
      clear();
      if (running?.e.step === e.step) { running.cancel(); running = undefined; }
      stderr.write(stepLine(e) + '\n');
      paint();
    },
    close() {
      clear();
      running?.cancel();
      running = undefined;
    },
  };
}
