/**
 * The MMU and exception paths of the WebAssembly interpreter (interp.ts):
 * what the kernel's TLB-miss handlers make a boot do ~100,000 times, done
 * without leaving WebAssembly (each trip to JavaScript and back costs more
 * than the handler's twenty-odd instructions):
 * - a miss in the host table walks the TLB set (emulator/cpu/mmu.ts
 *   `lookup`): on a match with the permission it fills the table entry, as
 *   lookup does; with no match it takes the DTLB/ITLB miss exception;
 * - the exception entry itself (cpu.ts `exception`);
 * - l.mtspr of DTLBW0MR/TR and ITLBW0MR/TR (mmu.ts writeDtlb/writeItlb);
 * - l.rfe (cpu.ts returnFromException), and l.mtspr of SR, unless the new
 *   SR unmasks a pending interrupt.
 * Everything else (permission faults, MMIO, unaligned accesses, code
 * pages, ITLB writes with the IMMU on) keeps going to JavaScript. The state
 * these paths touch lives in the arena (CPU_WORDS, MmuLayout); SR is the
 * SRB local, mirrored in the SR state word that cpu.ts reads back.
 */
import { Op } from './wasm.ts';
import { STATE } from './translate.ts';
import { CPU_WORDS, CY, E, F, FV, INSN, InterpEmitter, JF, OV, PC, RTB, SRB, T, VA, WTB, X, XTB, Y } from './interp-emit.ts';

// SR, TLB and TTMR bits (emulator/cpu/spr.ts).
const SM = 0x1, TEE = 0x2, IEE = 0x4, DME = 0x20, IME = 0x40, OVE = 0x1000, DSX = 0x2000, EPH = 0x4000, FO = 0x8000;
const FLAG_BITS = 0xe00;
const TLB_SRE = 0x100, TLB_URE = 0x40, TLB_SWE = 0x200, TLB_UWE = 0x80, TLB_SXE = 0x40, TLB_UXE = 0x80;
const TTMR_IP = 0x10000000;
const PMR_DOZE = 0x30;
const VECTOR_DTLB_MISS = 0x900, VECTOR_ITLB_MISS = 0xa00, VECTOR_SYSCALL = 0xc00;

export type AccessKind = 'read' | 'write' | 'exec';

/**
 * After a miss in the host table for an access of `kind` at VA (aligned;
 * E has bit 0 clear): with that MMU on, walks the TLB set of VA's page. A
 * match with the permission, in RAM (and for a store, on a page without
 * translated code) fills the current table's entry and E; no match takes
 * the TLB-miss exception (branch to `exc`, T = vector); anything else
 * leaves E as it was, for the slow path.
 */
export function tlbWalk(e: InterpEmitter, kind: AccessKind): void {
  const { c, layout } = e;
  const m = layout.mmu;
  const exec = kind === 'exec';
  const [mr, tr] = exec ? [m.itlbMr, m.itlbTr] : [m.dtlbMr, m.dtlbTr];
  const tb = kind === 'read' ? RTB : kind === 'write' ? WTB : XTB;
  const [sup, user] = kind === 'read' ? [TLB_SRE, TLB_URE] : kind === 'write' ? [TLB_SWE, TLB_UWE] : [TLB_SXE, TLB_UXE];
  c.get(SRB).i32(exec ? IME : DME).op(Op.i32_and).if_();
  // X <- the page number, Y <- its set's match register.
  c.get(VA).i32(13).op(Op.i32_shr_u).tee(X).i32(127).op(Op.i32_and).i32(2).op(Op.i32_shl).mem(Op.i32_load, mr).tee(Y);
  c.i32(1).op(Op.i32_and).op(Op.i32_eqz).get(Y).i32(13).op(Op.i32_shr_u).get(X).op(Op.i32_ne).op(Op.i32_or).if_();
  c.i32(exec ? VECTOR_ITLB_MISS : VECTOR_DTLB_MISS).set(T).i32(1).set(Y);
  c.get(PC);
  e.ds();
  c.i32(2).op(Op.i32_shl).op(Op.i32_sub).set(X).br('exc');
  c.end();
  // Y <- the translate register; permitted for this privilege, and in RAM?
  c.get(X).i32(127).op(Op.i32_and).i32(2).op(Op.i32_shl).mem(Op.i32_load, tr).tee(Y);
  c.i32(sup).i32(user).get(SRB).i32(SM).op(Op.i32_and).op(Op.select).op(Op.i32_and).i32(0).op(Op.i32_ne);
  c.get(Y).i32(~0x1fff).op(Op.i32_and).i32(m.ramSize).op(Op.i32_lt_u).op(Op.i32_and);
  if (kind === 'write') {
    c.get(Y).i32(13).op(Op.i32_shr_u).mem(Op.i32_load8_u, m.watch).op(Op.i32_eqz).op(Op.i32_and);
  }
  c.if_();
  c.get(X).i32(2).op(Op.i32_shl).get(tb).op(Op.i32_add);
  c.get(Y).i32(~0x1fff).op(Op.i32_and).i32(1).op(Op.i32_or).tee(E);
  c.mem(Op.i32_store);
  c.end();
  c.end();
}

