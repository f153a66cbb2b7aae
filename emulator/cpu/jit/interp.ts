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
 * `f(pc, lim, flags, rtb, wtb, xtb, hot, sr) -> retired`, like a page function
 * (translate.ts) with the same state words on return and the same slow
 * paths (ld/st/sys, cpu.ts jitLoad/jitStore/jitSys):
 * - Runs at most `lim` instructions from `pc` (never in a delay slot on
 *   entry), with the flags packed as SR[F] | SR[CY] << 1 | SR[OV] << 2 and
 *   the current host translation tables for loads, stores and fetches;
 *   `hot` is the code cache's threshold, `sr` SR without F/CY/OV (it only
 *   changes through a slow path, which returns).
 * - Inline: what exec() runs in its hot loop (ALU, compares, loads, stores,
 *   branches, l.movhi, l.adrp, l.nop without a simulator hook) plus the
 *   rest of the register-register ALU (divisions, extensions, l.mulu), and
 *   what the kernel's TLB-miss handlers and atomics run most: l.mfspr of
 *   SR, EEAR and the shadow GPRs, l.mtspr of the shadow GPRs and of the
 *   cache and debug SPRs (no-ops here, as in setSpr), l.lwa and l.swa
 *   when their page has a fast entry.
 *   Anything else calls `sys`, which has the JavaScript interpreter execute
 *   that one instruction; in a delay slot it returns instead, and the
 *   dispatcher (cpu.ts execJit) has exec() run it.
 * - A fetch from a page without a valid execute-table entry returns with
 *   NPC = that pc (the dispatcher's exec() walks the TLB or takes the miss).
 * - Block starts (a branch's target, once its delay slot retired) are
 *   counted in the code cache's heat table, as exec() counts them; at a
 *   start that has translated code (blockBits) or just got hot, it returns
 *   so the dispatcher can run or make the translation.
 * - On return: NPC, FLAGS, DS (1: the instruction at NPC is a delay slot)
 *   and TARGET (where that delay slot goes) in the state words; FLT = 0.
 *   After a slow path's way out (an exception was taken, a jump, a reason
 *   to leave the run loop) the state is in the CPU's fields, FLT = 1, and
 *   the count is the RETIRED word, exactly as for translated code.
 * Only while SR[OVE] is clear (the dispatcher checks), so no range
 * exception can occur in inline code.
 */
import { Code, I32, Op, buildModule, type FuncType } from './wasm.ts';
import { CHAIN_FN } from './chain.ts';
import { IMPORTS, STATE, type Layout } from './translate.ts';

/** Int32 indexes of the CPU words the interpreter shares with cpu.ts (`Layout.cpuWords`). */
export const CPU_WORDS = { RES_VALID: 0, RES_ADDR: 1, RES_VALUE: 2, EEAR: 3, MMUCFGR: 4, COUNT: 5 } as const;

/** What the CPU itself places in the arena for the interpreter. */
export interface CpuLayout extends Layout {
  /** Byte address of the shadow GPRs (16 sets x 32; set 0 unused: it is the GPRs). */
  shadow: number;
  /** Byte address of the CPU_WORDS. */
  cpuWords: number;
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

const LD = 0;
const ST = 1;
const SYS_CALL = 2;
/**
 * The interpreter's imports: the slow paths, the chain (chain.ts) for
 * translated code, and `fx(pc | ds, retired, f, cy, ov) -> entry`: the
 * execute-table refill of cpu.ts (fetchSlow; 0: not RAM, go back to
 * JavaScript; -1: an exception was taken, state words as for a slow path).
 */
const INTERP_IMPORTS = [...IMPORTS, { name: 'chain', type: CHAIN_FN }, { name: 'fx', type: { params: [I32, I32, I32, I32, I32], results: [I32] } }];
const CHAIN_CALL = 3;
const FETCH_CALL = 4;

// Parameters, then locals (i32), then one i64.
const PC = 0, LIM = 1, FLAGS = 2, RTB = 3, WTB = 4, XTB = 5, HOT = 6, SRB = 7;
const N = 8, INSN = 9, FV = 10, FP = 11, DS = 12, TGT = 13, NDS = 14, VA = 15, E = 16, T = 17, A = 18, B = 19;
const F = 20, CY = 21, OV = 22;
const P64 = 23;
const I32_LOCALS = 15;

/** l.sf* / l.sf*i condition codes (bits 21..25) and their WebAssembly comparisons. */
const SF_OPS: ReadonlyArray<[number, number]> = [
  [0x0, Op.i32_eq], [0x1, Op.i32_ne], [0x2, Op.i32_gt_u], [0x3, Op.i32_ge_u], [0x4, Op.i32_lt_u],
  [0x5, Op.i32_le_u], [0xa, Op.i32_gt_s], [0xb, Op.i32_ge_s], [0xc, Op.i32_lt_s], [0xd, Op.i32_le_s],
];

class InterpEmitter {
  readonly c = new Code();
  constructor(readonly layout: InterpLayout) {}

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

  /**
   * A slow path's call after its own arguments: pc | ds, retired before,
   * the flags and the pc after the instruction; a non-zero result leaves
   * through `bail` (the state words are filled).
   */
  private slowCall(fn: number): void {
    const c = this.c;
    c.get(PC).get(DS).op(Op.i32_or).get(N).get(F).get(CY).get(OV);
    c.get(TGT).get(PC).i32(4).op(Op.i32_add).get(DS).op(Op.select);
    c.call(fn).brIf('slow');
  }

  /** VA <- rA + imm (pushed by `imm`); E <- the entry of VA's page in table `tb`. */
  entry(imm: () => void, tb: number): void {
    this.ra();
    imm();
    this.c.op(Op.i32_add).tee(VA).i32(13).op(Op.i32_shr_u).i32(2).op(Op.i32_shl)
      .get(tb).op(Op.i32_add).mem(Op.i32_load).set(E);
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
    () => void c.br('sys'), // 0xf l.ff1 / l.fl1: rare
  ];
  for (let i = 0; i < 16; i++) {
    c.end(); // a<i>
    cases[i]!();
    c.br('alu');
  }
  c.end(); // alu
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

/** l.mfspr of SR, EEAR, D/IMMUCFGR or a shadow GPR (cpu.ts getSpr); other SPRs go to `sys`. */
function emitMfspr(e: InterpEmitter): void {
  const { c, layout } = e;
  c.block('mf');
  sprNumber(e, () => e.uimm());
  c.get(T).i32(0x11).op(Op.i32_eq).if_();
  e.setD(() => {
    c.get(SRB).get(F).i32(9).op(Op.i32_shl).op(Op.i32_or).get(CY).i32(10).op(Op.i32_shl).op(Op.i32_or)
      .get(OV).i32(11).op(Op.i32_shl).op(Op.i32_or);
  });
  c.br('mf').end();
  c.get(T).i32(0x30).op(Op.i32_eq).if_();
  e.setD(() => c.i32(0).mem(Op.i32_load, layout.cpuWords + 4 * CPU_WORDS.EEAR));
  c.br('mf').end();
  c.get(T).i32(3).op(Op.i32_eq).get(T).i32(4).op(Op.i32_eq).op(Op.i32_or).if_(); // DMMUCFGR, IMMUCFGR
  e.setD(() => c.i32(0).mem(Op.i32_load, layout.cpuWords + 4 * CPU_WORDS.MMUCFGR));
  c.br('mf').end();
  c.get(T).i32(0x400).op(Op.i32_sub).tee(VA).i32(0x200).op(Op.i32_ge_u).brIf('sys');
  e.setD(() => {
    shadowAddr(e);
    c.mem(Op.i32_load);
  });
  c.end();
}

/**
 * l.mtspr of a shadow GPR, or of an SPR group whose writes setSpr ignores
 * (3 and 4: the caches' flush registers, 6, 7, 11..31); others go to `sys`.
 */
function emitMtspr(e: InterpEmitter): void {
  const c = e.c;
  c.block('mt').block('mtsh');
  sprNumber(e, () => e.storeImm16());
  const groups = Array.from({ length: 32 }, (_, g) => (g === 0 ? 'mtsh' : [1, 2, 5, 8, 9, 10].includes(g) ? 'sys' : 'mt'));
  c.get(T).i32(11).op(Op.i32_shr_u).brTable(groups, 'sys');
  c.end(); // mtsh
  c.get(T).i32(0x400).op(Op.i32_sub).tee(VA).i32(0x200).op(Op.i32_ge_u).brIf('sys');
  shadowAddr(e);
  e.rb();
  c.mem(Op.i32_store);
  c.end(); // mt
}

/** l.lwa with a fast, aligned read entry (else `sys`): the load and the reservation. */
function emitLwa(e: InterpEmitter): void {
  const { c, layout } = e;
  const w = (i: number): number => layout.cpuWords + 4 * i;
  e.entry(() => e.simm(), RTB);
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
 * goes to `sys`.
 */
function emitSwa(e: InterpEmitter): void {
  const { c, layout } = e;
  const w = (i: number): number => layout.cpuWords + 4 * i;
  e.ra();
  e.storeImm();
  c.op(Op.i32_add).set(VA);
  c.i32(0).mem(Op.i32_load, w(CPU_WORDS.RES_VALID)).i32(0).mem(Op.i32_load, w(CPU_WORDS.RES_ADDR)).get(VA).op(Op.i32_eq).op(Op.i32_and).if_();
  {
    const page = (tb: number): void => void c.get(VA).i32(13).op(Op.i32_shr_u).i32(2).op(Op.i32_shl).get(tb).op(Op.i32_add).mem(Op.i32_load);
    page(RTB);
    c.set(E);
    page(WTB);
    c.set(A);
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
  const e = new InterpEmitter(layout);
  const c = e.c;
  const st = (w: number): number => layout.state + 4 * w;
  const stateFlags = (): void => void c.i32(0).mem(Op.i32_load, st(STATE.FLAGS));
  // Prologue: flags into locals, no fetch page yet, no delay slot.
  e.unpackFlags(() => void c.get(FLAGS));
  c.i32(-1).set(FV);
  c.i32(0).i32(0).mem(Op.i32_store, st(STATE.CHAIN));
  c.i32(0).get(SRB).mem(Op.i32_store, st(STATE.SR)); // for `s`, when translated code runs from here

  /**
   * Go on at the state words' NPC and FLAGS (after translated code ran);
   * with `resume` (a slow path's way out with RESUME set) also with the
   * new SR and tables.
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
    c.i32(0).set(DS).i32(0).set(NDS).i32(-1).set(FV);
    c.br('top');
  };

  c.block('bail').block('exit').loop('top').block('slow');
  // The budget.
  c.get(N).get(LIM).op(Op.i32_ge_s).brIf('exit');
  // Fetch through the one-page cache; a page without an execute entry is
  // refilled by cpu.ts (a TLB walk, or the exception it takes).
  c.get(PC).i32(13).op(Op.i32_shr_u).tee(T).get(FV).op(Op.i32_ne).if_();
  c.get(T).i32(2).op(Op.i32_shl).get(XTB).op(Op.i32_add).mem(Op.i32_load).tee(E);
  c.i32(1).op(Op.i32_and).op(Op.i32_eqz).if_();
  c.get(PC).get(DS).op(Op.i32_or).get(N).get(F).get(CY).get(OV).call(FETCH_CALL).tee(E);
  c.op(Op.i32_eqz).brIf('exit');
  c.get(E).i32(0).op(Op.i32_lt_s).brIf('slow');
  c.end();
  c.get(PC).i32(13).op(Op.i32_shr_u).set(FV);
  c.get(E).i32(1).op(Op.i32_xor).set(FP);
  c.end();
  c.get(FP).get(PC).i32(0x1ffc).op(Op.i32_and).op(Op.i32_or).mem(Op.i32_load).set(INSN);
  c.i32(0).set(NDS);

  c.block('done').block('sys');
  const opNames: string[] = new Array<string>(64).fill('sys');
  const inline: Record<number, () => void> = {
    0x00: () => { e.branchTarget(); c.set(TGT).i32(1).set(NDS); }, // l.j
    0x01: () => { // l.jal
      e.setReg(9, () => c.get(PC).i32(8).op(Op.i32_add));
      e.branchTarget(); c.set(TGT).i32(1).set(NDS);
    },
    0x02: () => e.setD(() => { // l.adrp
      c.get(PC).i32(~0x1fff).op(Op.i32_and).get(INSN).i32(11).op(Op.i32_shl).i32(11).op(Op.i32_shr_s).i32(13).op(Op.i32_shl).op(Op.i32_add);
    }),
    0x03: () => { // l.bnf: F ? pc + 8 : target
      c.get(PC).i32(8).op(Op.i32_add); e.branchTarget(); c.get(F).op(Op.select).set(TGT).i32(1).set(NDS);
    },
    0x04: () => { // l.bf: F ? target : pc + 8
      e.branchTarget(); c.get(PC).i32(8).op(Op.i32_add).get(F).op(Op.select).set(TGT).i32(1).set(NDS);
    },
    0x05: () => { // l.nop: plain only (bits 24..25 = 01; K 1 and 4 are simulator hooks)
      c.get(INSN).i32(0x03000000).op(Op.i32_and).i32(0x01000000).op(Op.i32_ne).brIf('sys');
      c.get(INSN).i32(0xffff).op(Op.i32_and).tee(T).i32(1).op(Op.i32_eq).get(T).i32(4).op(Op.i32_eq).op(Op.i32_or).brIf('sys');
    },
    0x06: () => { // l.movhi (l.macrc: sys)
      c.get(INSN).i32(0x10000).op(Op.i32_and).brIf('sys');
      e.setD(() => c.get(INSN).i32(16).op(Op.i32_shl));
    },
    0x11: () => { e.rb(); c.set(TGT).i32(1).set(NDS); }, // l.jr
    0x12: () => { // l.jalr: the target is read before the link is written
      e.rb(); c.set(TGT).i32(1).set(NDS);
      e.setReg(9, () => c.get(PC).i32(8).op(Op.i32_add));
    },
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
  c.get(DS).brIf('exit');
  c.get(PC).get(N).get(F).get(CY).get(OV).get(INSN).call(SYS_CALL).brIf('slow');
  e.unpackFlags(stateFlags);
  c.end(); // done: retired
  c.i32(0).i32(0).mem(Op.i32_store, layout.gpr);
  c.get(N).i32(1).op(Op.i32_add).set(N);
  c.get(DS).if_();
  {
    c.get(TGT).set(PC);
    // A delay slot retired: PC starts a block. Leave at translated code or
    // a start that just got hot; count the visit otherwise.
    c.get(NDS).op(Op.i32_eqz).if_();
    c.get(PC).i32(13).op(Op.i32_shr_u).i32(2).op(Op.i32_shl).get(XTB).op(Op.i32_add).mem(Op.i32_load).tee(E);
    c.i32(1).op(Op.i32_and).op(Op.i32_eqz).get(PC).i32(3).op(Op.i32_and).op(Op.i32_or).if_();
    c.i32(0).set(DS).br('exit');
    c.end();
    c.get(E).i32(1).op(Op.i32_xor).get(PC).i32(0x1fff).op(Op.i32_and).op(Op.i32_or).set(VA);
    c.get(VA).i32(5).op(Op.i32_shr_u).mem(Op.i32_load8_u, layout.blockBits);
    c.get(VA).i32(2).op(Op.i32_shr_u).i32(7).op(Op.i32_and).op(Op.i32_shr_u).i32(1).op(Op.i32_and).if_();
    {
      // Translated code starts here: run it through the chain, then go on
      // at its NPC, or return if a slow path asked to leave (state words
      // as the chain left them; the count is ours plus its).
      c.get(PC).get(LIM).get(N).op(Op.i32_sub);
      e.pushFlags();
      c.get(RTB).get(WTB).get(XTB).get(N).call(CHAIN_CALL).tee(T).get(N).op(Op.i32_add).set(N);
      c.i32(0).mem(Op.i32_load, st(STATE.STOP)).if_();
      c.i32(0).mem(Op.i32_load, st(STATE.RESUME)).if_();
      reenter(true);
      c.end();
      c.i32(0).i32(0).mem(Op.i32_store, st(STATE.DS));
      c.get(N).op(Op.return);
      c.end();
      reenter(false);
    }
    c.end();
    c.get(VA).i32(2).op(Op.i32_shr_u).i32(layout.heatMask).op(Op.i32_and).i32(1).op(Op.i32_shl).tee(VA);
    c.mem(Op.i32_load16_u, layout.heat).tee(T).get(HOT).op(Op.i32_lt_u).if_();
    c.get(VA).get(T).i32(1).op(Op.i32_add).mem(Op.i32_store16, layout.heat);
    c.else_();
    c.get(T).i32(layout.never).op(Op.i32_ne).if_().i32(0).set(DS).br('exit').end();
    c.end();
    c.end();
  }
  c.else_();
  c.get(PC).i32(4).op(Op.i32_add).set(PC);
  c.end();
  c.get(NDS).set(DS);
  c.br('top');
  c.end(); // slow: a slow path's way out (our count is its RETIRED)
  c.i32(0).mem(Op.i32_load, st(STATE.RETIRED)).set(N);
  c.i32(0).mem(Op.i32_load, st(STATE.RESUME)).if_();
  reenter(true);
  c.end();
  c.br('bail');
  c.end(); // loop top
  c.end(); // exit
  c.i32(0).get(PC).mem(Op.i32_store, st(STATE.NPC));
  c.i32(0);
  e.pushFlags();
  c.mem(Op.i32_store, st(STATE.FLAGS));
  c.i32(0).get(DS).mem(Op.i32_store, st(STATE.DS));
  c.i32(0).get(TGT).mem(Op.i32_store, st(STATE.TARGET));
  c.i32(0).i32(0).mem(Op.i32_store, st(STATE.FLT));
  c.i32(0).i32(0).mem(Op.i32_store, st(STATE.STOP));
  c.get(N).op(Op.return);
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
 * (translate.ts): l.mfspr and l.mtspr that the interpreter does inline are
 * done here, without leaving WebAssembly (the kernel's TLB-miss handlers,
 * once translated, run ~1 M of them per boot); anything else goes to the
 * CPU's jitSys. Its locals are numbered as the interpreter's (parameters
 * copied in), so the same emitters serve.
 */
function buildSys(layout: InterpLayout): Code {
  const e = new InterpEmitter(layout);
  const c = e.c;
  // Parameters 0..5: PC (same index), retired, f, cy, ov, insn.
  c.get(5).set(INSN).get(2).set(F).get(3).set(CY).get(4).set(OV);
  c.i32(0).mem(Op.i32_load, layout.state + 4 * STATE.SR).set(SRB);
  c.block('sys').block('ok');
  c.get(INSN).i32(26).op(Op.i32_shr_u).tee(T).i32(0x2d).op(Op.i32_eq).if_();
  emitMfspr(e);
  c.br('ok').end();
  c.get(T).i32(0x30).op(Op.i32_eq).if_();
  emitMtspr(e);
  c.br('ok').end();
  c.br('sys');
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
