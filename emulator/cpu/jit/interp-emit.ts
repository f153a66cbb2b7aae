/**
 * The WebAssembly interpreter's building blocks (interp.ts, interp-mmu.ts):
 * its memory layout, imports, locals, and the emitter of the operand,
 * memory-access and flag patterns its instructions share.
 */
import { Code, I32, Op, type FuncType } from './wasm.ts';
import { CHAIN_FN } from './chain.ts';
import { IMPORTS, type Layout } from './translate.ts';

/** Int32 indexes of the CPU words the interpreter shares with cpu.ts (`Layout.cpuWords`). */
export const CPU_WORDS = {
  RES_VALID: 0, RES_ADDR: 1, RES_VALUE: 2, EEAR: 3, MMUCFGR: 4,
  ESR: 5, EPCR: 6, EVBAR: 7, PMR: 8, PICMR: 9, PICSR: 10, TTMR: 11, EXC_COUNT: 12, LAST_VECTOR: 13, LAST_EEAR: 14,
  /** 1 with cpu.linuxUserMode (l.sys and exceptions stop the CPU instead). */
  USER_MODE: 15,
  /** The interpreter's rarely changing loop state (interp.ts), kept here rather than in locals. */
  FENCE: 16, FPD: 17, NB: 18, JF: 19, TGT: 20, FV: 21,
  COUNT: 22,
} as const;

/** The MMU's state in the arena (byte addresses; emulator/cpu/mmu.ts). */
export interface MmuLayout {
  /** DTLBW0MR, DTLBW0TR, ITLBW0MR, ITLBW0TR: 128 words each. */
  dtlbMr: number;
  dtlbTr: number;
  itlbMr: number;
  itlbTr: number;
  /** The host tables of the MMUs off (loads and fetches; stores). */
  identity: number;
  identityWrite: number;
  /** The six MMU-on tables, in TABLE order (supervisor/user read, write; supervisor/user execute). */
  tables: number[];
  /** Ram.watch: one byte per page, non-zero for pages holding translated code. */
  watch: number;
  ramSize: number;
}

/** What the CPU itself places in the arena for the interpreter. */
export interface CpuLayout extends Layout {
  /** Byte address of the shadow GPRs (16 sets x 32; set 0 unused: it is the GPRs). */
  shadow: number;
  /** Byte address of the CPU_WORDS. */
  cpuWords: number;
  mmu: MmuLayout;
}

export interface InterpLayout extends CpuLayout {
  /** Byte address of the code cache's heat table (Uint16 per entry, HEAT_SIZE entries). */
  heat: number;
  /** Byte address of the code cache's block bits (one bit per RAM word). */
  blockBits: number;
  /** HEAT_SIZE - 1. */
  heatMask: number;
  /** The heat mark of a start that is never translated. */
  never: number;
}

export type InterpFn = (pc: number, lim: number, flags: number, rtb: number, wtb: number, xtb: number, hot: number, sr: number) => number;

export const INTERP_FN: FuncType = { params: [I32, I32, I32, I32, I32, I32, I32, I32], results: [I32] };

export const LD = 0;
export const ST = 1;
export const SYS_CALL = 2;
/**
 * The interpreter's imports: the slow paths, the chain (chain.ts) for
 * translated code, and `fx(pc | ds, retired, f, cy, ov) -> entry`: the
 * execute-table refill of cpu.ts (fetchSlow; 0: not RAM, go back to
 * JavaScript; -1: an exception was taken, state words as for a slow path).
 */
export const INTERP_IMPORTS = [...IMPORTS, { name: 'chain', type: CHAIN_FN }, { name: 'fx', type: { params: [I32, I32, I32, I32, I32], results: [I32] } }];
export const CHAIN_CALL = 3;
export const FETCH_CALL = 4;

