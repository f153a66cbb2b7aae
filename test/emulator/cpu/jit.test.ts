/**
 * Translated code (emulator/cpu/jit/) against the interpreter, which the
 * bare-metal, user-mode and boot-trace tests check against QEMU: the same
 * random programs run on two CPUs, one interpreting only and one
 * translating every block at its second visit, and must agree on every
 * register, flag, exception register, the instruction count and memory
 * after every run() slice (the slices end at exact instruction counts, so
 * this also checks that translated blocks never overrun a budget).
 * Plus coherence: code rewritten by its own stores and by DMA.
 */
import { describe, expect, it } from 'vitest';
import { StopReason } from '../../../emulator/cpu/cpu.ts';
import { PROMOTE_AT, setPageCompiler, type PageTier } from '../../../emulator/cpu/jit/code-cache.ts';
import { SPR, SR } from '../../../emulator/cpu/spr.ts';
import { A, HALT, PROG, machine, type TestMachine } from './asm.ts';
import { mulberry32 } from '../../helpers/prng.ts';

const DATA = 0x10000;
const SUB = 0x4000;
/** r20: data base, r21: loop counter, r22: an unmapped (MMIO) address, r23: SUB, r9: link. */
const RESERVED = new Set([9, 20, 21, 22, 23]);

const rng = mulberry32;

interface Gen {
  int(n: number): number;
  pick<T>(xs: readonly T[]): T;
}

function gen(seed: number): Gen {
  const r = rng(seed);
  return { int: (n) => Math.floor(r() * n), pick: (xs) => xs[Math.floor(r() * xs.length)]! };
}

const SF_CONDS = [0, 1, 2, 3, 4, 5, 0xa, 0xb, 0xc, 0xd];

/** One random non-branch instruction: every translatable form and a few that end a block. */
function randomOp(g: Gen): number {
  const d = (): number => {
    for (;;) {
      const x = g.int(32);
      if (!RESERVED.has(x)) return x;
    }
  };
  const s = (): number => g.int(32);
  const imm = (): number => g.pick([0, 1, -1, 0x7fff, -0x8000, g.int(0x10000) - 0x8000, g.int(64)]);
  // Memory: mostly r20-relative (aligned or not, some crossing into the next page),
  // sometimes MMIO (unmapped: reads 0) or a random register (anything goes, same on both).
  const base = (): number => g.pick([20, 20, 20, 20, 22, s()]);
  const off = (): number => g.pick([g.int(64) * 4, g.int(256), 0x1ffc, 0x1ffe, 0x1fff, -4]);
  const ops: Array<() => number> = [
    () => A.add(d(), s(), s()), () => A.addc(d(), s(), s()), () => A.sub(d(), s(), s()),
    () => A.and(d(), s(), s()), () => A.or(d(), s(), s()), () => A.xor(d(), s(), s()),
    () => A.mul(d(), s(), s()), () => A.mulu(d(), s(), s()), () => A.div(d(), s(), s()),
    () => A.divu(d(), s(), s()), () => A.sll(d(), s(), s()), () => A.srl(d(), s(), s()),
    () => A.sra(d(), s(), s()), () => A.ror(d(), s(), s()), () => A.exths(d(), s()),
    () => A.extbs(d(), s()), () => A.exthz(d(), s()), () => A.extbz(d(), s()),
    () => A.extws(d(), s()), () => A.extwz(d(), s()), () => A.cmov(d(), s(), s()),
    () => A.ff1(d(), s()), () => A.fl1(d(), s()),
    () => A.addi(d(), s(), imm()), () => A.addic(d(), s(), imm()), () => A.andi(d(), s(), imm()),
    () => A.ori(d(), s(), imm()), () => A.xori(d(), s(), imm()), () => A.muli(d(), s(), imm()),
    () => A.slli(d(), s(), g.int(32)), () => A.srli(d(), s(), g.int(32)),
    () => A.srai(d(), s(), g.int(32)), () => A.rori(d(), s(), g.int(32)),
    () => A.movhi(d(), g.int(0x10000)), () => A.adrp(d(), g.int(64) - 32),
    () => A.sf(g.pick(SF_CONDS), s(), s()), () => A.sfi(g.pick(SF_CONDS), s(), imm()),
    () => A.lwz(d(), base(), off()), () => A.lws(d(), base(), off()), () => A.lbz(d(), base(), off()),
    () => A.lbs(d(), base(), off()), () => A.lhz(d(), base(), off()), () => A.lhs(d(), base(), off()),
    () => A.sw(20, s(), off()), () => A.sb(20, s(), off()), () => A.sh(20, s(), off()),
    () => A.sw(22, s(), 0),
    () => A.nop(g.int(3) === 0 ? 0 : 2),
    // Not translated: a block ends before these and the interpreter runs them.
    () => A.maci(s(), imm()), () => A.macrc(d()), () => A.muld(s(), s()),
    () => A.lwa(d(), 20, g.int(16) * 4), () => A.swa(20, s(), g.int(16) * 4), () => A.msync(),
    () => A.mfspr(d(), 0, SPR.SR),
    // SPRs the WebAssembly interpreter does inline (jit/interp.ts): shadow GPRs
    // (sets 1..15, and set 0, which reads the live GPRs), EEAR, the MMU
    // configuration, writes setSpr ignores (cache flushes, group 6), and others.
    () => A.mtspr(0, s(), SPR.SHADOW + 32 + g.int(480)), () => A.mfspr(d(), 0, SPR.SHADOW + g.int(512)),
    () => A.mfspr(d(), 0, SPR.EEAR), () => A.mfspr(d(), 0, g.pick([3, 4])), () => A.mfspr(d(), 0, SPR.EPCR),
    () => A.mfspr(d(), 0, g.pick([SPR.COREID, SPR.NUMCORES, SPR.ESR, SPR.EVBAR])),
    () => A.mtspr(0, s(), g.pick([0x1802, 0x2002, 0x3001])), () => A.mtspr(0, s(), SPR.EEAR),
  ];
  return g.pick(ops)();
}

