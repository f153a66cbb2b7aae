/**
 * The boot-check engine: watches the guest console and decides the outcome of
 * a boot. Pure logic — it is fed console text and guest time, and hands back
 * the bytes to type into the guest; the runner does the I/O.
 *
 * Semantics
 * - `steps` run in order. A step may `expect` a pattern and/or `send` a line.
 *   The pattern is awaited in output produced after the previous step
 *   completed; once it matched (at once for a step without one) the text is
 *   typed, followed by Enter. So `{expect: "/ # ", send: "ls /"}` waits for the
 *   prompt, then runs `ls /`.
 * - A step with `waitPort` or `http` runs a network check after its pattern
 *   (at once without one) and before its `send`: a connection into the guest
 *   through the user network (BootNetDriver), retried on guest time (250 ms,
 *   growing) until it passes or the step times out.
 * - `fail` patterns are watched from reset to the end; any match ends the boot.
 *   `panic` patterns (default "Kernel panic") are fail patterns that mean a
 *   guest panic (exit 4); the rest of the panic line is captured for the report.
 * - Time is guest time (nanoseconds of virtual time from the machine clock), so
 *   a step that times out does so at the same guest instant on every run and
 *   transcripts stay reproducible. A step's `timeoutS` counts from the moment it
 *   became active; the overall `timeoutS` counts from reset.
 * - When the last step has matched the boot has succeeded (the runner stops at
 *   once). With no steps, or when the last step ends with a `send` (such as
 *   `poweroff -f`), success is a clean power-off after it.
 */
import { ExitCode, usageError, type ExitCodeValue } from '../errors.ts';
import { parsePattern, StreamMatcher, utf8ToLatin1, type Pattern } from './pattern.ts';

export interface BootStep {
  /** Pattern that must appear next on the console. */
  expect?: string;
  /** Then wait until this guest TCP port accepts a connection through the user network (retried). */
  waitPort?: number;
  /** Then GET `path` from guest `port` through the user network until the body matches `expect` (retried). */
  http?: { port: number; path: string; expect: string };
  /** Then typed into the guest console, followed by Enter (see `decodeSendText`). */
  send?: string;
  /** Guest seconds allowed for this step's expectation, from when the step becomes active. */
  timeoutS?: number;
}

export interface ScriptSpec {
  steps: BootStep[];
  fail: string[];
  panic: string[];
  /** Guest seconds allowed for the whole boot, from reset. */
  timeoutS: number;
}

/**
 * The network side of `waitPort` / `http` steps (the user network's
 * in-process connections into the guest). Results may arrive at any time;
 * the script takes them at its next `poll`.
 */
export interface BootNetDriver {
  probePort(port: number, done: (open: boolean) => void): void;
  httpGet(port: number, path: string, done: (r: { status: number; body: string } | { error: string }) => void): void;
}

/** Guest time between attempts of a network step. */
const NET_RETRY_NS = 250_000_000;

/** Does a step use the network (wait-port, http)? */
export const isNetStep = (s: BootStep): boolean => s.waitPort !== undefined || s.http !== undefined;

export type OutcomeKind = 'ok' | 'expect-failed' | 'fail-matched' | 'panic' | 'timeout' | 'step-timeout' | 'poweroff-code';

export interface BootOutcome {
  kind: OutcomeKind;
  exitCode: ExitCodeValue;
  message: string;
  /** Index of the step that was active (steps.length when all were done). */
  step: number;
  /** Pattern involved (failed expectation, matched fail/panic pattern). */
  pattern?: string;
  /** Guest time of the decision. */
  atNs: number;
}

interface ActiveStep {
  spec: BootStep;
  matcher: StreamMatcher | undefined;
  deadlineNs: number;
  /** Network phase (after the console pattern): next attempt, an attempt in flight, its result. */
  net?: { nextTryNs: number; inFlight: boolean; passed: boolean; attempts: number; last: string };
}

/** Guest time to wait for the rest of a panic line before reporting it anyway. */
const PANIC_LINE_GRACE_NS = 200_000_000;

export class BootScript {
  private readonly spec: ScriptSpec;
  private readonly failMatchers: StreamMatcher[];
  private readonly panicMatchers: StreamMatcher[];
  private stepIndex = -1;
  private active: ActiveStep | undefined;
  private pendingInput = '';
  private currentLine = '';
  private panicAtNs = -1;
  private panicPattern = '';
  private decided: BootOutcome | undefined;
  private netDriver: BootNetDriver | undefined;
  /** Guest time at which each completed step matched (or was typed). */
  readonly matchedAtNs: number[] = [];

