/**
 * Host ends of the guest serial console.
 *
 * - `HeadlessConsole`: guest output goes to a sink function (stdout, a log
 *   file, the boot-check engine); input is whatever the runner queues with
 *   `type()` (scripted `send` steps).
 * - `InteractiveConsole`: a raw-mode terminal. Keys go to the guest as typed
 *   (Ctrl-C included); `Ctrl-A x` quits, `Ctrl-A h` prints help, `Ctrl-A Ctrl-A`
 *   sends a literal Ctrl-A. The terminal is put back in cooked mode on every
 *   exit path: `close()` (the CLI calls it in a `finally`), SIGINT/SIGTERM/SIGHUP,
 *   and process exit — Node emits 'exit' after an uncaught exception too, so a
 *   crash also leaves the terminal usable.
 *
 * Both queue input bytes for the runner to pull with `takeInput()` between
 * instruction slices (the UART receives them one FIFO-full at a time).
 */

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

export const CONSOLE_HELP =
  '\r\n[mkrootfs console] Ctrl-A x  quit (the guest is stopped)\r\n' +
  '[mkrootfs console] Ctrl-A h  this help\r\n' +
  '[mkrootfs console] Ctrl-A Ctrl-A  send Ctrl-A to the guest\r\n';

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
  /** Called once when the user quits with Ctrl-A x. */
  onQuit?: () => void;
}

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

export class InteractiveConsole implements HostConsole {
  private readonly input: TerminalIn;
  private readonly output: TerminalOut;
  private readonly proc: ProcessHooks | undefined;
  private readonly onQuit: (() => void) | undefined;
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
        if (b === 0x68 /* h */ || b === 0x48 || b === 0x3f /* ? */) this.output.write(CONSOLE_HELP);
        else if (b === CTRL_A) this.queued.push(CTRL_A);
        // Anything else after Ctrl-A is dropped, as in QEMU's mux.
        continue;
      }
      if (b === CTRL_A) this.escape = true;
      else this.queued.push(b);
    }
  }

  private requestQuit(): void {
    if (this.quit) return;
    this.quit = true;
    this.output.write('\r\n[mkrootfs console] quit\r\n');
    this.onQuit?.();
  }
}
