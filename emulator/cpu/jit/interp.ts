/**
 * The cold-code interpreter, in WebAssembly: one module, built and compiled
 * once per CPU, that fetches, decodes and executes guest instructions the
 * way cpu.ts exec() does, for the code that is not hot enough to translate.
 *
 * Why: a Linux boot runs ~45 M instructions spread over thousands of code
 * paths, most of them a few hundred times. Page translation (translate.ts)
 * cannot pay for itself on such code (V8's tier-up of each page module costs
 * far more than the page saves), and the JavaScript interpreter, however
 * tuned, spends 15–20 ns per instruction on a boot (bounds checks, type
 * guards, field traffic, deoptimisations). The same loop written in
 * WebAssembly has none of those, so it is what runs cold code; hot pages
 * still get translated from here, as from exec().
 *
 * The loop runs straight on with one check per instruction, `PC = FENCE`:
 * the fence is the first of the fetch page's end, the budget's end and the
 * end of a pending branch's delay slot, so the count, the fetch page, the
 * jump and the block-start heat are all dealt with at the fence, once per
 * stretch, and only PC changes on every trip (see interp-emit.ts for the
 * loop state). The count is NB + (PC >>> 2) wherever a slow path needs it.
 * A branch in a delay slot goes to JavaScript. Boot run loop of our guest
 * (main-thread CPU time, one process per boot, medians of 5-6): ~420 ms
 * with a counted loop checking budget, fetch page and delay slot at every
 * instruction; 390 ms fenced; 370 ms with the fence state in CPU words
 * rather than locals. Spawned boots (11 alternating): run loop 457 -> 410 ms.
 *
 * `f(pc, lim, flags, rtb, wtb, xtb, hot, sr) -> retired`, like a page function
 * (translate.ts) with the same state words on return and the same slow
 * paths (ld/st/sys, cpu.ts jitLoad/jitStore/jitSys):
 * - Runs at most `lim` instructions from `pc` (never in a delay slot on
 *   entry), with the flags packed as SR[F] | SR[CY] << 1 | SR[OV] << 2 and
 *   the current host translation tables for loads, stores and fetches;
 *   `hot` is the code cache's threshold, `sr` SR without F/CY/OV (kept in
 *   the SR state word while it runs: its exception entry and l.rfe change
 *   SR in place, and cpu.ts reads the word back).
 * - Inline: what exec() runs in its hot loop (ALU, compares, loads, stores,
 *   branches, l.movhi, l.adrp, l.nop without a simulator hook) plus the
 *   rest of the register-register ALU (divisions, extensions, l.mulu,
 *   l.ff1/l.fl1), and what the kernel's TLB-miss handlers, system calls,
 *   interrupt masking and atomics run most (interp-mmu.ts): the TLB walk
 *   after a host-table miss and the DTLB/ITLB-miss exception entry, l.rfe,
 *   l.sys, l.mtspr of SR and of the TLBs, l.mfspr/l.mtspr of the exception
 *   SPRs (EPCR, EEAR, ESR, EVBAR, which live in the arena) and the shadow
 *   GPRs, l.mfspr of the MMU configuration, l.mtspr of the cache and debug
 *   SPRs (no-ops here, as in setSpr), l.lwa and l.swa when their page has a
 *   fast entry, the syncs. An l.rfe or SR write that unmasks a pending
 *   interrupt is JavaScript's (it leaves the run loop to take it).
 *   Anything else calls `sys`, which has the JavaScript interpreter execute
 *   that one instruction; in a delay slot it returns instead, and the
 *   dispatcher (cpu.ts execJit) has exec() run it.
 * - A fetch from a page without a valid execute-table entry walks the ITLB
 *   (or takes the miss) inline; with the IMMU off (not RAM) or on a
 *   permission fault, `fx` (cpu.ts jitFetch) decides.
 * - Block starts (a branch's target, once its delay slot retired) are
 *   counted in the code cache's heat table, as exec() counts them; at a
 *   start that has translated code (blockBits) it calls the chain, and at
 *   one that just got hot it returns so the dispatcher can make the
 *   translation.
 * - On return: NPC, FLAGS, DS (1: the instruction at NPC is a delay slot)
 *   and TARGET (where that delay slot goes) in the state words; FLT = 0.
 *   After a slow path's way out (an exception was taken, a jump, a reason
 *   to leave the run loop) the state is in the CPU's fields, FLT = 1, and
 *   the count is the RETIRED word, exactly as for translated code. FLT = 2:
 *   translated code's l.rfe, SR or ITLB write, done by `s`: the state is in
 *   the state words (cpu.ts wasmReturned).
 * Only while SR[OVE] is clear (the dispatcher checks), so no range
 * exception can occur in inline code.
 */