/**
 * A loop of random code at PROG (forward branches with random delay slots,
 * calls to a random subroutine on the next page by l.jal and l.jalr),
 * `rounds` times, then HALT.
 */
function randomProgram(g: Gen, rounds: number, extra?: () => number[]): { main: number[]; sub: number[] } {
  const main: number[] = [];
  for (let i = 1; i < 32; i++) if (!RESERVED.has(i)) main.push(...A.li(i, (g.int(0x10000) << 16) | g.int(0x10000)));
  main.push(...A.li(20, DATA), ...A.li(21, rounds), ...A.li(22, 0x90000000), ...A.li(23, SUB));
  const loop = main.length;
  const body = 20 + g.int(40);
  for (let i = 0; i < body; i++) {
    const left = body - i;
    const k = g.int(12);
    if (k === 0 && left > 5) {
      const skip = 2 + g.int(3); // words from the branch
      main.push(g.pick([A.bf(skip), A.bnf(skip), A.j(skip)]), randomOp(g));
      i++;
    } else if (k === 1) {
      main.push(A.jal((SUB - (PROG + 4 * main.length)) >> 2), randomOp(g));
      i++;
    } else if (k === 2) {
      main.push(A.jalr(23), randomOp(g));
      i++;
    } else if (k === 3 && extra) {
      main.push(...extra());
    } else {
      main.push(randomOp(g));
    }
  }
  main.push(A.addi(21, 21, -1), A.sfi(1, 21, 0));
  main.push(A.bf(loop - main.length), A.nop(), HALT);
  const sub: number[] = [];
  const n = 3 + g.int(8);
  for (let i = 0; i < n; i++) sub.push(randomOp(g));
  sub.push(A.jr(9), randomOp(g));
  return { main, sub };
}

function state(m: TestMachine): Record<string, unknown> {
  const c = m.cpu;
  return {
    pc: c.pc, sr: c.sr, instret: c.instret, gpr: Array.from(c.gpr),
    epcr: c.getSpr(SPR.EPCR), eear: c.getSpr(SPR.EEAR), esr: c.getSpr(SPR.ESR),
    mac: [c.macLo, c.macHi], ds: c.ds, exceptions: c.exceptionCount, lastVector: c.lastVector, ttmr: c.ttmr,
  };
}

/** Both TLBs, as l.mfspr reads them. */
function tlbs(m: TestMachine): number[] {
  const out: number[] = [];
  for (const base of [0x0a00, 0x1200]) for (let i = 0; i < 256; i++) out.push(m.cpu.getSpr(base + i));
  return out;
}

/** DTLB/ITLB miss handler in the style of Linux's: map EEAR's page 1:1 with `rights` through set base/base+0x80, l.rfe. */
function refillHandler(base: number, rights: number): number[] {
  return [
    A.mfspr(24, 0, SPR.EEAR), A.srli(25, 24, 13), A.andi(25, 25, 127), A.srli(24, 24, 13), A.slli(24, 24, 13),
    A.ori(24, 24, 1), A.mtspr(25, 24, base), A.ori(24, 24, rights), A.mtspr(25, 24, base + 0x80), A.rfe(),
  ];
}

