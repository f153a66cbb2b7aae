import { describe, expect, it } from 'vitest';
import { BootSession } from '../../src/boot/session.ts';
import type { RunTarget } from '../../emulator/host/runner.ts';
import { ExitCode } from '../../src/errors.ts';

/**
 * A scripted stand-in for the guest: prints boot lines at fixed instruction
 * counts, then runs a toy shell on its console (echo, `ls /`, `poweroff -f`,
 * `panic`). 1 instruction = 50 ns; it dozes while waiting for input, with a
 * 10 ms timer tick.
 */
class FakeGuest implements RunTarget {
  ns = 0;
  retired = 0;
  idle = false;
  halted: RunTarget['halted'];
  private line = '';
  private readonly plan: [number, string][];
  private out: (b: Uint8Array) => void = () => {};
  constructor(plan: [number, string][]) { this.plan = [...plan]; }
  attach(out: (b: Uint8Array) => void) { this.out = out; }
  private print(s: string) { this.out(Buffer.from(s.replace(/\n/g, '\r\n'), 'latin1')); }
  run(budget: number): number {
    let n = 0;
    while (n < budget && !this.idle && !this.halted) {
      n++; this.retired++; this.ns += 50;
      while (this.plan.length && this.plan[0]![0] <= this.retired) this.print(this.plan.shift()![1]);
      if (!this.plan.length) this.idle = true;
    }
    return n;
  }
  nowNs() { return this.ns; }
  nextEventNs() { return (Math.floor(this.ns / 10_000_000) + 1) * 10_000_000; }
  skipTo(ns: number) { this.ns = ns; }
  input(bytes: Uint8Array): number {
    const take = Math.min(16, bytes.length);
    for (const b of bytes.subarray(0, take)) {
      const c = String.fromCharCode(b);
      this.print(c);
      if (c !== '\n') { this.line += c; continue; }
      const cmd = this.line; this.line = '';
      if (cmd === 'ls /') this.print('bin  dev  etc  proc\n');
      else if (cmd === 'poweroff -f') { this.print('reboot: Power down\n'); this.halted = { how: 'poweroff', code: 0 }; return take; }
      else if (cmd === 'panic') this.print('Kernel panic - not syncing: Attempted to kill init!\n');
      this.print('/ # ');
    }
    this.idle = false;
    return take;
  }
}

const boot: [number, string][] = [[1000, 'Linux version 6.12\n'], [50_000, 'Run /sbin/init as init process\n'], [60_000, 'BOOT-OK\n/ # ']];

async function run(steps: { expect?: string; send?: string; timeoutS?: number }[], extra: Partial<ConstructorParameters<typeof BootSession>[0]> = {}, plan = boot) {
  const g = new FakeGuest(plan);
  const echoed: string[] = [];
  const s = new BootSession({ script: { steps, fail: [], panic: ['Kernel panic'], timeoutS: 30 }, echo: (b) => echoed.push(Buffer.from(b).toString('latin1')), sliceInstructions: 4096, ...extra });
  g.attach(s.output);
  const r = await s.run(g);
  return { r, g, echoed: echoed.join('') };
}

describe('BootSession', () => {
  it('runs a scripted shell session and stops at the last match', async () => {
    const { r, echoed } = await run([{ expect: 'BOOT-OK' }, { expect: '/ # ', send: 'ls /' }, { expect: 'proc' }]);
    expect(r.outcome).toMatchObject({ kind: 'ok', exitCode: 0 });
    expect(echoed).toContain('ls /\r\nbin  dev  etc  proc');
    expect(r.transcript.text()).toBe(echoed);
    expect(r.stepTimesNs).toHaveLength(3);
  });

  it('ends with exit 0 on a clean power-off when there are no steps to wait for', async () => {
    const { r } = await run([{ expect: '/ # ', send: 'poweroff -f' }]);
    expect(r.outcome.kind).toBe('ok');
    const none = await run([], {}, [[10, 'hello\n']]);
    // Nothing powers it off: the guest-time limit ends it.
    expect(none.r.outcome).toMatchObject({ kind: 'timeout', exitCode: ExitCode.timeout });
    expect(none.r.guestNs).toBeGreaterThanOrEqual(30e9);
  });

  it('reports exit 3 when the guest powers off before an expectation', async () => {
    const { r } = await run([{ expect: '/ # ', send: 'poweroff -f' }, { expect: 'never printed' }]);
    expect(r.outcome).toMatchObject({ kind: 'expect-failed', exitCode: ExitCode.expectFailed, step: 1 });
    expect(r.transcript.lastLines(1)).toEqual(['reboot: Power down']);
  });

  it('reports a panic as it happens (exit 4) with the panic line', async () => {
    const { r } = await run([{ expect: '/ # ', send: 'panic' }, { expect: 'never' }]);
    expect(r.outcome).toMatchObject({ kind: 'panic', exitCode: ExitCode.guestPanic });
    expect(r.outcome.message).toBe('guest panic: Kernel panic - not syncing: Attempted to kill init!');
  });

  it('times out a step in guest time (exit 124)', async () => {
    const { r } = await run([{ expect: 'BOOT-OK' }, { expect: 'login:', timeoutS: 2 }]);
    expect(r.outcome).toMatchObject({ kind: 'step-timeout', exitCode: ExitCode.timeout, step: 1 });
    // The idle fast-forward stops exactly at the deadline.
    expect(r.guestNs).toBe(r.stepTimesNs[0]! + 2e9);
  });

  it('gives identical transcripts and instruction counts on every run', async () => {
    const steps = [{ expect: '/ # ', send: 'ls /' }, { expect: '/ # ', send: 'echo abcdefghijklmnopqrstuvwxyz0123456789' }, { expect: '89\r\n/ # ', send: 'poweroff -f' }];
    const a = await run(steps);
    const b = await run(steps);
    expect(a.r.outcome.kind).toBe('ok');
    expect(a.echoed).toBe(b.echoed);
    expect(a.r.run.instructions).toBe(b.r.run.instructions);
    expect(a.r.guestNs).toBe(b.r.guestNs);
  });

  it('ends an interactive session when the user quits', async () => {
    let polls = 0;
    const { r } = await run([], { quitRequested: () => ++polls > 3 }, [[10, 'x\n']]);
    expect(r.outcome).toMatchObject({ kind: 'ok', message: 'console closed by the user' });
  });
});

describe('BootSession console backend', () => {
  it('collects bytes written one at a time and passes them on after each slice', async () => {
    const g = new FakeGuest(boot);
    const echoed: string[] = [];
    const s = new BootSession({ script: { steps: [{ expect: 'BOOT-OK' }], fail: [], panic: [], timeoutS: 30 }, echo: (b) => echoed.push(Buffer.from(b).toString('latin1')), sliceInstructions: 4096 });
    g.attach((bytes) => { for (const b of bytes) s.console.write(b); });
    const r = await s.run(g);
    expect(r.outcome.kind).toBe('ok');
    expect(echoed.join('')).toContain('Run /sbin/init as init process\r\nBOOT-OK');
    // One echo per slice that produced output, not one per byte.
    expect(echoed.length).toBeLessThan(10);
  });
});
