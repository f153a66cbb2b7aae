/**
 * Priming V8 before a boot. TurboFan compiles the interpreter (Cpu.exec)
 * early in a run from the type feedback gathered so far; every operation
 * not yet executed by then becomes a deoptimisation point, and its first use
 * later throws the whole function back to V8's interpreter until it is
 * recompiled. A Linux boot meets such firsts all along (the first l.lhs, the
 * first l.sfltu, the first multiply that overflows, the first deliverable
 * l.rfe ...): ~11 deoptimisations of exec per boot (node --trace-deopt).
 *
 * `primeCpu()` runs, once per process, a short program on a scratch machine
 * that executes every instruction form with the operand values that matter
 * to V8 (overflowing products, zero divisors), loads and stores on their fast
 * and slow paths (unaligned, across a page end, MMIO), exceptions with
 * handlers that return, the MMUs, the tick timer, twice (on RAM of a
 * machine's size, the second time through the dispatcher and WebAssembly).
 * A few milliseconds; the guest never sees it.
 */
import { Bus } from '../memory/bus.ts';
import { Ram } from '../memory/ram.ts';
import { A } from './asm.ts';
import { Cpu } from './cpu.ts';
import { SPR, SR, TLB, TTMR } from './spr.ts';

const PROG = 0x2000;
const DATA = 0x8000;
/** DATA + PAGE is mapped read-only when the DMMU is on; DATA + 2 pages not at all. */
const PAGE = 0x2000;
const MMIO = 0x90000000;
/** Mapped by the DTLB to MMIO. */
const MMIO_VA = 0x30000;
/** User-mode code (see user()). */
const USER = 0xe000;

let primed = false;

/** The exception handlers: return past the faulting instruction; the tick clears itself; ITLB misses return to r9. */
function handler(vector: number): number[] {
  if (vector === 0x500) return [A.mtspr(0, 0, SPR.TTMR), A.rfe(), A.nop()];
  if (vector === 0xa00) return [A.mtspr(0, 9, SPR.EPCR), A.rfe(), A.nop()];
  // l.sys from user mode ends the user-mode excursion: back to r24 (cleared), still in supervisor mode.
  if (vector === 0xc00) return [A.sfi(1, 24, 0), A.bnf(4), A.nop(), A.jr(24), A.addi(24, 0, 0), ...stepOver];
  return stepOver;
}
const stepOver = [A.mfspr(30, 0, SPR.EPCR), A.addi(30, 30, 4), A.mtspr(0, 30, SPR.EPCR), A.rfe(), A.nop()];

/**
 * User-mode code at USER (IMMU and DMMU on, SR[SM] off), entered by an
 * l.rfe: loads and stores on DATA (user read/write), a page fault on the
 * supervisor-only page, a DTLB miss, an ITLB miss, then l.sys back.
 */
function user(): number[] {
  const p: number[] = [];
  for (let i = 0; i < 2; i++) {
    p.push(A.lwz(3, 20, 0), A.lws(3, 20, 0), A.lbz(3, 20, 1), A.lbs(3, 20, 1), A.lhz(3, 20, 2), A.lhs(3, 20, 2));
    p.push(A.sw(20, 4, 4), A.sb(20, 4, 5), A.sh(20, 4, 6));
  }
  p.push(A.lwz(3, 20, PAGE), A.sw(20, 4, PAGE), A.lwz(3, 20, 2 * PAGE), A.sb(20, 4, 2 * PAGE));
  p.push(...A.li(8, 0x40000), A.jalr(8), A.nop(), A.j(2), A.nop());
  p.push(A.sys(0), A.nop());
  return p;
}