/** RTB, WTB and XTB <- the host tables for SR = SRB (cpu.ts setSrValue). */
export function tablesFromSr(e: InterpEmitter): void {
  const { c } = e;
  const m = e.layout.mmu;
  const t = m.tables;
  const bySm = (supTable: number, userTable: number): void => {
    c.i32(supTable).i32(userTable).get(SRB).i32(SM).op(Op.i32_and).op(Op.select);
  };
  bySm(t[0]!, t[2]!);
  c.i32(m.identity).get(SRB).i32(DME).op(Op.i32_and).op(Op.select).set(RTB);
  bySm(t[1]!, t[3]!);
  c.i32(m.identityWrite).get(SRB).i32(DME).op(Op.i32_and).op(Op.select).set(WTB);
  bySm(t[4]!, t[5]!);
  c.i32(m.identity).get(SRB).i32(IME).op(Op.i32_and).op(Op.select).set(XTB);
  c.i32(0).get(SRB).mem(Op.i32_store, e.layout.state + 4 * STATE.SR);
  c.i32(-1).set(FV);
}

/**
 * The exception entry at `exc` (cpu.ts exception): T = vector, X = EPCR,
 * VA = the address for EEAR (written if Y is non-zero), PC = the
 * instruction (a delay slot: see InterpEmitter.ds). ESR <- SR, SR: supervisor, interrupts and
 * MMUs off, DSX; PMR's doze bits and the l.lwa reservation cleared; the
 * tracer words; then on at the vector (no jump pending). The caller
 * rebases the count and closes with `br top`.
 */
export function exceptionEntry(e: InterpEmitter): void {
  const { c } = e;
  const w = (i: number): number => e.cpuWord(i);
  c.i32(0).i32(0).mem(Op.i32_load, w(CPU_WORDS.EXC_COUNT)).i32(1).op(Op.i32_add).mem(Op.i32_store, w(CPU_WORDS.EXC_COUNT));
  c.i32(0).get(T).mem(Op.i32_store, w(CPU_WORDS.LAST_VECTOR));
  c.i32(0).get(VA).mem(Op.i32_store, w(CPU_WORDS.LAST_EEAR));
  c.get(Y).if_().i32(0).get(VA).mem(Op.i32_store, w(CPU_WORDS.EEAR)).end();
  c.i32(0);
  e.pushSr();
  c.mem(Op.i32_store, w(CPU_WORDS.ESR));
  c.i32(0).get(X).mem(Op.i32_store, w(CPU_WORDS.EPCR));
  c.i32(0).i32(0).mem(Op.i32_load, w(CPU_WORDS.PMR)).i32(~PMR_DOZE).op(Op.i32_and).mem(Op.i32_store, w(CPU_WORDS.PMR));
  c.i32(0).i32(0).mem(Op.i32_store, w(CPU_WORDS.RES_VALID));
  c.i32(0).mem(Op.i32_load, w(CPU_WORDS.EVBAR)).i32(0xf0000000 | 0).i32(0).get(SRB).i32(EPH).op(Op.i32_and).op(Op.select).op(Op.i32_or);
  c.get(T).op(Op.i32_or).set(T);
  c.get(SRB).i32(SM).op(Op.i32_or).i32(~(IEE | TEE | DME | IME | DSX)).op(Op.i32_and);
  c.i32(DSX).i32(0);
  e.ds();
  c.op(Op.select).op(Op.i32_or).set(SRB);
  c.get(T).set(PC);
  tablesFromSr(e);
  c.i32(1).set(JF);
}

/**
 * SR <- X (cpu.ts setSrValue) with the flags, when the new SR neither
 * unmasks a pending interrupt nor enables range exceptions (those go to
 * `sys`, where JavaScript leaves the run loop).
 */
export function setSr(e: InterpEmitter): void {
  const { c } = e;
  const w = (i: number): number => e.cpuWord(i);
  c.get(X).i32(OVE).op(Op.i32_and).brIf('sys');
  // A pending tick with TEE, or a pending PIC line with IEE.
  const nonZero = (): void => void c.i32(0).op(Op.i32_ne);
  c.i32(0).mem(Op.i32_load, w(CPU_WORDS.TTMR)).i32(TTMR_IP).op(Op.i32_and);
  nonZero();
  c.get(X).i32(TEE).op(Op.i32_and);
  nonZero();
  c.op(Op.i32_and);
  c.i32(0).mem(Op.i32_load, w(CPU_WORDS.PICSR)).i32(0).mem(Op.i32_load, w(CPU_WORDS.PICMR)).op(Op.i32_and);
  nonZero();
  c.get(X).i32(IEE).op(Op.i32_and);
  nonZero();
  c.op(Op.i32_and).op(Op.i32_or).brIf('sys');
  c.get(X).i32(9).op(Op.i32_shr_u).i32(1).op(Op.i32_and).set(F);
  c.get(X).i32(10).op(Op.i32_shr_u).i32(1).op(Op.i32_and).set(CY);
  c.get(X).i32(11).op(Op.i32_shr_u).i32(1).op(Op.i32_and).set(OV);
  c.get(X).i32(~FLAG_BITS).op(Op.i32_and).i32(FO).op(Op.i32_or).set(SRB);
  tablesFromSr(e);
}