/**
 * Both MMUs on with TLB-miss handlers that refill them (so every new page
 * takes a miss, the refill and an l.rfe), a tick timer that interrupts
 * every few hundred instructions (also inside handlers, so l.rfe unmasks
 * it), and random SR writes, TLB flushes and system calls in the code.
 */
function linuxLike(m: TestMachine, g: Gen): void {
  const put = (at: number, words: number[]): void => words.forEach((w, i) => m.ram.write32(at + 4 * i, w));
  put(0x900, refillHandler(0x0a00, 0x3c0)); // SRE | SWE | URE | UWE
  put(0xa00, refillHandler(0x1200, 0xc0)); // SXE | UXE
  const ttmr = ((1 << 30) | (1 << 29) | (300 + g.int(2000))) >>> 0; // restart mode, IE, period
  put(0x500, [...A.li(25, ttmr), A.mtspr(0, 25, SPR.TTMR), A.rfe()]);
  put(0xc00, [A.rfe()]); // l.sys: EPCR is the next instruction
  m.cpu.setSpr(SPR.TTMR, ttmr);
  m.cpu.sr = m.cpu.sr | SR.DME | SR.IME | SR.TEE;
}

/** Random SR writes (F toggled), TLB-set flushes, exception-SPR traffic and l.sys for `linuxLike` programs. */
function mmuExtra(g: Gen): () => number[] {
  return () => g.pick([
    () => [A.mfspr(24, 0, SPR.SR), A.xori(24, 24, SR.F), A.mtspr(0, 24, SPR.SR)],
    () => [A.mtspr(0, 0, 0x0a00 + g.int(128))],
    () => [A.mtspr(0, 0, 0x1200 + g.int(128))],
    () => [A.mfspr(24, 0, SPR.EPCR), A.mtspr(0, 24, SPR.EPCR), A.mfspr(25, 0, SPR.ESR)],
    () => [A.sys(g.int(0x10000))],
  ])();
}

function sameMemory(a: TestMachine, b: TestMachine): void {
  // Compare as words; report the first difference in guest terms.
  const wa = a.ram.words, wb = b.ram.words;
  for (let i = 0; i < wa.length; i++) {
    if (wa[i] !== wb[i]) expect.fail(`memory differs at 0x${(i * 4).toString(16)}: ${wa[i]} vs ${wb[i]}`);
  }
}

/**
 * Builds the same machine twice (exec() alone / the WebAssembly interpreter
 * translating at once, or not at all with `translate: false`) and runs both
 * in slices.
 */
function differential(seed: number, opts: { mmu: boolean | 'linux'; translate?: boolean }): { translated: number; pc: number; exceptions: number } {
  const g = gen(seed);
  const { main, sub } = randomProgram(g, 30 + g.int(40), opts.mmu === 'linux' ? mmuExtra(g) : undefined);
  const linuxSeed = g.int(1 << 30);
  const make = (jit: boolean): TestMachine => {
    const m = machine(main, { ramSize: 1 << 20 });
    sub.forEach((w, i) => m.ram.write32(SUB + 4 * i, w));
    for (let i = 0; i < 0x1000; i++) m.ram.write32(DATA + 4 * i, Math.imul(i, 0x9e3779b9));
    if (opts.mmu === 'linux') linuxLike(m, gen(linuxSeed));
    else if (opts.mmu) {
      // DMMU on: the data page and the next one mapped identity (the second read-only),
      // everything else misses (DTLB miss and page-fault vectors hold HALT).
      const map = (va: number, rights: number): void => {
        const set = (va >>> 13) & 127;
        m.cpu.setSpr(0x0a00 + set, (va & ~0x1fff) | 1); // DTLBW0MR: VPN | V
        m.cpu.setSpr(0x0a80 + set, (va & ~0x1fff) | rights); // DTLBW0TR: PPN | rights
      };
      map(DATA, 0x100 | 0x200); // SRE | SWE
      map(DATA + 0x2000, 0x100); // SRE only
      m.cpu.sr = m.cpu.sr | SR.DME;
    }
    m.cpu.jit = jit;
    m.cpu.jitThreshold = 1;
    if (opts.translate === false) m.cpu.jitTranslate = false;
    return m;
  };
  const interp = make(false);
  const jit = make(true);
  const slice = 50 + g.int(2000);
  for (let total = 0; total < 400_000; total += slice) {
    const a = interp.run(slice);
    const b = jit.run(slice);
    expect({ stop: b, ...state(jit) }, `seed ${seed} after ${total + slice}`).toEqual({ stop: a, ...state(interp) });
    if (a !== StopReason.BUDGET) break;
  }
  sameMemory(interp, jit);
  expect(tlbs(jit)).toEqual(tlbs(interp));
  expect(interp.cpu.codeStats.translations).toBe(0);
  return { translated: jit.cpu.codeStats.insns, pc: jit.cpu.pc, exceptions: jit.cpu.exceptionCount };
}