  constructor(spec: ScriptSpec) {
    this.spec = spec;
    spec.steps.forEach((s, i) => {
      if (s.expect === undefined && s.send === undefined && !isNetStep(s)) throw usageError('BOOT_EMPTY_STEP', `boot step ${i + 1} has neither expect nor send`, 'give the step an expect: text, a send: text, or both');
      if (s.expect !== undefined) parsePattern(s.expect, 'expect'); // validate early
      if (s.http) parsePattern(s.http.expect, 'http.expect');
    });
    this.failMatchers = spec.fail.map((f) => new StreamMatcher(parsePattern(f, 'fail')));
    this.panicMatchers = spec.panic.map((f) => new StreamMatcher(parsePattern(f, 'panic')));
  }

  /** Connects `waitPort` / `http` steps to the user network. */
  attachNet(driver: BootNetDriver): void {
    this.netDriver = driver;
  }

  /** Does any step need the network? */
  get needsNet(): boolean {
    return this.spec.steps.some(isNetStep);
  }

  get outcome(): BootOutcome | undefined {
    return this.decided;
  }

  /** Number of steps completed so far. */
  get stepsDone(): number {
    return this.decided?.kind === 'ok' ? this.spec.steps.length : Math.max(0, this.stepIndex);
  }

  /** Starts the script at guest time `nowNs` (usually 0). */
  start(nowNs: number): void {
    if (this.stepIndex >= 0) return;
    this.advance(nowNs);
  }

  /** Bytes the script wants typed into the guest (emptied by this call). */
  takeInput(): string {
    const s = this.pendingInput;
    this.pendingInput = '';
    return s;
  }

  /** Console output (bytes as a latin1 string) produced by guest time `nowNs`. */
  onOutput(raw: string, nowNs: number): void {
    if (this.decided) return;
    const text = raw.indexOf('\r') >= 0 ? raw.replace(/\r/g, '') : raw;
    if (text.length === 0) return;
    const openLine = this.currentLine;
    if (this.panicAtNs >= 0) {
      // Waiting for the end of the panic line, to report it whole.
      const nl = text.indexOf('\n');
      if (nl >= 0) this.decidePanic(nowNs, openLine + text.slice(0, nl));
      else this.currentLine = capLine(openLine + text);
      return;
    }
    const lastNl = text.lastIndexOf('\n');
    this.currentLine = capLine(lastNl < 0 ? openLine + text : text.slice(lastNl + 1));
    // Within one piece of output, what happened first wins: find where the
    // first panic / fail pattern ends, and let expectations match only before it.
    let panicEnd = -1;
    let panicSource = '';
    for (const m of this.panicMatchers) {
      const end = m.feed(text);
      if (end >= 0 && (panicEnd < 0 || end < panicEnd)) {
        panicEnd = end;
        panicSource = m.pattern.source;
      }
    }
    let failEnd = -1;
    let failSource = '';
    for (const m of this.failMatchers) {
      const end = m.feed(text);
      if (end >= 0 && (failEnd < 0 || end < failEnd)) {
        failEnd = end;
        failSource = m.pattern.source;
      }
    }
    const cutoff = Math.min(panicEnd < 0 ? text.length : panicEnd, failEnd < 0 ? text.length : failEnd);
    let rest = text.slice(0, cutoff);
    while (this.active && rest.length > 0) {
      const m = this.active.matcher;
      if (!m) break;
      const end = m.feed(rest);
      if (end < 0) break;
      rest = rest.slice(end);
      if (isNetStep(this.active.spec)) {
        this.enterNetPhase(this.active, nowNs);
        break;
      }
      this.completeStep(this.active.spec, nowNs);
      this.advance(nowNs);
    }
    if (this.decided) return;
    if (panicEnd >= 0 && (failEnd < 0 || panicEnd <= failEnd)) {
      this.panicPattern = panicSource;
      const lineStart = text.lastIndexOf('\n', panicEnd - 1);
      const line = (lineStart < 0 ? openLine : '') + text.slice(lineStart + 1);
      const nl = line.indexOf('\n', (lineStart < 0 ? openLine.length : 0) + panicEnd - lineStart - 1);
      if (nl >= 0) this.decidePanic(nowNs, line.slice(0, nl));
      else {
        this.panicAtNs = nowNs;
        this.currentLine = capLine(line);
      }
      return;
    }
    if (failEnd >= 0) {
      this.decide({ kind: 'fail-matched', exitCode: ExitCode.expectFailed, message: `console matched fail pattern "${failSource}"`, pattern: failSource }, nowNs);
    }
  }