import { Code, I32, Op, buildModule } from './wasm.ts';
import { emitSys, exceptionEntry, mtsprTlb, returnFromException, setSr, tablesFromSr, tlbWalk } from './interp-mmu.ts';
import { IMPORTS, STATE } from './translate.ts';
import {
  A, B, CHAIN_CALL, CPU_WORDS, CY, E, F, FENCE, FETCH_CALL, FLAGS, FPD, FV, HOT, I32_LOCALS, INSN, INTERP_FN, INTERP_IMPORTS, InterpEmitter, JF, LD, LIM, NB,
  OV, P64, PC, RTB, SCRATCH, SRB, ST, SYS_CALL, T, TGT, VA, WTB, X, XTB, Y, type InterpLayout,
} from './interp-emit.ts';

export { CPU_WORDS, type CpuLayout, type InterpFn, type InterpLayout } from './interp-emit.ts';

/** The register-register ALU (opcode 0x38): `e` emits into the `done`/`sys` frame. */
function emitAlu(e: InterpEmitter): void {
  const c = e.c;
  const a = (): void => void c.get(A);
  const b = (): void => void c.get(B);
  e.ra();
  c.set(A);
  e.rb();
  c.set(B);
  // Dispatch on bits 0..3; each case checks op2 (bits 8..9) itself.
  const op2Is = (v: number): void => {
    c.get(INSN).i32(8).op(Op.i32_shr_u).i32(3).op(Op.i32_and).i32(v).op(Op.i32_ne).brIf('sys');
  };
  const setT = (): void => e.setD(() => void c.get(T));
  const bin = (o: number): void => e.setD(() => c.get(A).get(B).op(o));
  const names = Array.from({ length: 16 }, (_, i) => `a${i}`);
  c.block('alu');
  for (let i = 15; i >= 0; i--) c.block(`a${i}`);
  c.get(INSN).i32(15).op(Op.i32_and).brTable(names, 'sys');
  const cases: Array<() => void> = [
    () => { // 0x0 l.add
      op2Is(0);
      c.get(A).get(B).op(Op.i32_add).set(T);
      c.get(T).get(A).op(Op.i32_lt_u).set(CY);
      e.addOverflow(b);
      setT();
    },
    () => { // 0x1 l.addc
      op2Is(0);
      c.get(A).get(B).op(Op.i32_add).get(CY).op(Op.i32_add).set(T);
      e.carry64(b);
      e.addOverflow(b);
      setT();
    },
    () => { // 0x2 l.sub
      op2Is(0);
      c.get(A).get(B).op(Op.i32_sub).set(T);
      c.get(A).get(B).op(Op.i32_lt_u).set(CY);
      c.get(A).get(B).op(Op.i32_xor).get(A).get(T).op(Op.i32_xor).op(Op.i32_and).i32(31).op(Op.i32_shr_u).set(OV);
      setT();
    },
    () => { op2Is(0); bin(Op.i32_and); }, // 0x3
    () => { op2Is(0); bin(Op.i32_or); }, // 0x4
    () => { op2Is(0); bin(Op.i32_xor); }, // 0x5
    () => { // 0x6 l.mul
      op2Is(3);
      e.mul64(b, true);
      c.get(P64).get(T).op(Op.i64_extend_i32_s).op(Op.i64_ne).set(OV);
      setT();
    },
    () => void c.br('sys'), // 0x7
    () => { // 0x8 l.sll / l.srl / l.sra / l.ror
      op2Is(0);
      c.block('sh');
      c.block('ror').block('sra').block('srl').block('sll');
      c.get(INSN).i32(6).op(Op.i32_shr_u).i32(3).op(Op.i32_and).brTable(['sll', 'srl', 'sra', 'ror'], 'ror');
      c.end(); bin(Op.i32_shl); c.br('sh');
      c.end(); bin(Op.i32_shr_u); c.br('sh');
      c.end(); bin(Op.i32_shr_s); c.br('sh');
      c.end(); bin(Op.i32_rotr);
      c.end(); // sh
    },
    () => { // 0x9 l.div
      op2Is(3);
      c.get(B).op(Op.i32_eqz).get(A).i32(-0x80000000).op(Op.i32_eq).get(B).i32(-1).op(Op.i32_eq).op(Op.i32_and).op(Op.i32_or);
      c.if_().get(A).set(T).i32(1).set(OV).else_().get(A).get(B).op(Op.i32_div_s).set(T).i32(0).set(OV).end();
      setT();
    },
    () => { // 0xa l.divu
      op2Is(3);
      c.get(B).op(Op.i32_eqz);
      c.if_().get(A).set(T).i32(1).set(CY).else_().get(A).get(B).op(Op.i32_div_u).set(T).i32(0).set(CY).end();
      setT();
    },
    () => { // 0xb l.mulu
      op2Is(3);
      e.mul64(b, false);
      c.get(P64);
      c.byte(Op.i64_const);
      c.s32(32);
      c.op(Op.i64_shr_u).op(Op.i32_wrap_i64).i32(0).op(Op.i32_ne).set(CY);
      setT();
    },
    () => { // 0xc l.exths / l.extbs / l.exthz / l.extbz
      op2Is(0);
      c.block('ext');
      c.block('extbz').block('exthz').block('extbs').block('exths');
      c.get(INSN).i32(6).op(Op.i32_shr_u).i32(3).op(Op.i32_and).brTable(['exths', 'extbs', 'exthz', 'extbz'], 'extbz');
      c.end(); e.setD(() => c.get(A).op(Op.i32_extend16_s)); c.br('ext');
      c.end(); e.setD(() => c.get(A).op(Op.i32_extend8_s)); c.br('ext');
      c.end(); e.setD(() => c.get(A).i32(0xffff).op(Op.i32_and)); c.br('ext');
      c.end(); e.setD(() => c.get(A).i32(0xff).op(Op.i32_and));
      c.end(); // ext
    },
    () => { // 0xd l.extws / l.extwz
      op2Is(0);
      c.get(INSN).i32(6).op(Op.i32_shr_u).i32(3).op(Op.i32_and).i32(1).op(Op.i32_gt_u).brIf('sys');
      e.setD(a);
    },
    () => { op2Is(0); e.setD(() => c.get(A).get(B).get(F).op(Op.select)); }, // 0xe l.cmov
    () => emitFindBit(e), // 0xf l.ff1 / l.fl1
  ];
  for (let i = 0; i < 16; i++) {
    c.end(); // a<i>
    cases[i]!();
    c.br('alu');
  }
  c.end(); // alu
}