describe('translated code matches the interpreter', () => {
  it('random ALU, memory and branch code, MMU off (200 programs)', () => {
    let translated = 0;
    for (let seed = 1; seed <= 200; seed++) translated += differential(seed, { mmu: false }).translated;
    expect(translated).toBeGreaterThan(10_000); // the JIT really ran
  });

  it('random code with the DMMU on: misses and page faults inside blocks and delay slots (200 programs)', () => {
    let translated = 0;
    let faults = 0;
    for (let seed = 1001; seed <= 1200; seed++) {
      const r = differential(seed, { mmu: true });
      translated += r.translated;
      if (r.pc === 0x904 || r.pc === 0x304) faults++; // stopped at the DTLB-miss or page-fault vector
    }
    expect(translated).toBeGreaterThan(1_000);
    expect(faults).toBeGreaterThan(50);
  });

  it('Linux-like MMU: refilling TLB-miss handlers, l.rfe, SR writes, TLB flushes, tick interrupts (100 programs)', () => {
    let translated = 0;
    let exceptions = 0;
    for (let seed = 2001; seed <= 2100; seed++) {
      const r = differential(seed, { mmu: 'linux' });
      translated += r.translated;
      exceptions += r.exceptions;
    }
    expect(translated).toBeGreaterThan(1_000);
    expect(exceptions).toBeGreaterThan(1_500); // ~20 a program: misses of new and flushed pages, ticks
  });
});

describe('the WebAssembly interpreter matches exec() (no translation)', () => {
  it('random ALU, memory, branch and SPR code, MMU off (200 programs)', () => {
    for (let seed = 1; seed <= 200; seed++) expect(differential(seed, { mmu: false, translate: false }).translated).toBe(0);
  });

  it('random code with the DMMU on: misses and page faults, also in delay slots (200 programs)', () => {
    let faults = 0;
    for (let seed = 1001; seed <= 1200; seed++) {
      const r = differential(seed, { mmu: true, translate: false });
      if (r.pc === 0x904 || r.pc === 0x304) faults++;
    }
    expect(faults).toBeGreaterThan(50);
  });

  it('Linux-like MMU: refilling TLB-miss handlers, l.rfe, SR writes, TLB flushes, tick interrupts (100 programs)', () => {
    let exceptions = 0;
    for (let seed = 2001; seed <= 2100; seed++) exceptions += differential(seed, { mmu: 'linux', translate: false }).exceptions;
    expect(exceptions).toBeGreaterThan(1_500); // ~20 a program: misses of new and flushed pages, ticks
  });
});

describe('exceptions inside translated blocks', () => {
  it('a DTLB miss in a delay slot: EPCR is the branch, SR[DSX] set, EEAR the address', () => {
    // r6 walks 0x100 per round from DATA; DATA and DATA+0x2000 are mapped, DATA+0x4000 is not:
    // round 65's delay-slot load misses, long after the loop was translated.
    const prog = [
      ...A.li(6, DATA), ...A.li(21, 1000), // 0-3
      A.addi(21, 21, -1), // 4
      A.addi(6, 6, 0x100), // 5
      A.sfi(0, 21, 0), // 6: sfeqi
      A.bnf(4 - 7), // 7 -> 4
      A.lwz(4, 6, -4), // 8: delay slot
      HALT,
    ];
    const results = [false, true].map((jit) => {
      const m = machine(prog);
      for (const [va, rights] of [[DATA, 0x300], [DATA + 0x2000, 0x100]] as const) {
        m.cpu.setSpr(0x0a00 + ((va >>> 13) & 127), va | 1);
        m.cpu.setSpr(0x0a80 + ((va >>> 13) & 127), va | rights);
      }
      m.cpu.sr = m.cpu.sr | SR.DME;
      m.cpu.jit = jit;
      m.cpu.jitThreshold = 1;
      expect(m.run(100_000)).toBe(StopReason.HALT);
      if (jit) expect(m.cpu.codeStats.translations).toBeGreaterThan(0);
      return state(m);
    });
    expect(results[1]).toEqual(results[0]);
    expect(results[1]).toMatchObject({ pc: 0x904, epcr: PROG + 4 * 7, eear: DATA + 0x4100 - 4 });
    expect((results[1]!.sr as number) & SR.DSX).toBe(SR.DSX);
  });
});