/** Every form, once or twice, with telling operands. r20 = DATA, r22 = MMIO. */
function body(): number[] {
  const p: number[] = [];
  const rr = [A.add, A.addc, A.sub, A.and, A.or, A.xor, A.mul, A.div, A.divu, A.mulu, A.sll, A.srl, A.sra, A.ror, A.cmov];
  const r1 = [A.exths, A.extbs, A.exthz, A.extbz, A.extws, A.extwz, A.ff1, A.fl1];
  const ri = [A.addi, A.addic, A.andi, A.ori, A.xori, A.muli];
  const sh = [A.slli, A.srli, A.srai, A.rori];
  const conds = [0, 1, 2, 3, 4, 5, 0xa, 0xb, 0xc, 0xd];
  // Operand pairs: small, overflowing, zero divisor, INT_MIN / -1.
  for (const [a, b] of [[7, 3], [0x7fffffff, 0x7fffffff], [-0x80000000, -1], [5, 0], [-1, 1]] as const) {
    p.push(...A.li(4, a), ...A.li(5, b));
    for (const op of rr) p.push(op(3, 4, 5));
    for (const op of r1) p.push(op(3, 4));
    for (const op of ri) p.push(op(3, 4, b & 0xffff));
    for (const op of sh) p.push(op(3, 4, 5));
    for (const c of conds) p.push(A.sf(c, 4, 5), A.sfi(c, 4, b & 0xffff));
    p.push(A.mac(4, 5), A.msb(4, 5), A.macu(4, 5), A.msbu(4, 5), A.maci(4, 3), A.muld(4, 5), A.muldu(4, 5), A.macrc(3));
  }
  p.push(A.movhi(3, 0x1234), A.adrp(3, 1), A.nop(), A.nop(2), A.msync(), A.psync(), A.csync());
  // Loads and stores: fast, unaligned, across the page end, MMIO.
  for (const off of [0, 1, 2, PAGE - 2, PAGE - 1]) {
    p.push(A.lwz(3, 20, off), A.lws(3, 20, off), A.lbz(3, 20, off), A.lbs(3, 20, off), A.lhz(3, 20, off), A.lhs(3, 20, off));
    p.push(A.sw(20, 4, off), A.sb(20, 4, off), A.sh(20, 4, off));
  }
  p.push(A.lwz(3, 22, 0), A.lbz(3, 22, 0), A.lhz(3, 22, 0), A.sw(22, 4, 0), A.sb(22, 4, 0), A.sh(22, 4, 0));
  p.push(A.lwz(3, 22, 0x1000), A.sw(22, 4, 0x1000), A.lwz(3, 22, 0x2000), A.sb(22, 4, 0x2000), A.lwz(3, 22, 0x3000), A.sw(22, 4, 0x3000));
  p.push(A.lwa(3, 20, 0), A.swa(20, 4, 0), A.swa(20, 4, 0)); // a pair that succeeds, then one that fails
  // Branches, taken and not, with calls through l.jal and l.jalr (r23 = the pc after them).
  for (const flag of [0, 1]) {
    p.push(A.sfi(0, 0, flag === 1 ? 0 : 1), A.bf(2), A.nop(), A.bnf(2), A.nop(), A.j(2), A.nop());
  }
  p.push(A.jal(2), A.nop(), A.adrp(23, 0), A.addi(23, 23, 0), A.nop());
  // SPRs, and exceptions the handlers step over: l.sys, l.trap, an illegal word, a range exception.
  for (const spr of [SPR.SR, SPR.EPCR, SPR.EEAR, SPR.ESR, SPR.VR, SPR.UPR, SPR.NPC, SPR.PPC, SPR.MACLO, SPR.PICMR, SPR.PICSR, SPR.TTMR, SPR.TTCR, SPR.DTLBMR, SPR.ITLBTR, SPR.PMR]) {
    p.push(A.mfspr(3, 0, spr));
  }
  p.push(A.mtspr(0, 0, SPR.PICMR), A.mtspr(0, 0, SPR.PICSR), A.mtspr(0, 0, SPR.TTCR), A.mtspr(0, 0, SPR.EEAR), A.mtspr(0, 0, SPR.MACLO));
  p.push(A.sys(1), A.nop(), A.trap(0), 0xfc000000);
  p.push(A.mfspr(6, 0, SPR.SR), A.ori(7, 6, SR.OVE), A.mtspr(0, 7, SPR.SR), A.addi(3, 4, 0x7fff), A.mtspr(0, 6, SPR.SR));
  // The DMMU: a refilled page, a read-only one, a missing one; then off again.
  p.push(A.ori(7, 6, SR.DME), A.mtspr(0, 7, SPR.SR));
  p.push(A.lwz(3, 20, 0), A.sw(20, 4, 4), A.lhz(3, 20, PAGE), A.sw(20, 4, PAGE), A.lwz(3, 20, 2 * PAGE), A.sb(20, 4, 2 * PAGE));
  // MMIO through the DMMU (physical addresses above 2^31 come out of the TLB walk).
  p.push(...A.li(26, MMIO_VA), A.lwz(3, 26, 0), A.lbz(3, 26, 0), A.lhz(3, 26, 0), A.sw(26, 4, 0), A.sb(26, 4, 0), A.sh(26, 4, 0));
  p.push(A.mtspr(0, 6, SPR.SR));
  // The IMMU: on, a call to an unmapped page (ITLB miss, the handler returns to r9), off.
  p.push(A.ori(7, 6, SR.IME), A.mtspr(0, 7, SPR.SR), ...A.li(8, 0x40000), A.jalr(8), A.nop(), A.mtspr(0, 6, SPR.SR));
  // User mode: an l.rfe into USER with both MMUs on; its l.sys comes back to r24 (the l.jal sets r9 to the addi).
  p.push(A.xori(7, 6, SR.SM), A.ori(7, 7, SR.IME | SR.DME), A.mtspr(0, 7, SPR.ESR), ...A.li(8, USER), A.mtspr(0, 8, SPR.EPCR));
  p.push(A.jal(2), A.nop(), A.addi(24, 9, 8), A.rfe(), A.mtspr(0, 6, SPR.SR));
  // An l.rfe that unmasks a pending tick (taken at once; its handler disarms the timer).
  p.push(...A.li(8, (1 << TTMR.MODE_SHIFT) | TTMR.IE | 4), A.mtspr(0, 8, SPR.TTMR));
  for (let i = 0; i < 8; i++) p.push(A.nop());
  p.push(A.ori(7, 6, SR.TEE), A.mtspr(0, 7, SPR.ESR), A.jal(2), A.nop(), A.addi(25, 9, 12), A.mtspr(0, 25, SPR.EPCR), A.rfe());
  p.push(A.nop(), A.mtspr(0, 6, SPR.SR));
  // The tick timer: armed short, interrupts on, a few instructions until it fires.
  p.push(...A.li(8, (1 << TTMR.MODE_SHIFT) | TTMR.IE | 20), A.mtspr(0, 8, SPR.TTMR), A.ori(7, 6, SR.TEE), A.mtspr(0, 7, SPR.SR));
  for (let i = 0; i < 30; i++) p.push(A.nop());
  p.push(A.mtspr(0, 6, SPR.SR), A.mtspr(0, 0, SPR.TTMR));
  return p;
}

