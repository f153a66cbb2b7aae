/**
 * The oracle for the boot trace: QEMU's own per-instruction log of a kernel
 * boot, recorded at test time on the kernel under test.
 *
 * `recordQemuBootTrace` starts `qemu-system-or1k -M virt` paused (`-S`) with
 * `-singlestep -d cpu,nochain,int`, reads the reset state over QMP (PC, r3 =
 * the DTB address) and saves the DTB exactly as the guest will see it
 * (`pmemsave`: QEMU 7.2 re-randomises the rng-seed at reset, so
 * `-machine dumpdtb` would not give the same bytes), then lets it run and
 * converts the log into `TraceEntry`s as it streams in, until it has the
 * number of instructions asked for; then QEMU is killed.
 *
 * The log goes to a FIFO (`-D`; QEMU writes a file with one buffered write
 * per logged instruction, but stderr unbuffered, about 8x slower) and is
 * parsed line by line as it arrives (`QemuLogParser`), so only the entries
 * are kept, never the ~360 bytes of text QEMU writes per instruction.
 */
import { spawn, spawnSync } from 'node:child_process';
import { constants as fsConstants, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import type { TraceEntry } from './boot-trace.ts';

/**
 * Turns QEMU's `-d cpu,int` log for or1k into trace entries:
 *
 *     PC=00000104
 *     R00=00000000 R01=00000000 R02=00000000 R03=12340000
 *     ... (8 lines of 4 registers)
 *     CPU: 0 INT: DTLBMISS (data tlb miss)
 *
 * A `PC=` block is logged before each instruction (one per translation block
 * under `-singlestep`); its registers that differ from the previous block are
 * the results of the previous instruction (the first block lists all 32).
 *
 * QEMU logs a block when it enters it, and it may leave again before the
 * instruction runs when its main loop asks the vCPU to stop (timers, I/O: at
 * moments that depend on the host). It then logs the same block again, with
 * the same registers. The parser drops such a repeat and counts it in
 * `reentries`: on or1k an instruction cannot follow itself without an
 * exception in between (branches have a delay slot).
 */
export class QemuLogParser {
  readonly entries: TraceEntry[] = [];
  /** PC entries so far. */
  instructions = 0;
  /** Lines that are none of the above (the first few, for the report). */
  readonly unparsed: string[] = [];
  unparsedCount = 0;
  /** PC blocks logged twice in a row (dropped). */
  reentries = 0;
  private rest = '';
  private readonly regs = new Uint32Array(32);
  private readonly regText: string[] = new Array<string>(32).fill('');
  private pc = 0;
  /** Register lines still expected for the current PC block; -1 outside a block. */
  private regLine = -1;
  private changes: Array<[number, number]> = [];

  constructor(private readonly limit = Infinity) {}

  get done(): boolean {
    return this.instructions >= this.limit;
  }

  /** Feeds a chunk of log text (latin1); returns `done`. */
  push(chunk: string): boolean {
    let text = this.rest + chunk;
    let start = 0;
    for (;;) {
      if (this.done) {
        this.rest = '';
        return true;
      }
      const nl = text.indexOf('\n', start);
      if (nl < 0) break;
      let end = nl;
      if (end > start && text.charCodeAt(end - 1) === 13) end--;
      this.line(text.slice(start, end));
      start = nl + 1;
    }
    this.rest = text.slice(start);
    text = '';
    return this.done;
  }

  private line(line: string): void {
    if (this.regLine >= 0 && line.length === 51 && line.charCodeAt(0) === 82 /* R */) {
      const base = this.regLine * 4;
      for (let i = 0; i < 4; i++) {
        const at = i * 13;
        const r = base + i;
        if (Number(line.slice(at + 1, at + 3)) !== r || line.charCodeAt(at + 3) !== 61 /* = */) return this.unknown(line);
        const v = line.slice(at + 4, at + 12);
        if (v !== this.regText[r]) {
          this.regText[r] = v;
          const n = parseInt(v, 16) >>> 0;
          if (n !== this.regs[r]) this.changes.push([r, n]);
          this.regs[r] = n;
        }
      }
      if (++this.regLine === 8) {
        const last = this.entries[this.entries.length - 1];
        if (last?.kind === 'pc' && last.pc === this.pc && this.changes.length === 0) {
          this.reentries++; // the same block again: see the class comment
        } else {
          const changes = this.instructions === 0 ? Array.from(this.regs, (v, r): [number, number] => [r, v]) : this.changes;
          this.entries.push({ kind: 'pc', insn: this.instructions++, pc: this.pc, changes });
        }
        this.changes = [];
        this.regLine = -1;
      }
      return;
    }
    if (this.regLine >= 0) return this.unknown(line); // a PC block cut short
    if (line.startsWith('PC=') && line.length === 11) {
      this.pc = parseInt(line.slice(3), 16) >>> 0;
      this.regLine = 0;
      return;
    }
    const m = /^(?:CPU: \d+ )?INT: (.*)$/.exec(line); // QEMU 7.2 names the CPU, later versions do not
    if (m) {
      this.entries.push({ kind: 'int', name: m[1]!.trim() });
      return;
    }
    if (line !== '') this.unknown(line);
  }

  private unknown(line: string): void {
    this.regLine = -1;
    this.changes = [];
    if (this.unparsed.length < 10) this.unparsed.push(line);
    this.unparsedCount++;
  }
}

export interface QemuBootTraceOptions {
  /** The kernel (vmlinux) to boot. */
  kernel: string;
  /** Stop after this many logged instructions. */
  instructions: number;
  /** Guest RAM in MiB (default 128). */
  memoryMiB?: number;
  /** Kernel command line (default `root=/dev/vda console=ttyS0 rw`). */
  append?: string;
  /** Kill QEMU and fail after this long (default 300 s). */
  timeoutMs?: number;
  qemu?: string;
}

export interface QemuBootTrace {
  entries: TraceEntry[];
  /** Logged instructions (PC entries). */
  instructions: number;
  /** PC and r3 at reset. */
  resetPc: number;
  dtbAddr: number;
  /** The flattened device tree at `dtbAddr` as the guest finds it (its header's totalsize bytes). */
  dtb: Uint8Array;
  /** QEMU's argv after the executable. */
  argv: string[];
  /** Lines of the log that the parser did not recognise (the first few) and their count. */
  unparsed: string[];
  unparsedCount: number;
  /** Blocks QEMU entered again without running them (see QemuLogParser). */
  reentries: number;
  /** Wall time from `cont` to the last instruction needed, ms. */
  runMs: number;
}

export const DEFAULT_APPEND = 'root=/dev/vda console=ttyS0 rw';

/** QMP over QEMU's stdin/stdout: commands one at a time, replies in order, events skipped. */
class Qmp {
  private buf = '';
  private readonly replies: Array<Record<string, unknown>> = [];
  private readonly waiting: Array<(msg: Record<string, unknown>) => void> = [];
  private closed: Error | undefined;

  constructor(private readonly input: Writable, output: Readable) {
    output.setEncoding('utf8');
    output.on('data', (d: string) => {
      this.buf += d;
      for (let nl = this.buf.indexOf('\n'); nl >= 0; nl = this.buf.indexOf('\n')) {
        const line = this.buf.slice(0, nl).trim();
        this.buf = this.buf.slice(nl + 1);
        if (line === '') continue;
        const msg = JSON.parse(line) as Record<string, unknown>;
        if ('event' in msg) continue;
        const w = this.waiting.shift();
        if (w) w(msg);
        else this.replies.push(msg);
      }
    });
    output.on('close', () => this.fail(new Error('QEMU closed its QMP stream')));
  }

  fail(err: Error): void {
    this.closed ??= err;
    for (const w of this.waiting.splice(0)) w({ error: { desc: err.message } });
  }

  /** The next message that is not an event (the first one is QEMU's greeting). */
  next(): Promise<Record<string, unknown>> {
    const queued = this.replies.shift();
    if (queued) return Promise.resolve(queued);
    if (this.closed) return Promise.reject(this.closed);
    return new Promise((res) => this.waiting.push(res));
  }

  async execute(command: string, args?: Record<string, unknown>): Promise<unknown> {
    this.input.write(JSON.stringify(args ? { execute: command, arguments: args } : { execute: command }) + '\n');
    const msg = await this.next();
    if ('error' in msg) throw new Error(`QMP ${command}: ${JSON.stringify(msg.error)}`);
    return msg.return;
  }
}

/** Boots `kernel` on qemu-system-or1k and records its first `instructions` instructions. */
export async function recordQemuBootTrace(opts: QemuBootTraceOptions): Promise<QemuBootTrace> {
  const work = mkdtempSync(join(tmpdir(), 'qemu-trace-'));
  const fifo = join(work, 'log.fifo');
  const mk = spawnSync('mkfifo', [fifo], { encoding: 'latin1' });
  if (mk.status !== 0) throw new Error(`mkfifo ${fifo}: ${mk.error?.message ?? mk.stderr}`);
  // Opened read-write so that neither side waits for the other to open it.
  const log = new Socket({ fd: openSync(fifo, fsConstants.O_RDWR | fsConstants.O_NONBLOCK), readable: true, writable: false });
  const argv = [
    '-seed', '1', '-M', 'virt', '-cpu', 'any', '-m', String(opts.memoryMiB ?? 128),
    '-kernel', opts.kernel, '-append', opts.append ?? DEFAULT_APPEND,
    '-display', 'none', '-serial', 'null', '-monitor', 'none', '-no-reboot',
    '-S', '-qmp', 'stdio',
    '-singlestep', '-d', 'cpu,nochain,int', '-D', fifo,
  ];
  const parser = new QemuLogParser(opts.instructions);
  const qemu = opts.qemu ?? 'qemu-system-or1k';
  const child = spawn(qemu, argv, { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, LC_ALL: 'C' } });
  const qmp = new Qmp(child.stdin, child.stdout);
  let stderr = '';
  child.stderr.setEncoding('latin1');
  child.stderr.on('data', (d: string) => { if (stderr.length < 10_000) stderr += d; });
  let failure: Error | undefined;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((res) => {
    child.on('close', (code, signal) => res({ code, signal }));
    child.on('error', (e) => {
      failure ??= new Error(`cannot run ${qemu}: ${e.message} (it comes with Debian's qemu-system-misc; see scripts/setup)`);
      qmp.fail(failure);
      res({ code: null, signal: null });
    });
  });
  const timeoutMs = opts.timeoutMs ?? 300_000;
  const timer = setTimeout(() => {
    failure ??= new Error(`QEMU did not log ${opts.instructions} instructions in ${timeoutMs} ms (${parser.instructions} so far)`);
    child.kill('SIGKILL');
  }, timeoutMs);

  child.stdin.on('error', () => {}); // QEMU gone: its exit is reported instead
  log.setEncoding('latin1');
  let reachedAt = 0;
  log.on('data', (d: string) => {
    if (parser.done) return;
    if (parser.push(d)) {
      reachedAt = performance.now();
      child.kill('SIGKILL');
    }
  });

  try {
    await qmp.next(); // greeting
    await qmp.execute('qmp_capabilities');
    const regs = String(await qmp.execute('human-monitor-command', { 'command-line': 'info registers' }));
    const pcM = /PC=([0-9a-f]{8})/i.exec(regs);
    const r3M = /R03=([0-9a-f]{8})/i.exec(regs);
    if (!pcM || !r3M) throw new Error(`no PC/R03 in "info registers":\n${regs}`);
    const resetPc = parseInt(pcM[1]!, 16) >>> 0;
    const dtbAddr = parseInt(r3M[1]!, 16) >>> 0;
    const header = join(work, 'fdt-header.bin');
    await qmp.execute('pmemsave', { val: dtbAddr, size: 40, filename: header });
    const hdr = readFileSync(header);
    if (hdr.readUInt32BE(0) !== 0xd00dfeed) throw new Error(`no FDT at r3 = 0x${dtbAddr.toString(16)} (magic 0x${hdr.readUInt32BE(0).toString(16)})`);
    const dtbFile = join(work, 'fdt.dtb');
    await qmp.execute('pmemsave', { val: dtbAddr, size: hdr.readUInt32BE(4), filename: dtbFile });
    const dtb = new Uint8Array(readFileSync(dtbFile));
    const started = performance.now();
    await qmp.execute('cont');
    const end = await exited;
    if (failure) throw failure;
    if (!parser.done) throw new Error(`QEMU stopped (${end.signal ?? `exit ${end.code}`}) after ${parser.instructions} of ${opts.instructions} instructions:\n${stderr}`);
    return {
      entries: parser.entries, instructions: parser.instructions, resetPc, dtbAddr, dtb, argv,
      unparsed: parser.unparsed, unparsedCount: parser.unparsedCount, reentries: parser.reentries, runMs: reachedAt - started,
    };
  } catch (err) {
    child.kill('SIGKILL');
    await exited;
    throw failure ?? (err instanceof Error ? new Error(`${err.message}\nQEMU stderr:\n${stderr}`) : err);
  } finally {
    clearTimeout(timer);
    log.destroy();
    rmSync(work, { recursive: true, force: true });
  }
}
