/**
 * Host ends of the guest serial console.
 *
 * - `HeadlessConsole`: guest output goes to a sink function (stdout, a log
 *   file, the boot-check engine); input is whatever the runner queues with
 *   `type()` (scripted `send` steps).
 * - `InteractiveConsole`: a raw-mode terminal. Keys go to the guest as typed
 *   (Ctrl-C included); `Ctrl-A x` quits, `Ctrl-A h` prints help, `Ctrl-A Ctrl-A`
 *   sends a literal Ctrl-A. With a monitor, `Ctrl-A c` switches the keyboard
 *   between the guest console and the monitor (prompt `(qemu) `), as QEMU's
 *   `-nographic` mux does: the guest keeps running, and its output keeps
 *   coming to the terminal, while the monitor reads a line and runs it
 *   (Backspace edits, Ctrl-C drops the line, escape sequences such as arrow
 *   keys are ignored; monitor `quit` quits like Ctrl-A x). The terminal is put back in cooked mode on every
 *   exit path: `close()` (the CLI calls it in a `finally`), SIGINT/SIGTERM/SIGHUP,
 *   and process exit — Node emits 'exit' after an uncaught exception too, so a
 *   crash also leaves the terminal usable.
 *
 * Both queue input bytes for the runner to pull with `takeInput()` between
 * instruction slices (the UART receives them one FIFO-full at a time).
 */

import { MONITOR_BANNER, MONITOR_PROMPT } from '../monitor/monitor.ts';

export interface HostConsole {
  /** Guest → host bytes. */
  write(bytes: Uint8Array): void;
  /** Host → guest bytes queued since the last call (empty when none). */
  takeInput(): Uint8Array;
  /** True once the user asked to quit (interactive) or never (headless). */
  readonly quitRequested: boolean;
  close(): void;
}

export class HeadlessConsole implements HostConsole {
  private readonly sink: (bytes: Uint8Array) => void;
  private queued: number[] = [];
  readonly quitRequested = false;

  constructor(sink: (bytes: Uint8Array) => void) {
    this.sink = sink;
  }

  write(bytes: Uint8Array): void {
    this.sink(bytes);
  }

  /** Queues bytes to type into the guest (a latin1 string is one char per byte). */
  type(text: string | Uint8Array): void {
    if (typeof text === 'string') for (let i = 0; i < text.length; i++) this.queued.push(text.charCodeAt(i) & 0xff);
    else for (const b of text) this.queued.push(b);
  }

  takeInput(): Uint8Array {
    return drain(this.queued);
  }

  close(): void {
    this.queued = [];
  }
}

const EMPTY = new Uint8Array(0);

/** Empties a queue of typed bytes into one array (shared by both consoles). */
function drain(queue: number[]): Uint8Array {
  if (queue.length === 0) return EMPTY;
  const out = Uint8Array.from(queue);
  queue.length = 0;
  return out;
}
const CTRL_A = 0x01;

/** The Ctrl-A help; `withMonitor` adds the Ctrl-A c line. */
export function consoleHelp(withMonitor: boolean): string {
  return (
    '\r\n[mkrootfs console] Ctrl-A x  quit (the guest is stopped)\r\n' +
    '[mkrootfs console] Ctrl-A h  this help\r\n' +
    (withMonitor ? '[mkrootfs console] Ctrl-A c  switch between the console and the monitor (type help there)\r\n' : '') +
    '[mkrootfs console] Ctrl-A Ctrl-A  send Ctrl-A to the guest\r\n'
  );
}

export const CONSOLE_HELP = consoleHelp(false);

/** The monitor the console switches to (emulator/monitor/monitor.ts Monitor). */
export interface ConsoleMonitor {
  execute(line: string): { text: string; quit: boolean };
}

/** The parts of a terminal the interactive console uses (process.stdin/stdout by default). */
export interface TerminalIn {
  isTTY?: boolean;
  setRawMode?: (raw: boolean) => unknown;
  on(event: 'data', listener: (chunk: Buffer | string) => void): unknown;
  off(event: 'data', listener: (chunk: Buffer | string) => void): unknown;
  resume(): unknown;
  pause(): unknown;
}
export interface TerminalOut {
  write(data: Uint8Array | string): unknown;
}
/** Process hooks used to restore the terminal (tests pass a fake). */
export interface ProcessHooks {
  on(event: string, listener: (...args: unknown[]) => void): unknown;
  off(event: string, listener: (...args: unknown[]) => void): unknown;
  kill(pid: number, signal: string): unknown;
  readonly pid: number;
}

export interface InteractiveConsoleOptions {
  input: TerminalIn;
  output: TerminalOut;
  proc?: ProcessHooks;
  /** Called once when the user quits with Ctrl-A x (or the monitor's quit). */
  onQuit?: () => void;
  /** Enables Ctrl-A c: the keyboard then drives this monitor. */
  monitor?: ConsoleMonitor;
}

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