export interface PrimeReport {
  /** Both passes (interpreted, then through the dispatcher) reached the end. */
  completed: boolean;
  instructions: number;
  exceptions: number;
}

/** The primer's RAM when no size is given: all its program needs. */
const SMALL_RAM = 64 << 10;

/**
 * Runs the primer: the first call in a process does it and reports; later
 * calls return undefined. `memoryBytes`: the primer's RAM (a multiple of
 * 8 KiB; at least 64 KiB, the default).
 *
 * The CPU's WebAssembly modules are laid out for its RAM size and compiled
 * once per layout (jit/module-cache.ts): on RAM of a machine's size the
 * primer compiles (or reuses) the very modules that machine runs and gets
 * them tiered up. `mkrootfs boot` does not do that: a second 128 MiB
 * WebAssembly.Memory (allocation, and the collections V8 runs for that much
 * new external memory) cost more than the interpreter's build it saves:
 * process start to first guest instruction, medians of 41 interleaved runs,
 * 175.6 ms with the 64 KiB primer, 182.7 ms with a 128 MiB one (in-process
 * phases: primer +9 ms, machine -5 ms).
 * On the small default RAM, whose modules no machine would share, the
 * primer's CPU makes none (CpuOptions.wasm false: both passes run exec(),
 * which is what needs V8's type feedback): boot spawn to banner, medians of
 * 9 interleaved boots, 626 ms against 638 ms with the modules built and
 * run; start-up 163 against 174 ms, the run loop the same.
 */