/**
 * l.rfe (cpu.ts returnFromException) in supervisor mode, outside a delay
 * slot: SR and the flags <- ESR (through setSr, which may send it to
 * `sys`), the reservation dropped, local `target` <- EPCR. The caller
 * retires it and goes on at `target`.
 */
export function returnFromException(e: InterpEmitter, target: number): void {
  const { c } = e;
  e.ds();
  c.brIf('sys');
  c.get(SRB).i32(SM).op(Op.i32_and).op(Op.i32_eqz).brIf('sys');
  c.i32(0).mem(Op.i32_load, e.cpuWord(CPU_WORDS.ESR)).set(X);
  setSr(e);
  c.i32(0).i32(0).mem(Op.i32_store, e.cpuWord(CPU_WORDS.RES_VALID));
  c.i32(0).mem(Op.i32_load, e.cpuWord(CPU_WORDS.EPCR)).set(target);
}

/**
 * l.mtspr of group 1 or 2 (T = the SPR number): DTLBW0MR/TR or
 * ITLBW0MR/TR, dropping the host-table entries of the page the set mapped
 * (mmu.ts writeDtlb/writeItlb); other SPRs of these groups ignore writes
 * (branch to `mt`). An ITLB write with the IMMU on may change the page
 * code runs from: the interpreter refetches; with `imeLeave` (translated
 * code), it branches there after the write. Expects rB's value in Y.
 */
export function mtsprTlb(e: InterpEmitter, group: 1 | 2, imeLeave?: string): void {
  const { c } = e;
  const m = e.layout.mmu;
  const itlb = group === 2;
  c.get(T).i32(0x7ff).op(Op.i32_and).i32(0x200).op(Op.i32_sub).tee(X).i32(0x100).op(Op.i32_ge_u).brIf('mt');

  // VA <- the set's byte offset; E <- the byte offset of the page it mapped.
  c.get(X).i32(127).op(Op.i32_and).i32(2).op(Op.i32_shl).tee(VA);
  c.mem(Op.i32_load, itlb ? m.itlbMr : m.dtlbMr).i32(13).op(Op.i32_shr_u).i32(2).op(Op.i32_shl).set(E);
  for (const t of itlb ? m.tables.slice(4, 6) : m.tables.slice(0, 4)) c.get(E).i32(0).mem(Op.i32_store, t);
  c.get(X).i32(0x80).op(Op.i32_and).if_();
  c.get(VA).get(Y).mem(Op.i32_store, itlb ? m.itlbTr : m.dtlbTr);
  c.else_();
  c.get(VA).get(Y).mem(Op.i32_store, itlb ? m.itlbMr : m.dtlbMr);
  c.end();
  if (itlb) {
    // With the IMMU on: the interpreter refetches (FV), translated code leaves.
    c.i32(-1).set(FV);
    e.fenceNext();
    if (imeLeave !== undefined) c.get(SRB).i32(IME).op(Op.i32_and).brIf(imeLeave);
  }
  c.br('mt');
}

/**
 * l.sys (cpu.ts execRare), and the no-op l.msync/l.psync/l.csync; l.trap,
 * user-mode emulation and anything else go to `sys`. l.sys takes the
 * system-call exception with EPCR = the next instruction (the l.sys itself
 * in a delay slot) and EEAR untouched.
 */
export function emitSys(e: InterpEmitter): void {
  const { c } = e;
  c.get(INSN).i32(16).op(Op.i32_shr_u).i32(0x3ff).op(Op.i32_and).tee(X).op(Op.i32_eqz).if_();
  c.i32(0).mem(Op.i32_load, e.cpuWord(CPU_WORDS.USER_MODE)).brIf('sys');
  c.i32(VECTOR_SYSCALL).set(T).i32(0).set(VA).i32(0).set(Y);
  c.get(PC).i32(4).op(Op.i32_add);
  e.ds();
  c.i32(2).op(Op.i32_shl).op(Op.i32_sub).set(X).br('exc');
  c.end();
  c.get(INSN).i32(0xffff).op(Op.i32_and).brIf('sys');
  c.get(X).i32(0x200).op(Op.i32_eq).get(X).i32(0x280).op(Op.i32_eq).op(Op.i32_or).get(X).i32(0x300).op(Op.i32_eq).op(Op.i32_or);
  c.op(Op.i32_eqz).brIf('sys');
}