// Parameters, then locals (i32), then one i64.
export const PC = 0, LIM = 1, FLAGS = 2, RTB = 3, WTB = 4, XTB = 5, HOT = 6, SRB = 7;
/**
 * The interpreter's loop state (interp.ts): PC is the instruction about to
 * run. Only PC changes on every instruction; the rest changes at a fence:
 * - FENCE: the pc at which the loop leaves its straight path (the end of
 *   the fetch page, of the budget, or of a branch's delay slot);
 * - NB: the count base, retired = NB + (PC >>> 2) (rebased at every jump);
 * - JF: a branch's pc + 8 while its jump to TGT is pending (odd: none), so
 *   the instruction at PC is a delay slot iff JF = PC + 4;
 * - FV, FPD: the virtual page fetched from (-1: none) and the distance to
 *   its host page (an instruction is at PC + FPD).
 * The interpreter keeps FENCE, FPD, NB, JF, TGT and FV in CPU words, not
 * in locals (Code.keepInMemory): as locals they were loop-carried values
 * that TurboFan stored to its stack on every trip round the loop. `s`
 * never runs in a delay slot.
 */
export const NB = 8, INSN = 9, FV = 10, FPD = 11, TGT = 12, JF = 13, VA = 14, E = 15, T = 16, A = 17, B = 18;
export const F = 19, CY = 20, OV = 21, X = 22, Y = 23, FENCE = 24, SCRATCH = 25;
export const P64 = 26;
export const I32_LOCALS = 18;

/** l.sf* / l.sf*i condition codes (bits 21..25) and their WebAssembly comparisons. */
export const SF_OPS: ReadonlyArray<[number, number]> = [
  [0x0, Op.i32_eq], [0x1, Op.i32_ne], [0x2, Op.i32_gt_u], [0x3, Op.i32_ge_u], [0x4, Op.i32_lt_u],
  [0x5, Op.i32_le_u], [0xa, Op.i32_gt_s], [0xb, Op.i32_ge_s], [0xc, Op.i32_lt_s], [0xd, Op.i32_le_s],
];

export class InterpEmitter {
  readonly c = new Code();
  /**
   * Emits what a load or store does after a miss in its host table (VA
   * aligned): interp-mmu.ts tlbWalk in the interpreter; null: nothing.
   */
  onMiss: ((kind: 'read' | 'write') => void) | null = null;
  /**
   * @param fenced true for the interpreter's loop (the delay slot and the
   *   count come from JF and NB), false for `s` (never in a delay slot).
   */
  constructor(readonly layout: InterpLayout, readonly fenced = false) {}

  /** Pushes 1 if the instruction at PC is a delay slot, else 0. */
  ds(): void {
    if (this.fenced) this.c.get(JF).get(PC).i32(4).op(Op.i32_add).op(Op.i32_eq);
    else this.c.i32(0);
  }
  /** Pushes the count of instructions retired before the one at PC (interpreter only). */
  retired(): void {
    this.c.get(NB).get(PC).i32(2).op(Op.i32_shr_u).op(Op.i32_add);
  }
  /** NB <- what `count` pushes minus PC's share: the count is `count` at PC (after PC moved). */
  rebase(count: () => void): void {
    count();
    this.c.get(PC).i32(2).op(Op.i32_shr_u).op(Op.i32_sub).set(NB);
  }
  /** The loop leaves its straight path after this instruction (a new SR or ITLB: refetch). */
  fenceNext(): void {
    if (this.fenced) this.c.get(PC).i32(4).op(Op.i32_add).set(FENCE);
  }