export function primeCpu(memoryBytes = SMALL_RAM): PrimeReport | undefined {
  if (primed) return undefined;
  primed = true;
  const ram = new Ram(Math.max(memoryBytes, SMALL_RAM));
  const bus = new Bus({ ram, logger: () => {} });
  const cpu = new Cpu({ bus, wasm: memoryBytes > SMALL_RAM });
  for (let v = 0x100; v <= 0xe00; v += 0x100) handler(v).forEach((w, i) => ram.write32(v + 4 * i, w));
  // Twice around a loop (r21 counts).
  const prog = [...A.li(20, DATA), ...A.li(22, MMIO), ...A.li(21, 2)];
  const loop = prog.length;
  prog.push(...body(), A.addi(21, 21, -1), A.sfi(1, 21, 0));
  prog.push(A.bf(loop - prog.length), A.nop(), A.j(0), A.nop());
  prog.forEach((w, i) => ram.write32(PROG + 4 * i, w));
  const end = PROG + 4 * (prog.length - 2);
  // DTLB: DATA read/write, the next page read-only; ITLB: the code pages (vectors, program).
  cpu.setSpr(SPR.DTLBMR + ((DATA >>> 13) & 127), DATA | TLB.VALID);
  cpu.setSpr(SPR.DTLBTR + ((DATA >>> 13) & 127), DATA | TLB.SRE | TLB.SWE | TLB.URE | TLB.UWE);
  cpu.setSpr(SPR.DTLBMR + (((DATA + PAGE) >>> 13) & 127), (DATA + PAGE) | TLB.VALID);
  cpu.setSpr(SPR.DTLBTR + (((DATA + PAGE) >>> 13) & 127), (DATA + PAGE) | TLB.SRE);
  cpu.setSpr(SPR.DTLBMR + ((MMIO_VA >>> 13) & 127), MMIO_VA | TLB.VALID);
  cpu.setSpr(SPR.DTLBTR + ((MMIO_VA >>> 13) & 127), MMIO | TLB.SRE | TLB.SWE);
  for (const va of [0, PROG, PROG + PAGE, USER]) {
    cpu.setSpr(SPR.ITLBMR + ((va >>> 13) & 127), va | TLB.VALID);
    cpu.setSpr(SPR.ITLBTR + ((va >>> 13) & 127), va | (va === USER ? TLB.UXE : TLB.SXE));
  }
  user().forEach((w, i) => ram.write32(USER + 4 * i, w));
  // Device regions of several kinds (a boot's devices make the bus's handler calls polymorphic) and an unmapped page.
  const regs = [
    { read: () => 0, write: () => {} },
    new (class { read(): number { return 1; } write(): void {} })(),
    new (class { n = 0; read(): number { return this.n; } write(_o: number, _s: number, v: number): void { this.n = v; } })(),
  ];
  regs.forEach((h, i) => bus.map(MMIO + 0x1000 * i, 0x100, h, `primer${i}`));
  const canTranslate = cpu.jit;
  let completed = true;
  for (const jit of [false, true]) {
    cpu.jump(PROG);
    cpu.jit = jit && canTranslate;
    cpu.jitThreshold = 0xfffe; // the dispatcher and the interpreter's block mode, no translating
    cpu.nopHooks = false;
    for (let i = 0; i < 20 && cpu.pc < end; i++) cpu.run(2_000);
    completed &&= cpu.pc === end || cpu.pc === end + 4;
  }
  return { completed, instructions: cpu.instret, exceptions: cpu.exceptionCount };
}