  /** Checks deadlines; call at least once per run slice with the current guest time. */
  poll(nowNs: number): void {
    if (this.decided) return;
    if (this.panicAtNs >= 0) {
      if (nowNs - this.panicAtNs >= PANIC_LINE_GRACE_NS) this.decidePanic(nowNs, this.currentLine);
      return;
    }
    if (this.active?.net) this.pollNet(this.active, nowNs);
    if (this.decided) return;
    if (this.active && nowNs >= this.active.deadlineNs) {
      const s = this.active.spec;
      this.decide({
        kind: 'step-timeout', exitCode: ExitCode.timeout,
        message: `step ${this.stepIndex + 1} (${describeStep(s)}) did not complete within ${s.timeoutS} s of guest time` + (this.active.net?.last ? ` (last attempt: ${this.active.net.last})` : ''),
        pattern: s.expect,
      }, nowNs);
      return;
    }
    if (nowNs >= this.spec.timeoutS * 1e9) {
      const s = this.active?.spec;
      this.decide({
        kind: 'timeout', exitCode: ExitCode.timeout,
        message: `boot timed out after ${this.spec.timeoutS} s of guest time` + (s ? ` waiting for step ${this.stepIndex + 1} (${describeStep(s)})` : ''),
        pattern: s?.expect,
      }, nowNs);
    }
  }

  /** The next guest time at which `poll` could decide something (a deadline). */
  nextDeadlineNs(): number {
    if (this.decided) return Number.POSITIVE_INFINITY;
    if (this.panicAtNs >= 0) return this.panicAtNs + PANIC_LINE_GRACE_NS;
    const net = this.active?.net;
    const retry = net && !net.inFlight && !net.passed ? net.nextTryNs : Number.POSITIVE_INFINITY;
    return Math.min(this.active?.deadlineNs ?? Number.POSITIVE_INFINITY, this.spec.timeoutS * 1e9, retry);
  }

  private enterNetPhase(active: ActiveStep, nowNs: number): void {
    active.matcher = undefined;
    active.net = { nextTryNs: nowNs, inFlight: false, passed: false, attempts: 0, last: '' };
    this.pollNet(active, nowNs);
  }

  /** Runs the active step's network check: one attempt at a time, retried on guest time. */
  private pollNet(active: ActiveStep, nowNs: number): void {
    const net = active.net!;
    if (net.passed) {
      active.net = undefined;
      this.completeStep(active.spec, nowNs);
      this.advance(nowNs);
      return;
    }
    if (net.inFlight || nowNs < net.nextTryNs) return;
    const driver = this.netDriver;
    if (!driver) {
      this.decide({ kind: 'expect-failed', exitCode: ExitCode.expectFailed, message: `step ${this.stepIndex + 1} (${describeStep(active.spec)}) needs the user network (--nic user)` }, nowNs);
      return;
    }
    net.inFlight = true;
    net.attempts++;
    const settle = (ok: boolean, why: string): void => {
      net.inFlight = false;
      net.last = why;
      if (ok) net.passed = true;
      else net.nextTryNs = nowNs + NET_RETRY_NS * net.attempts;
    };
    const s = active.spec;
    if (s.waitPort !== undefined) {
      driver.probePort(s.waitPort, (open) => settle(open, open ? 'open' : 'refused'));
    } else if (s.http) {
      const h = s.http;
      const pattern = parsePattern(h.expect, 'http.expect');
      driver.httpGet(h.port, h.path, (r) => {
        if ('error' in r) return settle(false, r.error);
        const body = utf8ToLatin1(r.body);
        settle(new StreamMatcher(pattern).feed(body) >= 0, `HTTP ${r.status}, body ${JSON.stringify(r.body.slice(0, 80))}`);
      });
    }
  }

  /** The last network attempt's result, for failure reports. */
  get netDetail(): string | undefined {
    return this.active?.net?.last || undefined;
  }

  /** The guest powered off (exit code from the power-off device, 0 = clean) or reset. */
  onHalt(how: 'poweroff' | 'reset', guestCode: number, nowNs: number): void {
    if (this.decided) return;
    if (this.panicAtNs >= 0) {
      this.decidePanic(nowNs, this.currentLine);
      return;
    }
    const what = how === 'poweroff' ? 'powered off' : 'reset';
    if (this.active) {
      this.decide({
        kind: 'expect-failed', exitCode: ExitCode.expectFailed,
        message: `guest ${what} before step ${this.stepIndex + 1} (${describeStep(this.active.spec)}) completed`,
        pattern: this.active.spec.expect,
      }, nowNs);
      return;
    }
    if (how === 'poweroff' && guestCode !== 0) {
      this.decide({ kind: 'poweroff-code', exitCode: ExitCode.runtime, message: `guest signalled failure with code ${guestCode} (syscon 0x3333)` }, nowNs);
      return;
    }
    this.decide({ kind: 'ok', exitCode: ExitCode.ok, message: `guest ${what}` }, nowNs);
  }