const SPR_SR = 0x11;
/** The exception SPRs, which live in CPU_WORDS (read and written as they are, like getSpr/setSpr). */
const WORD_SPRS: ReadonlyArray<[number, number]> = [[0x20, CPU_WORDS.EPCR], [0x30, CPU_WORDS.EEAR], [0x40, CPU_WORDS.ESR], [0x0b, CPU_WORDS.EVBAR]];

/** l.ff1 / l.fl1 of A (op2 0 / 1; others to `sys`): the 1-based index of the lowest / highest set bit, 0 for none. */
function emitFindBit(e: InterpEmitter): void {
  const c = e.c;
  c.get(INSN).i32(8).op(Op.i32_shr_u).i32(3).op(Op.i32_and).tee(T).i32(1).op(Op.i32_gt_u).brIf('sys');
  e.setD(() => {
    c.i32(32).get(A).op(Op.i32_clz).op(Op.i32_sub);
    c.get(A).op(Op.i32_ctz).i32(1).op(Op.i32_add).i32(0).get(A).op(Op.select);
    c.get(T).op(Op.select);
  });
}

/** Pushes the address of shadow GPR VA (0..511; below 32 the live GPRs). */
function shadowAddr(e: InterpEmitter): void {
  const { c, layout } = e;
  c.get(VA).i32(2).op(Op.i32_shl).i32(layout.gpr).i32(layout.shadow).get(VA).i32(32).op(Op.i32_lt_u).op(Op.select).op(Op.i32_add);
}

/** T <- the SPR number of l.mfspr (rA | K) or l.mtspr (rA | split K); user mode goes to `sys` (illegal). */
function sprNumber(e: InterpEmitter, imm: () => void): void {
  const c = e.c;
  c.get(SRB).i32(1).op(Op.i32_and).op(Op.i32_eqz).brIf('sys');
  e.ra();
  imm();
  c.op(Op.i32_or).i32(0xffff).op(Op.i32_and).set(T);
}

/** l.mfspr of SR, EPCR, EEAR, ESR, EVBAR, D/IMMUCFGR, COREID, NUMCORES or a shadow GPR (cpu.ts getSpr); other SPRs go to `sys`. */
function emitMfspr(e: InterpEmitter): void {
  const { c } = e;
  c.block('mf');
  sprNumber(e, () => e.uimm());
  c.get(T).i32(0x11).op(Op.i32_eq).if_();
  e.setD(() => e.pushSr());
  c.br('mf').end();
  for (const [spr, w] of WORD_SPRS) {
    c.get(T).i32(spr).op(Op.i32_eq).if_();
    e.setD(() => c.i32(0).mem(Op.i32_load, e.cpuWord(w)));
    c.br('mf').end();
  }
  // COREID 0 and NUMCORES 1 (one CPU): an SMP kernel's smp_processor_id() reads COREID all the time.
  c.get(T).i32(0x80).op(Op.i32_sub).i32(2).op(Op.i32_lt_u).if_();
  e.setD(() => c.get(T).i32(0x80).op(Op.i32_sub));
  c.br('mf').end();
  c.get(T).i32(3).op(Op.i32_eq).get(T).i32(4).op(Op.i32_eq).op(Op.i32_or).if_(); // DMMUCFGR, IMMUCFGR
  e.setD(() => c.i32(0).mem(Op.i32_load, e.cpuWord(CPU_WORDS.MMUCFGR)));
  c.br('mf').end();
  c.get(T).i32(0x400).op(Op.i32_sub).tee(VA).i32(0x200).op(Op.i32_ge_u).brIf('sys');
  e.setD(() => {
    shadowAddr(e);
    c.mem(Op.i32_load);
  });
  c.end();
}

