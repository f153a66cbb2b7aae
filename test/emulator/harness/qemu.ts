/**
 * The oracles: `qemu-system-or1k -M virt` for bare-metal programs and
 * `qemu-or1k` (user mode) for static Linux programs. Both capture stdout and
 * the exit status; a timeout kills QEMU and is reported, never hidden.
 */
import { spawn } from 'node:child_process';
import { constants as osConstants } from 'node:os';
import { existsSync, readFileSync, rmSync } from 'node:fs';

export interface ProcResult {
  stdout: Buffer;
  stderr: string;
  /** Exit status, or 128+signal number when killed by a signal. */
  status: number;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
}

export function runProcess(cmd: string, argv: string[], opts: { cwd?: string; stdin?: Uint8Array; timeoutMs: number; env?: NodeJS.ProcessEnv }): Promise<ProcResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(cmd, argv, { cwd: opts.cwd, env: opts.env ?? { ...process.env, LC_ALL: 'C' }, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let err = '';
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, opts.timeoutMs);
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => (err += d.toString('latin1')));
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const sigNum = signal ? (osConstants.signals as Record<string, number>)[signal] ?? 0 : 0;
      resolvePromise({ stdout: Buffer.concat(out), stderr: err, status: code ?? 128 + sigNum, signal, timedOut });
    });
    child.stdin.on('error', () => {});
    child.stdin.end(opts.stdin ?? new Uint8Array(0));
  });
}

/**
 * Bare-metal ELF on the virt board; the program ends by writing 0x5555 to the
 * syscon (exit 0). `-singlestep` (one instruction per translation block) is on
 * by default: without it QEMU 7.2 loses the delay-slot state for exceptions
 * raised by helpers (l.trap, l.sys, illegal instruction in a delay slot get
 * EPCR = the slot and DSX = 0, depending on where the translation block
 * started), while with it QEMU follows the spec (EPCR = branch, DSX = 1).
 */
export async function runQemuSystem(elf: string, opts: { timeoutMs?: number; singlestep?: boolean } = {}): Promise<ProcResult> {
  // The UART goes to a file: QEMU's stdio backend drops characters when a
  // busy host does not drain the pipe fast enough.
  const serial = `${elf}.serial.txt`;
  rmSync(serial, { force: true });
  const r = await runProcess('qemu-system-or1k', [
    '-M', 'virt', '-cpu', 'any', '-m', '32', '-kernel', elf,
    '-display', 'none', '-no-reboot', '-monitor', 'none', '-serial', `file:${serial}`, '-seed', '1',
    ...(opts.singlestep === false ? [] : ['-singlestep']),
  ], { timeoutMs: opts.timeoutMs ?? 20_000 });
  return { ...r, stdout: existsSync(serial) ? readFileSync(serial) : Buffer.alloc(0) };
}

/**
 * Static Linux program under qemu-or1k (user mode). The guest sees exactly
 * `env` (qemu-or1k passes its own environment through) and argv[0] = `elf`.
 */
export function runQemuUser(elf: string, args: string[], opts: { cwd?: string; stdin?: Uint8Array; env?: Record<string, string>; timeoutMs?: number } = {}): Promise<ProcResult> {
  return runProcess('/usr/bin/qemu-or1k', [elf, ...args], {
    cwd: opts.cwd,
    stdin: opts.stdin,
    timeoutMs: opts.timeoutMs ?? 30_000,
    env: opts.env ?? {},
  });
}