describe('a host that refuses to compile', () => {
  it('falls back to interpreting, with the same results', () => {
    const wasm = (globalThis as unknown as { WebAssembly: { Module: new (b: Uint8Array) => object } }).WebAssembly;
    const real = wasm.Module;
    // Like a browser's main thread, which allows no synchronous compile over 4 KiB (here: over
    // 512 bytes, so that the small chain module compiles and every page translation fails).
    wasm.Module = function (bytes: Uint8Array) {
      if (bytes.length > 512) throw new RangeError('WebAssembly.Module is disallowed on the main thread, if the buffer size is larger than 4KB');
      return new real(bytes);
    } as unknown as typeof real;
    try {
      const g = gen(7);
      const { main, sub } = randomProgram(g, 200);
      const results = [false, true].map((jit) => {
        // RAM of a size no other test here uses: a layout whose interpreter was not compiled
        // before the refusals began (emulator/cpu/jit/module-cache.ts would hand that one over;
        // a browser's main thread refuses it from the start).
        const m = machine(main, { ramSize: 3 << 20 });
        sub.forEach((w, i) => m.ram.write32(SUB + 4 * i, w));
        m.cpu.jit = jit;
        m.cpu.jitThreshold = 1;
        m.run(300_000);
        if (jit) {
          expect(m.cpu.jitDisabled).toMatch(/disallowed on the main thread/);
          expect(m.cpu.codeStats.translations).toBe(0);
        }
        return state(m);
      });
      expect(results[1]).toEqual(results[0]);
    } finally {
      wasm.Module = real;
    }
  });
});

describe('translated code\'s share of a run (Cpu.translatedRetired)', () => {
  it('is nearly all of a long hot loop, and none without the JIT or with translation off', () => {
    const prog = [
      ...A.li(21, 10_000), // 0, 1
      A.addi(3, 3, 1), // 2
      A.addi(21, 21, -1), // 3
      A.sfi(1, 21, 0), // 4: sfnei
      A.bf(2 - 5), A.nop(), // 5, 6 -> 2
      HALT,
    ];
    const run = (setup: (m: TestMachine) => void): TestMachine => {
      const m = machine(prog);
      m.cpu.jitThreshold = 1;
      setup(m);
      expect(m.run(1_000_000)).toBe(StopReason.HALT);
      expect(m.cpu.gpr[3]).toBe(10_000);
      return m;
    };
    const jit = run(() => {});
    const total = jit.cpu.instret;
    expect(total).toBeGreaterThan(50_000);
    expect(jit.cpu.translatedRetired).toBeGreaterThan(0.99 * total);
    expect(jit.cpu.translatedRetired).toBeLessThanOrEqual(total);
    expect(run((m) => { m.cpu.jit = false; }).cpu.translatedRetired).toBe(0);
    expect(run((m) => { m.cpu.jitTranslate = false; }).cpu.translatedRetired).toBe(0);
  });
});