  /** Pushes the byte offset of the register in bits shift..shift+4 of INSN (reg * 4). */
  private regOff(shift: number): void {
    this.c.get(INSN).i32(shift - 2).op(Op.i32_shr_u).i32(0x7c).op(Op.i32_and);
  }
  /** Pushes rA (bits 16..20). */
  ra(): void {
    this.regOff(16);
    this.c.mem(Op.i32_load, this.layout.gpr);
  }
  /** Pushes rB (bits 11..15). */
  rb(): void {
    this.regOff(11);
    this.c.mem(Op.i32_load, this.layout.gpr);
  }
  /** rD (bits 21..25) <- what `value` pushes. r0 is re-zeroed after every instruction. */
  setD(value: () => void): void {
    this.regOff(21);
    value();
    this.c.mem(Op.i32_store, this.layout.gpr);
  }
  setReg(n: number, value: () => void): void {
    this.c.i32(0);
    value();
    this.c.mem(Op.i32_store, this.layout.gpr + 4 * n);
  }
  simm(): void {
    this.c.get(INSN).op(Op.i32_extend16_s);
  }
  uimm(): void {
    this.c.get(INSN).i32(0xffff).op(Op.i32_and);
  }
  /** The split 16-bit signed immediate of stores and l.mtspr. */
  storeImm(): void {
    this.c.get(INSN).i32(10).op(Op.i32_shr_u).i32(0xf800).op(Op.i32_and)
      .get(INSN).i32(0x7ff).op(Op.i32_and).op(Op.i32_or).op(Op.i32_extend16_s);
  }
  /** The split 16-bit immediate of l.mtspr, unsigned. */
  storeImm16(): void {
    this.c.get(INSN).i32(10).op(Op.i32_shr_u).i32(0xf800).op(Op.i32_and)
      .get(INSN).i32(0x7ff).op(Op.i32_and).op(Op.i32_or);
  }
  /** PC + the 26-bit branch displacement (words). */
  branchTarget(): void {
    this.c.get(PC).get(INSN).i32(6).op(Op.i32_shl).i32(4).op(Op.i32_shr_s).op(Op.i32_add);
  }
  /** F, CY, OV <- the packed flags (F | CY << 1 | OV << 2) that `packed` pushes. */
  unpackFlags(packed: () => void): void {
    packed();
    this.c.tee(T).i32(1).op(Op.i32_and).set(F);
    this.c.get(T).i32(1).op(Op.i32_shr_u).i32(1).op(Op.i32_and).set(CY);
    this.c.get(T).i32(2).op(Op.i32_shr_u).i32(1).op(Op.i32_and).set(OV);
  }
  pushFlags(): void {
    this.c.get(F).get(CY).i32(1).op(Op.i32_shl).op(Op.i32_or).get(OV).i32(2).op(Op.i32_shl).op(Op.i32_or);
  }
  /** Pushes the whole SR: SRB with F, CY and OV in bits 9..11 (cpu.ts `sr`). */
  pushSr(): void {
    this.c.get(SRB).get(F).i32(9).op(Op.i32_shl).op(Op.i32_or).get(CY).i32(10).op(Op.i32_shl).op(Op.i32_or)
      .get(OV).i32(11).op(Op.i32_shl).op(Op.i32_or);
  }
  /** Byte address of CPU word `i` (CPU_WORDS). */
  cpuWord(i: number): number {
    return this.layout.cpuWords + 4 * i;
  }

  /**
   * A slow path's call after its own arguments: pc | ds, retired before,
   * the flags and the pc after the instruction; a non-zero result leaves
   * through `bail` (the state words are filled).
   */
  private slowCall(fn: number): void {
    const c = this.c;
    c.get(PC);
    this.ds();
    c.op(Op.i32_or);
    this.retired();
    c.get(F).get(CY).get(OV);
    c.get(TGT).get(PC).i32(4).op(Op.i32_add);
    this.ds();
    c.op(Op.select);
    c.call(fn).brIf('slow');
  }

  /** VA <- rA + imm (pushed by `imm`); E <- the entry of VA's page in table `tb`. */
  entry(imm: () => void, tb: number): void {
    this.ra();
    imm();
    this.c.op(Op.i32_add).tee(VA).i32(13).op(Op.i32_shr_u).i32(2).op(Op.i32_shl)
      .get(tb).op(Op.i32_add).mem(Op.i32_load).set(E);
  }
  /** State word `w` (translate.ts STATE) <- what `value` pushes. */
  setState(w: number, value: () => void): void {
    this.c.i32(0);
    value();
    this.c.mem(Op.i32_store, this.layout.state + 4 * w);
  }
  /** A miss in the host table, VA aligned: the TLB walk (onMiss), which may fill E. */
  miss(size: number, kind: 'read' | 'write'): void {
    if (this.onMiss === null) return;
    const c = this.c;
    c.get(E).i32(1).op(Op.i32_and).op(Op.i32_eqz);
    if (size > 1) c.get(VA).i32(size - 1).op(Op.i32_and).op(Op.i32_eqz).op(Op.i32_and);
    c.if_();
    this.onMiss(kind);
    c.end();
  }
  fastOk(size: number): void {
    this.c.get(E).i32(1).op(Op.i32_and);
    if (size > 1) this.c.get(VA).i32(size - 1).op(Op.i32_and).op(Op.i32_eqz).op(Op.i32_and);
  }
  hostAddr(size: number): void {
    this.c.get(E).i32(1).op(Op.i32_xor).get(VA).i32(0x1fff).op(Op.i32_and).op(Op.i32_or);
    if (size === 1) this.c.i32(3).op(Op.i32_xor);
    else if (size === 2) this.c.i32(2).op(Op.i32_xor);
  }

