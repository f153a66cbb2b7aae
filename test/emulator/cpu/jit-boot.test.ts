/**
 * The real Linux boot on translated code against the interpreter alone:
 * virt machines with our kernel (no root disk: it boots until it panics
 * for want of one), exec() alone, the WebAssembly interpreter alone, and
 * the WebAssembly interpreter translating every block start seen 64 times,
 * agree on the CPU state after every million instructions, on the console
 * output and on all of RAM at the end. This runs the kernel's MMU code,
 * TLB refills, tick interrupts, UART MMIO and page-cache-free code paths
 * through translated code.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SPR } from '../../../emulator/cpu/spr.ts';
import { createMachine, type Machine } from '../../../emulator/machine.ts';
import { guestVar } from '../../../src/guest/vars.ts';

/** jit: false = exec() alone; true = the WebAssembly interpreter, translating; 'cold' = the WebAssembly interpreter only. */
function boot(kernel: Uint8Array, jit: boolean | 'cold'): { m: Machine; out: number[] } {
  const out: number[] = [];
  const m = createMachine({ kernel, cmdline: 'console=ttyS0', memoryBytes: 128 << 20, serial: { write: (b) => out.push(b) } });
  m.cpu.jit = jit !== false;
  m.cpu.jitThreshold = 64;
  if (jit === 'cold') m.cpu.jitTranslate = false;
  return { m, out };
}

function cpuState(m: Machine): Record<string, unknown> {
  const c = m.cpu;
  return {
    pc: c.pc, sr: c.sr, instret: c.instret, ticks: c.ticks, gpr: Array.from(c.gpr),
    epcr: c.getSpr(SPR.EPCR), eear: c.getSpr(SPR.EEAR), picsr: c.picsr, ttmr: c.ttmr,
  };
}

describe('Linux boot on translated code', () => {
  it('matches the interpreter every million instructions, on the console and in RAM', { timeout: 120_000 }, async () => {
    const kernel = new Uint8Array(readFileSync(await guestVar('kernel')));
    const a = boot(kernel, false);
    const b = boot(kernel, true);
    const c = boot(kernel, 'cold');
    // Runs until the kernel has finished printing its panic, however long its build takes to get
    // there (a 6.12 kernel: ~30 million instructions); the cap only stops a boot that never panics.
    const panicEnded = (out: number[]) => Buffer.from(out).toString('latin1').includes('---[ end Kernel panic');
    let slices = 0;
    for (; slices < 200; slices++) {
      const sa = a.m.run(1_000_000);
      const sb = b.m.run(1_000_000);
      const sc = c.m.run(1_000_000);
      expect({ status: sb, ...cpuState(b.m) }, `after slice ${slices + 1}`).toEqual({ status: sa, ...cpuState(a.m) });
      expect({ status: sc, ...cpuState(c.m) }, `WebAssembly interpreter alone, after slice ${slices + 1}`).toEqual({ status: sa, ...cpuState(a.m) });
      if (sa !== 'budget' || panicEnded(a.out)) break;
    }
    const text = Buffer.from(b.out).toString('latin1');
    expect(text).toBe(Buffer.from(a.out).toString('latin1'));
    expect(text).toContain('Kernel panic'); // it got as far as looking for a root fs
    expect(Buffer.compare(Buffer.from(a.m.ram.bytes), Buffer.from(b.m.ram.bytes))).toBe(0);
    expect(Buffer.from(c.out).toString('latin1')).toBe(text);
    expect(Buffer.compare(Buffer.from(a.m.ram.bytes), Buffer.from(c.m.ram.bytes))).toBe(0);
    expect(c.m.cpu.codeStats.translations).toBe(0);
    const st = b.m.cpu.codeStats;
    expect(st.translations).toBeGreaterThan(50);
    expect(st.insns).toBeGreaterThan(5_000);
  });
});