export class InteractiveConsole implements HostConsole {
  private readonly input: TerminalIn;
  private readonly output: TerminalOut;
  private readonly proc: ProcessHooks | undefined;
  private readonly onQuit: (() => void) | undefined;
  private readonly monitor: ConsoleMonitor | undefined;
  /** The keyboard drives the monitor (after Ctrl-A c) instead of the guest. */
  private monitorFocus = false;
  private monitorOpened = false;
  private monitorLine = '';
  /** Monitor line editor: 1 after ESC, 2 inside a CSI sequence (ESC [ ... final). */
  private monitorEsc = 0;
  private monitorLastCr = false;
  private queued: number[] = [];
  private escape = false;
  private raw = false;
  private closed = false;
  private quit = false;
  private readonly onData = (chunk: Buffer | string): void => this.handleKeys(chunk);
  private readonly onExit = (): void => this.restore();
  private readonly onSignal = (...args: unknown[]): void => {
    const sig = String(args[0] ?? 'SIGTERM');
    this.close();
    // Re-deliver so the process ends the way the signal means (exit 128+n).
    this.proc?.kill(this.proc.pid, sig);
  };

  constructor(opts: InteractiveConsoleOptions) {
    this.input = opts.input;
    this.output = opts.output;
    this.proc = opts.proc;
    this.onQuit = opts.onQuit;
    this.monitor = opts.monitor;
    if (this.input.setRawMode && this.input.isTTY) {
      this.input.setRawMode(true);
      this.raw = true;
    }
    this.input.on('data', this.onData);
    this.input.resume();
    if (this.proc) {
      this.proc.on('exit', this.onExit);
      for (const s of SIGNALS) this.proc.on(s, this.onSignal);
    }
  }

  get quitRequested(): boolean {
    return this.quit;
  }

  /** The keyboard currently drives the monitor. */
  get inMonitor(): boolean {
    return this.monitorFocus;
  }

  write(bytes: Uint8Array): void {
    if (!this.closed) this.output.write(bytes);
  }

  takeInput(): Uint8Array {
    return drain(this.queued);
  }

  /** Leaves raw mode and detaches every hook. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.input.off('data', this.onData);
    this.input.pause();
    this.restore();
    if (this.proc) {
      this.proc.off('exit', this.onExit);
      for (const s of SIGNALS) this.proc.off(s, this.onSignal);
    }
  }

  private restore(): void {
    if (!this.raw) return;
    this.raw = false;
    try {
      this.input.setRawMode?.(false);
    } catch {
      // The terminal may already be gone (hang-up); nothing left to restore.
    }
  }

  private handleKeys(chunk: Buffer | string): void {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
    for (const b of bytes) {
      if (this.escape) {
        this.escape = false;
        if (b === 0x78 /* x */ || b === 0x58) {
          this.requestQuit();
          return;
        }
        if (b === 0x68 /* h */ || b === 0x48 || b === 0x3f /* ? */) this.output.write(consoleHelp(this.monitor !== undefined));
        else if ((b === 0x63 /* c */ || b === 0x43) && this.monitor) this.switchFocus();
        else if (b === CTRL_A && !this.monitorFocus) this.queued.push(CTRL_A);
        // Anything else after Ctrl-A is dropped, as in QEMU's mux.
        continue;
      }
      if (b === CTRL_A) this.escape = true;
      else if (this.monitorFocus) {
        if (this.monitorKey(b)) return;
      } else this.queued.push(b);
    }
  }

  private switchFocus(): void {
    this.monitorFocus = !this.monitorFocus;
    if (!this.monitorFocus) {
      this.output.write('\r\n');
      return;
    }
    const banner = this.monitorOpened ? '' : `${MONITOR_BANNER}\r\n`;
    this.monitorOpened = true;
    this.output.write(`\r\n${banner}${MONITOR_PROMPT}${this.monitorLine}`);
  }

  /** One key for the monitor's line editor; true when the monitor quit the session. */
  private monitorKey(b: number): boolean {
    const lastCr = this.monitorLastCr;
    this.monitorLastCr = b === 0x0d;
    if (this.monitorEsc === 1) {
      this.monitorEsc = b === 0x5b /* [ */ || b === 0x4f /* O */ ? 2 : 0;
      return false;
    }
    if (this.monitorEsc === 2) {
      if (b >= 0x40 && b <= 0x7e) this.monitorEsc = 0;
      return false;
    }
    if (b === 0x1b) {
      this.monitorEsc = 1;
    } else if (b === 0x0d || b === 0x0a) {
      if (b === 0x0a && lastCr) return false; // the \n of a \r\n pair
      const line = this.monitorLine;
      this.monitorLine = '';
      this.output.write('\r\n');
      const reply = this.monitor!.execute(line);
      if (reply.text) this.output.write(reply.text.replace(/\r?\n/g, '\r\n'));
      if (reply.quit) {
        this.requestQuit();
        return true;
      }
      this.output.write(MONITOR_PROMPT);
    } else if (b === 0x7f || b === 0x08) {
      if (this.monitorLine.length > 0) {
        this.monitorLine = this.monitorLine.slice(0, -1);
        this.output.write('\b \b');
      }
    } else if (b === 0x03) {
      this.monitorLine = '';
      this.output.write(`^C\r\n${MONITOR_PROMPT}`);
    } else if (b >= 0x20 && b !== 0x7f) {
      const c = String.fromCharCode(b);
      this.monitorLine += c;
      this.output.write(c);
    }
    return false;
  }

  private requestQuit(): void {
    if (this.quit) return;
    this.quit = true;
    this.output.write('\r\n[mkrootfs console] quit\r\n');
    this.onQuit?.();
  }
}