  load(size: number, signed: boolean): void {
    const c = this.c;
    this.entry(() => this.simm(), RTB);
    this.miss(size, 'read');
    this.fastOk(size);
    c.if_();
    this.setD(() => {
      this.hostAddr(size);
      c.mem(size === 4 ? Op.i32_load : size === 2 ? Op.i32_load16_u : Op.i32_load8_u);
      if (signed && size === 1) c.op(Op.i32_extend8_s);
      if (signed && size === 2) c.op(Op.i32_extend16_s);
    });
    c.else_();
    // kind = size | 8 (sign-extend) | rD << 4
    c.get(VA).get(INSN).i32(17).op(Op.i32_shr_u).i32(0x1f0).op(Op.i32_and).i32(size | (signed ? 8 : 0)).op(Op.i32_or);
    this.slowCall(LD);
    c.end();
  }

  store(size: number): void {
    const c = this.c;
    this.entry(() => this.storeImm(), WTB);
    this.miss(size, 'write');
    this.fastOk(size);
    c.if_();
    this.hostAddr(size);
    this.rb();
    c.mem(size === 4 ? Op.i32_store : size === 2 ? Op.i32_store16 : Op.i32_store8);
    c.else_();
    c.get(VA).i32(size);
    this.rb();
    if (size < 4) c.i32(size === 1 ? 0xff : 0xffff).op(Op.i32_and);
    this.slowCall(ST);
    c.end();
  }

  /** CY <- carry out of A + (what y pushes) + CY. */
  carry64(y: () => void): void {
    const c = this.c;
    c.get(A).op(Op.i64_extend_i32_u);
    y();
    c.op(Op.i64_extend_i32_u).op(Op.i64_add).get(CY).op(Op.i64_extend_i32_u).op(Op.i64_add);
    c.byte(Op.i64_const);
    c.s32(32);
    c.op(Op.i64_shr_u).op(Op.i32_wrap_i64).set(CY);
  }
  /** OV <- signed overflow of T = A + y. */
  addOverflow(y: () => void): void {
    const c = this.c;
    c.get(A);
    y();
    c.op(Op.i32_xor).i32(-1).op(Op.i32_xor);
    c.get(A).get(T).op(Op.i32_xor).op(Op.i32_and).i32(31).op(Op.i32_shr_u).set(OV);
  }
  /** T <- low word of A * y (64-bit, signed or not), P64 <- the product. */
  mul64(y: () => void, signed: boolean): void {
    const ext = signed ? Op.i64_extend_i32_s : Op.i64_extend_i32_u;
    this.c.get(A).op(ext);
    y();
    this.c.op(ext).op(Op.i64_mul).set(P64).get(P64).op(Op.i32_wrap_i64).set(T);
  }

  /** F <- rA <cond> y, by the condition in bits 21..25; an undefined one goes to `sys`. */
  setFlag(y: () => void): void {
    const c = this.c;
    c.block('sf');
    const names: string[] = new Array<string>(32).fill('sfbad');
    c.block('sfbad');
    for (const [code] of SF_OPS) c.block(`sf${code}`);
    c.get(INSN).i32(21).op(Op.i32_shr_u).i32(31).op(Op.i32_and);
    for (const [code] of SF_OPS) names[code] = `sf${code}`;
    c.brTable(names, 'sfbad');
    for (let i = SF_OPS.length - 1; i >= 0; i--) {
      const [code, op] = SF_OPS[i]!;
      c.end(); // sf<code>
      void code;
      this.ra();
      y();
      c.op(op).set(F).br('sf');
    }
    c.end(); // sfbad
    c.br('sys');
    c.end(); // sf
  }
}