  private advance(nowNs: number): void {
    for (;;) {
      this.stepIndex++;
      const spec = this.spec.steps[this.stepIndex];
      if (!spec) {
        this.active = undefined;
        const last = this.spec.steps[this.spec.steps.length - 1];
        // A trailing send (e.g. "poweroff -f") is typed; then the boot waits for the guest to halt.
        if (last && last.send === undefined) this.decide({ kind: 'ok', exitCode: ExitCode.ok, message: `all ${this.spec.steps.length} boot steps completed` }, nowNs);
        return;
      }
      const deadlineNs = spec.timeoutS === undefined ? Number.POSITIVE_INFINITY : nowNs + spec.timeoutS * 1e9;
      if (spec.expect === undefined && isNetStep(spec)) {
        this.active = { spec, matcher: undefined, deadlineNs };
        this.enterNetPhase(this.active, nowNs);
        return;
      }
      if (spec.expect === undefined) {
        // A send-only step: type it now.
        this.completeStep(spec, nowNs);
        continue;
      }
      this.active = { spec, matcher: new StreamMatcher(parsePattern(spec.expect, 'expect')), deadlineNs };
      return;
    }
  }

  /** The step's pattern matched (or it had none): type its text, if any. */
  private completeStep(spec: BootStep, nowNs: number): void {
    this.matchedAtNs[this.stepIndex] = nowNs;
    if (spec.send !== undefined) this.pendingInput += decodeSendText(spec.send) + '\n';
  }

  private decidePanic(nowNs: number, line: string): void {
    if (this.decided) return;
    const l = line.trim();
    this.decide({
      kind: 'panic', exitCode: ExitCode.guestPanic,
      message: `guest panic: ${l.length > 0 ? l : this.panicPattern}`,
      pattern: this.panicPattern,
    }, nowNs);
  }

  private decide(o: Omit<BootOutcome, 'step' | 'atNs'>, nowNs: number): void {
    if (this.decided) return;
    this.decided = { ...o, step: Math.max(0, Math.min(this.stepIndex, this.spec.steps.length)), atNs: nowNs };
    this.active = undefined;
  }
}

function capLine(line: string): string {
  return line.length > 4096 ? line.slice(line.length - 4096) : line;
}

function describeStep(s: BootStep): string {
  const parts: string[] = [];
  if (s.expect !== undefined) parts.push(`expect ${JSON.stringify(s.expect)}`);
  if (s.waitPort !== undefined) parts.push(`wait-port ${s.waitPort}`);
  if (s.http) parts.push(`http GET :${s.http.port}${s.http.path} expecting ${JSON.stringify(s.http.expect)}`);
  if (s.send !== undefined) parts.push(`send ${JSON.stringify(s.send)}`);
  return parts.join(', ');
}

/**
 * Escapes in send text: `\n` `\r` `\t` `\e` (ESC), `\xHH`, `\\`, and `^X`-style
 * control keys written `\cX` (e.g. `\cC` for Ctrl-C). Other characters are
 * sent as their UTF-8 bytes (returned as a latin1 string, one char per byte).
 */
export function decodeSendText(text: string): string {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c !== '\\' || i + 1 >= text.length) {
      const cp = text.codePointAt(i)!;
      if (cp > 0xffff) i++;
      out += utf8ToLatin1(String.fromCodePoint(cp));
      continue;
    }
    const n = text[++i]!;
    switch (n) {
      case 'n': out += '\n'; break;
      case 'r': out += '\r'; break;
      case 't': out += '\t'; break;
      case 'e': out += '\x1b'; break;
      case '\\': out += '\\'; break;
      case 'x': {
        const hex = text.slice(i + 1, i + 3);
        if (/^[0-9a-fA-F]{2}$/.test(hex)) {
          out += String.fromCharCode(parseInt(hex, 16));
          i += 2;
        } else out += '\\x';
        break;
      }
      case 'c': {
        const k = text[i + 1];
        if (k !== undefined && /[@A-Za-z[\\\]^_?]/.test(k)) {
          out += k === '?' ? '\x7f' : String.fromCharCode(k.toUpperCase().charCodeAt(0) & 0x1f);
          i += 1;
        } else out += '\\c';
        break;
      }
      default: out += '\\' + n;
    }
  }
  return out;
}

export type { Pattern };