/**
 * l.mtspr of a shadow GPR, of the TLBs (interp-mmu.ts mtsprTlb), or of an
 * SPR group whose writes setSpr ignores (3 and 4: the caches' flush
 * registers, 6, 7, 11..31); others go to `sys`.
 */
function emitMtspr(e: InterpEmitter, imeLeave?: string): void {
  const c = e.c;
  c.block('mt').block('mti').block('mtd').block('mtsh');
  sprNumber(e, () => e.storeImm16());
  const groups = Array.from({ length: 32 }, (_, g) => (g === 0 ? 'mtsh' : g === 1 ? 'mtd' : g === 2 ? 'mti' : [5, 8, 9, 10].includes(g) ? 'sys' : 'mt'));
  c.get(T).i32(11).op(Op.i32_shr_u).brTable(groups, 'sys');
  c.end(); // mtsh
  if (e.onMiss !== null) {
    // SR, in the interpreter only (translated code keeps its tables: `s` sends it to JavaScript).
    c.get(T).i32(SPR_SR).op(Op.i32_eq).if_();
    e.rb();
    c.set(X);
    setSr(e);
    e.fenceNext();
    c.br('mt');
    c.end();
  }
  for (const [spr, w] of WORD_SPRS) {
    c.get(T).i32(spr).op(Op.i32_eq).if_();
    c.i32(0);
    e.rb();
    c.mem(Op.i32_store, e.cpuWord(w)).br('mt');
    c.end();
  }
  c.get(T).i32(0x400).op(Op.i32_sub).tee(VA).i32(0x200).op(Op.i32_ge_u).brIf('sys');
  shadowAddr(e);
  e.rb();
  c.mem(Op.i32_store);
  c.br('mt');
  c.end(); // mtd
  e.rb();
  c.set(Y);
  mtsprTlb(e, 1);
  c.end(); // mti
  e.rb();
  c.set(Y);
  mtsprTlb(e, 2, imeLeave);
  c.end(); // mt
}

/** l.lwa with a fast, aligned read entry (in the interpreter after a TLB walk on a miss; else `sys`): the load and the reservation. */
function emitLwa(e: InterpEmitter): void {
  const { c } = e;
  const w = (i: number): number => e.cpuWord(i);
  e.entry(() => e.simm(), RTB);
  e.miss(4, 'read');
  e.fastOk(4);
  c.op(Op.i32_eqz).brIf('sys');
  e.hostAddr(4);
  c.mem(Op.i32_load).set(T);
  e.setD(() => void c.get(T));
  c.i32(0).i32(1).mem(Op.i32_store, w(CPU_WORDS.RES_VALID));
  c.i32(0).get(VA).mem(Op.i32_store, w(CPU_WORDS.RES_ADDR));
  c.i32(0).get(T).mem(Op.i32_store, w(CPU_WORDS.RES_VALUE));
}

/**
 * l.swa: stores only if the reservation holds this address and the word
 * still has the reserved value (no access at all otherwise, like QEMU);
 * F = stored. A reserved address without fast read and write entries
 * (in the interpreter, after TLB walks on a miss) goes to `sys`.
 */
function emitSwa(e: InterpEmitter): void {
  const { c } = e;
  const w = (i: number): number => e.cpuWord(i);
  e.ra();
  e.storeImm();
  c.op(Op.i32_add).set(VA);
  c.i32(0).mem(Op.i32_load, w(CPU_WORDS.RES_VALID)).i32(0).mem(Op.i32_load, w(CPU_WORDS.RES_ADDR)).get(VA).op(Op.i32_eq).op(Op.i32_and).if_();
  {
    // The entries, after a TLB walk on a miss in the interpreter (as for l.sw and l.lwz).
    const page = (tb: number): void => void c.get(VA).i32(13).op(Op.i32_shr_u).i32(2).op(Op.i32_shl).get(tb).op(Op.i32_add).mem(Op.i32_load);
    page(WTB);
    c.set(E);
    e.miss(4, 'write');
    c.get(E).set(A);
    page(RTB);
    c.set(E);
    e.miss(4, 'read');
    c.get(E).get(A).op(Op.i32_and).i32(1).op(Op.i32_and).get(VA).i32(3).op(Op.i32_and).op(Op.i32_eqz).op(Op.i32_and).op(Op.i32_eqz).brIf('sys');
    e.hostAddr(4);
    c.mem(Op.i32_load).i32(0).mem(Op.i32_load, w(CPU_WORDS.RES_VALUE)).op(Op.i32_eq).tee(F).if_();
    c.get(A).i32(1).op(Op.i32_xor).get(VA).i32(0x1fff).op(Op.i32_and).op(Op.i32_or);
    e.rb();
    c.mem(Op.i32_store);
    c.end();
  }
  c.else_().i32(0).set(F).end();
  c.i32(0).i32(0).mem(Op.i32_store, w(CPU_WORDS.RES_VALID));
}

