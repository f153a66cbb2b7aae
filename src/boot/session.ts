/**
 * One boot of a machine, checked: wires the guest console to the transcript
 * and the expect engine, runs the machine until the script decides (or the
 * guest halts, or the wall-clock safety net trips), and reports the outcome.
 * No process I/O here: the machine, the host console and the output sink are
 * passed in.
 */
import { ExitCode } from '../errors.ts';
import { runMachine, type RunTarget, type RunResult } from '../../emulator/host/runner.ts';
import { BootScript, type BootOutcome, type ScriptSpec } from './expect.ts';
import { Transcript } from './transcript.ts';

export interface SessionOptions {
  script: ScriptSpec;
  /** Stop (exit 124) when the wall clock passes this many ms (`performance.now()` based). */
  wallTimeoutMs?: number;
  realtime?: boolean;
  /** Guest time follows the wall clock, the CPU runs at full speed (interactive; see runner.ts). */
  freeRun?: boolean;
  sliceInstructions?: number;
  /** Where guest output goes besides the transcript (stdout, a log file). */
  echo?: (bytes: Uint8Array) => void;
  /** Interactive input; when given, scripted input is merged after it. */
  takeUserInput?: () => Uint8Array;
  /** Interactive quit (Ctrl-A x). */
  quitRequested?: () => boolean;
  /** Lines of console kept for the failure report. */
  keepLines?: number;
  /** A guest reboot restarts the machine instead of ending the boot (interactive). */
  rebootResets?: boolean;
}

export interface SessionResult {
  outcome: BootOutcome;
  transcript: Transcript;
  run: RunResult;
  /** Guest time at the end, ns. */
  guestNs: number;
  /** Guest time of each completed step's match, ns. */
  stepTimesNs: number[];
}

export class BootSession {
  readonly transcript: Transcript;
  readonly script: BootScript;
  private readonly opts: SessionOptions;
  private target: RunTarget | undefined;

  constructor(opts: SessionOptions) {
    this.opts = opts;
    this.transcript = new Transcript(opts.keepLines ?? 20);
    this.script = new BootScript(opts.script);
  }

  private pending = new Uint8Array(4096);
  private pendingLength = 0;

  /**
   * The machine's serial console backend (emulator/devices/char-backend.ts
   * CharBackend): bytes are collected during a run slice and handed to the
   * transcript, the echo and the script after it (`flush`), so the hot path
   * only stores a byte.
   */
  readonly console = {
    write: (byte: number): void => {
      if (this.pendingLength === this.pending.length) {
        const grown = new Uint8Array(this.pending.length * 2);
        grown.set(this.pending);
        this.pending = grown;
      }
      this.pending[this.pendingLength++] = byte;
    },
  };

  /** Passes the bytes collected by `console` on. */
  flush(): void {
    if (this.pendingLength === 0) return;
    const bytes = this.pending.slice(0, this.pendingLength);
    this.pendingLength = 0;
    this.output(bytes);
  }

  /** Console output from the guest (all of it goes through here). */
  readonly output = (bytes: Uint8Array): void => {
    let s = '';
    for (let i = 0; i < bytes.length; i++) s += String.fromCharCode(bytes[i]!);
    this.transcript.append(s);
    this.opts.echo?.(bytes);
    this.script.onOutput(s, this.target ? this.target.nowNs() : 0);
  };

  async run(target: RunTarget): Promise<SessionResult> {
    this.target = target;
    const script = this.script;
    script.start(target.nowNs());
    const started = performance.now();
    const run = await runMachine(target, {
      takeInput: () => {
        const user = this.opts.takeUserInput?.();
        const scripted = script.takeInput();
        if (scripted.length === 0) return user ?? new Uint8Array(0);
        const bytes = Uint8Array.from(scripted, (c) => c.charCodeAt(0) & 0xff);
        if (!user || user.length === 0) return bytes;
        const both = new Uint8Array(user.length + bytes.length);
        both.set(user, 0);
        both.set(bytes, user.length);
        return both;
      },
      afterSlice: (nowNs) => {
        this.flush();
        script.poll(nowNs);
        return script.outcome !== undefined || (this.opts.quitRequested?.() ?? false);
      },
      guestDeadlineNs: () => script.nextDeadlineNs(),
      wallDeadlineMs: this.opts.wallTimeoutMs === undefined ? undefined : started + this.opts.wallTimeoutMs,
    }, { realtime: this.opts.realtime, freeRun: this.opts.freeRun, sliceInstructions: this.opts.sliceInstructions, rebootResets: this.opts.rebootResets });

    this.flush();
    const nowNs = target.nowNs();
    if (!script.outcome) {
      if (run.end === 'halted' && target.halted) script.onHalt(target.halted.how, target.halted.code, nowNs);
    }
    let outcome = script.outcome;
    if (!outcome) {
      if (run.end === 'wall-timeout') {
        outcome = {
          kind: 'timeout', exitCode: ExitCode.timeout, step: script.stepsDone, atNs: nowNs,
          message: `boot exceeded the wall-clock limit of ${Math.round((this.opts.wallTimeoutMs ?? 0) / 1000)} s (guest time ${(nowNs / 1e9).toFixed(2)} s, ${run.instructions} instructions)`,
        };
      } else {
        // Interactive quit: the user ended the session.
        outcome = { kind: 'ok', exitCode: ExitCode.ok, step: script.stepsDone, atNs: nowNs, message: 'console closed by the user' };
      }
    }
    return { outcome, transcript: this.transcript, run, guestNs: nowNs, stepTimesNs: [...script.matchedAtNs] };
  }
}