describe('page tiers (code-cache.ts PageTier)', () => {
  it('a page is compiled for the baseline tier, and again for the optimising tier once its code has retired PROMOTE_AT instructions; the results do not change', () => {
    const iterations = Math.ceil((PROMOTE_AT * 3) / 4); // 4 instructions a round: ~3 x PROMOTE_AT
    const prog = [
      ...A.li(21, iterations), // 0, 1
      A.addi(3, 3, 3), // 2
      A.addi(21, 21, -1), // 3
      A.sfi(1, 21, 0), // 4: sfnei
      A.bf(2 - 5), A.nop(), // 5, 6 -> 2
      HALT,
    ];
    const wasm = (globalThis as unknown as { WebAssembly: { Module: new (b: Uint8Array) => object } }).WebAssembly;
    const tiers: PageTier[] = [];
    const run = (jit: boolean): TestMachine => {
      const m = machine(prog);
      m.cpu.jit = jit;
      m.cpu.jitThreshold = 1;
      // Slices of 1 M instructions, as the machine's runner makes: promotion happens between them.
      let why: StopReason = StopReason.BUDGET;
      for (let i = 0; i < 100 && why === StopReason.BUDGET; i++) why = m.run(1_000_000) as StopReason;
      expect(why).toBe(StopReason.HALT);
      return m;
    };
    setPageCompiler((bytes, tier) => {
      tiers.push(tier);
      return new wasm.Module(bytes);
    });
    let tiered: TestMachine;
    try {
      tiered = run(true);
    } finally {
      setPageCompiler(null);
    }
    const plain = run(false);
    expect(tiers[0]).toBe('baseline');
    expect(tiers.filter((t) => t === 'optimized')).toHaveLength(1);
    expect(tiered.cpu.codeStats.promoted).toBe(1);
    expect(tiered.cpu.translatedRetired).toBeGreaterThan(PROMOTE_AT);
    expect(tiered.cpu.gpr[3]).toBe((iterations * 3) | 0);
    expect(tiered.cpu.instret).toBe(plain.cpu.instret);
    expect(Array.from(tiered.cpu.gpr)).toEqual(Array.from(plain.cpu.gpr));
  });
});

describe('code coherence', () => {
  it('a loop that rewrites one of its own instructions runs the new one at once', () => {
    // r3 += 1 per round until round 100, where the loop stores `l.addi r3,r3,100`
    // over its own `l.addi r3,r3,1`; then r3 += 100 per round.
    const patchAt = PROG + 4 * 6;
    const prog = [
      ...A.li(6, patchAt), // 0, 1
      ...A.li(7, A.addi(3, 3, 100)), // 2, 3
      ...A.li(21, 200), // 4, 5
      A.addi(3, 3, 1), // 6: patched
      A.addi(21, 21, -1), // 7
      A.sfi(1, 21, 100), // 8: sfnei
      A.bf(3), A.nop(), // 9, 10 -> 12
      A.sw(6, 7, 0), // 11
      A.sfi(1, 21, 0), // 12
      A.bf(6 - 13), A.nop(), // 13, 14 -> 6
      HALT,
    ];
    for (const jit of [false, true]) {
      const m = machine(prog);
      m.cpu.jit = jit;
      m.cpu.jitThreshold = 1;
      expect(m.run(100_000)).toBe(StopReason.HALT);
      expect(m.cpu.gpr[3]).toBe(100 * 1 + 100 * 100);
      if (jit) {
        expect(m.cpu.codeStats.translations).toBeGreaterThan(1);
        expect(m.cpu.codeStats.invalidations).toBeGreaterThan(0);
      }
    }
  });

  it('code rewritten by a device (DMA into RAM) is retranslated', () => {
    const prog = [...A.li(21, 50), A.addi(3, 3, 7), A.addi(21, 21, -1), A.sfi(1, 21, 0), A.bf(-3), A.nop(), HALT];
    const m = machine(prog);
    m.cpu.jitThreshold = 1;
    expect(m.run(10_000)).toBe(StopReason.HALT);
    expect(m.cpu.gpr[3]).toBe(350);
    expect(m.cpu.codeStats.translations).toBeGreaterThan(0);
    // A device writes new code over the loop body (as virtio-blk does into the page cache).
    const w = A.addi(3, 3, 11);
    m.ram.writeBytes(PROG + 8, new Uint8Array([w >>> 24, (w >>> 16) & 0xff, (w >>> 8) & 0xff, w & 0xff]));
    expect(m.cpu.codeStats.invalidations).toBe(1);
    m.cpu.gpr[3] = 0;
    m.cpu.pc = PROG;
    expect(m.run(10_000)).toBe(StopReason.HALT);
    expect(m.cpu.gpr[3]).toBe(550);
  });

  it('stores to a translated page never take the fast path (MMU off and on)', () => {
    const prog = [...A.li(21, 40), ...A.li(6, PROG + 0x100), A.sw(6, 21, 0), A.addi(21, 21, -1), A.sfi(1, 21, 0), A.bf(-3), A.nop(), HALT];
    const m = machine(prog);
    m.cpu.jitThreshold = 1;
    expect(m.run(10_000)).toBe(StopReason.HALT);
    // The loop stored into its own (translated) page 40 times: every store was seen.
    expect(m.ram.read32(PROG + 0x100)).toBe(1);
    expect(m.cpu.codeStats.invalidations).toBeGreaterThan(0);
  });
});