/** Builds the interpreter module for this memory layout. */
export function buildInterp(layout: InterpLayout): Uint8Array {
  const e = new InterpEmitter(layout, true);
  e.onMiss = (kind) => tlbWalk(e, kind);
  const c = e.c;
  for (const [l, w] of [[FENCE, CPU_WORDS.FENCE], [FPD, CPU_WORDS.FPD], [NB, CPU_WORDS.NB], [JF, CPU_WORDS.JF], [TGT, CPU_WORDS.TGT], [FV, CPU_WORDS.FV]] as const) {
    c.keepInMemory(l, e.cpuWord(w), SCRATCH);
  }
  const st = (w: number): number => layout.state + 4 * w;
  const stateFlags = (): void => void c.i32(0).mem(Op.i32_load, st(STATE.FLAGS));
  // Prologue: flags into locals, no fetch page yet, no jump pending, a
  // fence at once (it sets the fetch page and the next fence), count 0.
  e.unpackFlags(() => void c.get(FLAGS));
  c.i32(-1).set(FV).i32(1).set(JF).get(PC).set(FENCE);
  e.rebase(() => void c.i32(0));
  c.i32(0).i32(0).mem(Op.i32_store, st(STATE.CHAIN));
  c.i32(0).get(SRB).mem(Op.i32_store, st(STATE.SR)); // for `s`, when translated code runs from here

  /**
   * Go on at the state words' NPC and FLAGS (after translated code ran),
   * A instructions retired so far; with `resume` (a slow path's way out
   * with RESUME set) also with the new SR and tables.
   */
  const reenter = (resume: boolean): void => {
    if (resume) {
      c.i32(0).i32(0).mem(Op.i32_store, st(STATE.RESUME));
      c.i32(0).mem(Op.i32_load, st(STATE.SR)).set(SRB);
      c.i32(0).mem(Op.i32_load, st(STATE.RTB)).set(RTB);
      c.i32(0).mem(Op.i32_load, st(STATE.WTB)).set(WTB);
      c.i32(0).mem(Op.i32_load, st(STATE.XTB)).set(XTB);
    }
    c.i32(0).i32(0).mem(Op.i32_store, st(STATE.CHAIN));
    c.i32(0).mem(Op.i32_load, st(STATE.NPC)).set(PC);
    e.unpackFlags(stateFlags);
    e.rebase(() => void c.get(A));
    c.i32(1).set(JF).i32(-1).set(FV).get(PC).set(FENCE);
    c.br('top');
  };

  c.block('bail').block('exit').loop('top').block('slow').block('exc');
  // The fence: everything but running straight on, once per jump, fetch
  // page or budget end rather than once per instruction.
  c.block('go');
  c.get(PC).get(FENCE).op(Op.i32_ne).brIf('go');
  c.get(JF).get(PC).op(Op.i32_eq).if_();
  {
    // A delay slot retired: on at TGT, which starts a block. Leave at
    // translated code or a start that just got hot; count the visit
    // otherwise. A start on a page without an execute entry yet is not
    // counted (the fetch refills the entry, or takes the ITLB miss).
    e.retired();
    c.set(A);
    c.get(TGT).set(PC).i32(1).set(JF);
    e.rebase(() => void c.get(A));
    c.get(PC).i32(3).op(Op.i32_and).brIf('exit');
    c.get(PC).i32(13).op(Op.i32_shr_u).i32(2).op(Op.i32_shl).get(XTB).op(Op.i32_add).mem(Op.i32_load).tee(E);
    c.i32(1).op(Op.i32_and).if_();
    c.get(E).i32(1).op(Op.i32_xor).get(PC).i32(0x1fff).op(Op.i32_and).op(Op.i32_or).set(VA);
    c.get(VA).i32(5).op(Op.i32_shr_u).mem(Op.i32_load8_u, layout.blockBits);
    c.get(VA).i32(2).op(Op.i32_shr_u).i32(7).op(Op.i32_and).op(Op.i32_shr_u).i32(1).op(Op.i32_and).if_();
    {
      // Translated code starts here: run it through the chain, then go on
      // at its NPC, or return if a slow path asked to leave (state words
      // as the chain left them; the count is ours plus its).
      c.get(PC).get(LIM).get(A).op(Op.i32_sub);
      e.pushFlags();
      c.get(RTB).get(WTB).get(XTB).get(A).call(CHAIN_CALL).get(A).op(Op.i32_add).set(A);
      c.i32(0).mem(Op.i32_load, st(STATE.STOP)).if_();
      c.i32(0).mem(Op.i32_load, st(STATE.RESUME)).if_();
      reenter(true);
      c.end();
      c.i32(0).i32(0).mem(Op.i32_store, st(STATE.DS));
      c.get(A).op(Op.return);
      c.end();
      reenter(false);
    }
    c.end();
    c.get(VA).i32(2).op(Op.i32_shr_u).i32(layout.heatMask).op(Op.i32_and).i32(1).op(Op.i32_shl).tee(VA);
    c.mem(Op.i32_load16_u, layout.heat).tee(T).get(HOT).op(Op.i32_lt_u).if_();
    c.get(VA).get(T).i32(1).op(Op.i32_add).mem(Op.i32_store16, layout.heat);
    c.else_();
    c.get(T).i32(layout.never).op(Op.i32_ne).brIf('exit');
    c.end();
    c.end();
  }
  c.end();
  // The budget: T <- instructions left.
  c.get(LIM);
  e.retired();
  c.op(Op.i32_sub).tee(T).i32(0).op(Op.i32_le_s).brIf('exit');
  // The fetch page; a page without an execute entry is refilled by cpu.ts
  // (a TLB walk, or the exception it takes).
  c.get(PC).i32(13).op(Op.i32_shr_u).get(FV).op(Op.i32_ne).if_();
  c.get(PC).i32(13).op(Op.i32_shr_u).i32(2).op(Op.i32_shl).get(XTB).op(Op.i32_add).mem(Op.i32_load).tee(E);
  c.i32(1).op(Op.i32_and).op(Op.i32_eqz).if_();
  c.get(PC).set(VA);
  tlbWalk(e, 'exec');
  c.get(E).i32(1).op(Op.i32_and).op(Op.i32_eqz).if_();
  c.get(PC);
  e.ds();
  c.op(Op.i32_or);
  e.retired();
  c.get(F).get(CY).get(OV).call(FETCH_CALL).tee(E);
  c.op(Op.i32_eqz).brIf('exit');
  c.get(E).i32(0).op(Op.i32_lt_s).brIf('slow');
  c.end();
  c.end();
  c.get(PC).i32(13).op(Op.i32_shr_u).set(FV);
  c.get(E).i32(1).op(Op.i32_xor).get(PC).i32(~0x1fff).op(Op.i32_and).op(Op.i32_sub).set(FPD);
  c.end();
  // The next fence: the page end, the budget's end or the end of a
  // pending jump's delay slot (then the instruction at PC), whichever first.
  c.i32(0x2000).get(PC).i32(0x1fff).op(Op.i32_and).op(Op.i32_sub).set(X);
  c.get(T).i32(2).op(Op.i32_shl).get(X).get(T).i32(0x800).op(Op.i32_lt_u).get(T).i32(2).op(Op.i32_shl).get(X).op(Op.i32_lt_u).op(Op.i32_and).op(Op.select).set(X);
  c.get(X).i32(4).get(JF).i32(1).op(Op.i32_and).op(Op.select);
  c.get(PC).op(Op.i32_add).set(FENCE);
  c.end(); // go
  c.get(PC).get(FPD).op(Op.i32_add).mem(Op.i32_load).set(INSN);

  c.block('done').block('sys');
  const opNames: string[] = new Array<string>(64).fill('sys');
  /**
   * A branch: TGT <- what `target` pushes, after the delay slot (a branch
   * in a delay slot is JavaScript's). The fence moves to its end unless it
   * comes first.
   */
  const jump = (target: () => void, link = false): void => {
    e.ds();
    c.brIf('sys');
    target();
    c.set(TGT);
    if (link) e.setReg(9, () => c.get(PC).i32(8).op(Op.i32_add));
    c.get(PC).i32(8).op(Op.i32_add).set(JF);
    c.get(JF).get(FENCE).get(FENCE).get(PC).op(Op.i32_sub).i32(8).op(Op.i32_ge_u).op(Op.select).set(FENCE);
  };
  const inline: Record<number, () => void> = {
    0x00: () => jump(() => e.branchTarget()), // l.j
    0x01: () => jump(() => e.branchTarget(), true), // l.jal
    0x02: () => e.setD(() => { // l.adrp
      c.get(PC).i32(~0x1fff).op(Op.i32_and).get(INSN).i32(11).op(Op.i32_shl).i32(11).op(Op.i32_shr_s).i32(13).op(Op.i32_shl).op(Op.i32_add);
    }),
    0x03: () => jump(() => { // l.bnf: F ? pc + 8 : target
      c.get(PC).i32(8).op(Op.i32_add); e.branchTarget(); c.get(F).op(Op.select);
    }),
    0x04: () => jump(() => { // l.bf: F ? target : pc + 8
      e.branchTarget(); c.get(PC).i32(8).op(Op.i32_add).get(F).op(Op.select);
    }),
    0x05: () => { // l.nop: plain only (bits 24..25 = 01; K 1 and 4 are simulator hooks)
      c.get(INSN).i32(0x03000000).op(Op.i32_and).i32(0x01000000).op(Op.i32_ne).brIf('sys');
      c.get(INSN).i32(0xffff).op(Op.i32_and).tee(T).i32(1).op(Op.i32_eq).get(T).i32(4).op(Op.i32_eq).op(Op.i32_or).brIf('sys');
    },
    0x06: () => { // l.movhi (l.macrc: sys)
      c.get(INSN).i32(0x10000).op(Op.i32_and).brIf('sys');
      e.setD(() => c.get(INSN).i32(16).op(Op.i32_shl));
    },
    0x08: () => emitSys(e), // l.sys, syncs
    0x09: () => { // l.rfe: retired, on at EPCR (or to `sys`, see interp-mmu.ts)
      returnFromException(e, TGT);
      e.retired();
      c.i32(1).op(Op.i32_add).set(A);
      c.get(TGT).set(PC);
      e.rebase(() => void c.get(A));
      c.get(PC).set(FENCE);
      c.br('top');
    },
    0x11: () => jump(() => e.rb()), // l.jr
    0x12: () => jump(() => e.rb(), true), // l.jalr: the target is read before the link is written
    0x21: () => e.load(4, false), 0x22: () => e.load(4, false),
    0x23: () => e.load(1, false), 0x24: () => e.load(1, true),
    0x25: () => e.load(2, false), 0x26: () => e.load(2, true),
    0x27: () => { // l.addi
      e.ra(); c.set(A);
      c.get(A); e.simm(); c.op(Op.i32_add).set(T);
      c.get(T).get(A).op(Op.i32_lt_u).set(CY);
      e.addOverflow(() => e.simm());
      e.setD(() => void c.get(T));
    },
    0x28: () => { // l.addic
      e.ra(); c.set(A);
      c.get(A); e.simm(); c.op(Op.i32_add).get(CY).op(Op.i32_add).set(T);
      e.carry64(() => e.simm());
      e.addOverflow(() => e.simm());
      e.setD(() => void c.get(T));
    },
    0x29: () => e.setD(() => { e.ra(); e.uimm(); c.op(Op.i32_and); }),
    0x2a: () => e.setD(() => { e.ra(); e.uimm(); c.op(Op.i32_or); }),
    0x2b: () => e.setD(() => { e.ra(); e.simm(); c.op(Op.i32_xor); }),
    0x2c: () => { // l.muli
      e.ra(); c.set(A);
      e.mul64(() => e.simm(), true);
      c.get(P64).get(T).op(Op.i64_extend_i32_s).op(Op.i64_ne).set(OV);
      e.setD(() => void c.get(T));
    },
    0x2e: () => { // l.slli / l.srli / l.srai / l.rori
      c.block('shi');
      c.block('rori').block('srai').block('srli').block('slli');
      c.get(INSN).i32(6).op(Op.i32_shr_u).i32(3).op(Op.i32_and).brTable(['slli', 'srli', 'srai', 'rori'], 'rori');
      const sh = (o: number): void => e.setD(() => { e.ra(); c.get(INSN).i32(31).op(Op.i32_and).op(o); });
      c.end(); sh(Op.i32_shl); c.br('shi');
      c.end(); sh(Op.i32_shr_u); c.br('shi');
      c.end(); sh(Op.i32_shr_s); c.br('shi');
      c.end(); sh(Op.i32_rotr);
      c.end();
    },
    0x2f: () => e.setFlag(() => e.simm()), // l.sf*i
    0x2d: () => emitMfspr(e), 0x30: () => emitMtspr(e),
    0x1b: () => emitLwa(e), 0x33: () => emitSwa(e),
    0x35: () => e.store(4), 0x36: () => e.store(1), 0x37: () => e.store(2),
    0x38: () => emitAlu(e),
    0x39: () => e.setFlag(() => e.rb()), // l.sf*
  };
  const ops = Object.keys(inline).map(Number).sort((x, y) => x - y);
  for (const op of ops) opNames[op] = `o${op}`;
  for (let i = ops.length - 1; i >= 0; i--) c.block(`o${ops[i]}`);
  c.get(INSN).i32(26).op(Op.i32_shr_u).brTable(opNames, 'sys');
  for (const op of ops) {
    c.end(); // o<op>
    inline[op]!();
    c.br('done');
  }
  c.end(); // sys: the JavaScript interpreter runs it (never in a delay slot)
  e.ds();
  c.brIf('exit');
  c.get(PC);
  e.retired();
  c.get(F).get(CY).get(OV).get(INSN).call(SYS_CALL).brIf('slow');
  e.unpackFlags(stateFlags);
  c.end(); // done: retired
  c.i32(0).i32(0).mem(Op.i32_store, layout.gpr);
  c.get(PC).i32(4).op(Op.i32_add).set(PC);
  c.br('top');
  c.end(); // exc: a TLB miss or l.sys (interp-mmu.ts), not retired
  e.retired();
  c.set(A);
  exceptionEntry(e);
  e.rebase(() => void c.get(A));
  c.get(PC).set(FENCE);
  c.br('top');
  c.end(); // slow: a slow path's way out (our count is its RETIRED)
  c.i32(0).mem(Op.i32_load, st(STATE.RETIRED)).set(A);
  c.i32(0).mem(Op.i32_load, st(STATE.RESUME)).if_();
  reenter(true);
  c.end();
  c.br('bail');
  c.end(); // loop top
  c.end(); // exit
  e.setState(STATE.NPC, () => void c.get(PC));
  e.setState(STATE.FLAGS, () => e.pushFlags());
  e.setState(STATE.DS, () => e.ds());
  e.setState(STATE.TARGET, () => void c.get(TGT));
  e.setState(STATE.FLT, () => void c.i32(0));
  e.setState(STATE.STOP, () => void c.i32(0));
  e.retired();
  c.op(Op.return);
  c.end(); // bail: a slow path filled the state words (never inside a delay slot)
  c.i32(0).i32(0).mem(Op.i32_store, st(STATE.DS));
  c.i32(0).mem(Op.i32_load, st(STATE.RETIRED));
  return buildModule({
    imports: INTERP_IMPORTS, type: INTERP_FN, locals: { i32: I32_LOCALS, i64: 1 }, body: c, memoryPages: layout.memPages,
    more: [{ name: 's', type: SYS_FN, locals: { i32: I32_LOCALS + INTERP_FN.params.length - SYS_FN.params.length, i64: 1 }, body: buildSys(layout) }],
  });
}

const SYS_FN = IMPORTS[SYS_CALL]!.type;

/**
 * `s(pc, retired, f, cy, ov, insn) -> leave`, the `sys` of translated code
 * (translate.ts): l.mfspr and l.mtspr that the interpreter does inline,
 * l.lwa/l.swa, l.ff1/l.fl1 are done here, without leaving WebAssembly (the
 * kernel's TLB-miss handlers, once translated, run ~1 M of them per boot).
 * l.rfe, SR writes and ITLB writes with the IMMU on change what the page
 * function runs on: done here too, they leave it with the state in the
 * state words (FLT = 2, RESUME for the interpreter). Anything else goes to
 * the CPU's jitSys. Its locals are numbered as the interpreter's
 * (parameters copied in), so the same emitters serve.
 */
function buildSys(layout: InterpLayout): Code {
  const e = new InterpEmitter(layout);
  const c = e.c;
  // Parameters 0..5: PC (same index), retired, f, cy, ov, insn.
  c.get(5).set(INSN).get(2).set(F).get(3).set(CY).get(4).set(OV);
  c.i32(0).mem(Op.i32_load, layout.state + 4 * STATE.SR).set(SRB);
  c.block('sys').block('ok').block('leave').block('next');
  c.get(INSN).i32(26).op(Op.i32_shr_u).tee(T).i32(0x2d).op(Op.i32_eq).if_();
  emitMfspr(e);
  c.br('ok').end();
  c.get(T).i32(0x30).op(Op.i32_eq).if_();
  // An SR write changes the tables the page function runs on: it leaves, and
  // whoever called it goes on at the next instruction.
  sprNumber(e, () => e.storeImm16());
  c.get(T).i32(SPR_SR).op(Op.i32_eq).if_();
  e.rb();
  c.set(X);
  setSr(e);
  c.br('next');
  c.end();
  emitMtspr(e, 'next');
  c.br('ok').end();
  c.get(T).i32(0x1b).op(Op.i32_eq).get(T).i32(0x33).op(Op.i32_eq).op(Op.i32_or).if_();
  // l.lwa / l.swa, with the tables of the current SR.
  tablesFromSr(e);
  c.get(T).i32(0x1b).op(Op.i32_eq).if_();
  emitLwa(e);
  c.else_();
  emitSwa(e);
  c.end();
  c.br('ok').end();
  c.get(T).i32(0x38).op(Op.i32_eq).get(INSN).i32(0xf).op(Op.i32_and).i32(0xf).op(Op.i32_eq).op(Op.i32_and).if_();
  e.ra();
  c.set(A);
  emitFindBit(e);
  c.br('ok').end();
  c.get(T).i32(0x09).op(Op.i32_eq).if_();
  returnFromException(e, TGT);
  c.br('leave');
  c.end();
  c.br('sys');
  c.end(); // next: on at the next instruction
  c.get(PC).i32(4).op(Op.i32_add).set(TGT);
  c.end(); // leave: retired, SR or the ITLB changed, on at TGT: a slow path's way out with
  // the state in the state words (FLT = 2, cpu.ts wasmReturned) and RESUME for the interpreter.
  tablesFromSr(e);
  e.setState(STATE.FLT, () => void c.i32(2));
  e.setState(STATE.STOP, () => void c.i32(1));
  e.setState(STATE.RESUME, () => void c.i32(1));
  e.setState(STATE.RETIRED, () => void c.get(1).i32(1).op(Op.i32_add));
  e.setState(STATE.NPC, () => void c.get(TGT));
  e.setState(STATE.FLAGS, () => e.pushFlags());
  for (const [w, l] of [[STATE.RTB, RTB], [STATE.WTB, WTB], [STATE.XTB, XTB]] as const) e.setState(w, () => void c.get(l));
  c.i32(1).op(Op.return);
  c.end(); // ok: retired; r0 stays zero, the flags go back through FLAGS
  c.i32(0).i32(0).mem(Op.i32_store, layout.gpr);
  c.i32(0);
  e.pushFlags();
  c.mem(Op.i32_store, layout.state + 4 * STATE.FLAGS);
  c.i32(0).op(Op.return);
  c.end(); // sys
  c.get(PC).get(1).get(F).get(CY).get(OV).get(INSN).call(SYS_CALL);
  return c;
}
