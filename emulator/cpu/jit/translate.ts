/**
 * Guest-code translation: the hot blocks of one 8 KiB physical page become
 * one WebAssembly function (compiled by code-cache.ts).
 *
 * Why WebAssembly and not generated JavaScript: V8 needs ~0.2 ms of
 * TurboFan time per guest instruction for generated JS (measured on this
 * code), far more than a Linux boot's hot code can pay back, and runs it
 * unoptimised meanwhile; its WebAssembly baseline compiler (Liftoff) takes
 * microseconds per instruction and the code is fast at once.
 *
 * Shape of a page function `f(pb, off, lim, flags, rtb, wtb) -> retired`:
 * - `pb` is the *virtual* address of the page (the code is position
 *   independent: l.jal/l.adrp/branch targets are `pb + constant`, so one
 *   translation serves every mapping of the physical page), `off` the entry
 *   offset, `lim` how many instructions it may retire at most, `flags`
 *   SR[F] | SR[CY] << 1 | SR[OV] << 2, and `rtb`/`wtb` the byte addresses
 *   of the current host translation tables for loads and stores (see
 *   emulator/cpu/mmu.ts; they live in the same memory, as do the GPRs).
 * - The flags live in locals; registers are read and written in memory.
 * - The page's hot blocks are the targets of one `br_table` inside a loop;
 *   a block ends after a branch and its delay slot (or falls into the next
 *   block), and jumps within the page loop back to the `br_table`, so loops
 *   that stay in the page never leave the function. Jumps out of the page
 *   return to the CPU's dispatcher.
 * - Each block first checks that all of it fits in `lim`, so the function
 *   retires exactly as many instructions as the interpreter would before a
 *   timer event or the budget: interrupts and time stay bit-identical.
 * - Loads and stores use the interpreter's per-page host tables; a miss
 *   calls the imported `ld`/`st` (cpu.jitLoad/jitStore), which take the
 *   exception or do the MMIO access (a load's helper writes rD itself).
 *   If it took an exception, or the access asks to leave the run loop (an
 *   IRQ line moved, a code page was written: leave after this
 *   instruction), the helper fills the state words and the function
 *   returns at once; so slow paths cost a call and a branch in the code.
 * - On return, the state words hold the next pc (NPC), the flags (FLAGS),
 *   whether an exception was taken (FLT) and, after a helper's way out,
 *   the count (RETIRED).
 *
 * The instructions the interpreter's hot loop runs are translated inline
 * (ALU, compares, loads, stores, branches, l.nop without a simulator hook);
 * for the others (l.mtspr, l.mfspr, l.rfe, l.sys, l.trap, l.lwa/l.swa, the
 * MAC unit, simulator hooks, illegal encodings) the code calls `sys`, which
 * has the interpreter execute that one instruction, and goes on if it
 * retired normally (no exception, no jump, no reason to leave the run loop).
 * A block ends after a branch's delay slot, before a branch whose delay slot
 * is not translated inline or lies on the next page, and at the page end.
 * Blocks run only while SR[OVE] is clear (the dispatcher checks), so no
 * range exception can occur in inline code.
 * The semantics are those of emulator/cpu/cpu.ts exec()/aluRare(), which
 * the differential tests compare against instruction by instruction.
 */
import { Code, I32, Op, buildModule, type FuncType } from './wasm.ts';

/** Page size in bytes and words (the or1k MMU page). */
const PAGE = 8192;
const WORDS = PAGE >>> 2;

/** Instruction classes: translated by the interpreter's helper (SYS), translated inline (OP), branches. */
const SYS = 0;
const OP = 1;
const BRANCH = 2;

/** Mask that keeps an in-page, word-aligned offset's bits: (x & ~0x1ffc) === 0. */
const NOT_IN_PAGE = ~0x1ffc;

/**
 * State words (Int32 indexes from `Layout.state`), written when a page
 * function returns: NPC, FLAGS, FLT (an exception was taken), STOP (a slow
 * path asked to leave: the chain must not go on) and, after a slow path's
 * way out, RETIRED. CHAIN is what the chain (chain.ts) retired before the
 * running page function, for the slow paths' instruction count. DS and
 * TARGET: the interpreter's delay-slot state when it returns (interp.ts).
 * SR: SR without F/CY/OV, written by the dispatcher before it runs
 * WebAssembly (the `sys` fast paths read it). RESUME: a slow path's way
 * out (FLT) after which the interpreter may go on in place: the exception
 * entry or jump left nothing for the dispatcher to do; then NPC, FLAGS, SR
 * and the new tables (RTB, WTB, XTB) are filled too (cpu.ts jitResume).
 * RAN (two words, an unsigned 64-bit count): instructions retired in
 * translated code so far, kept by the chain (chain.ts).
 */
export const STATE = {
  NPC: 0, FLAGS: 1, FLT: 2, RETIRED: 3, STOP: 4, CHAIN: 5, DS: 6, TARGET: 7, SR: 8, RESUME: 9, RTB: 10, WTB: 11, XTB: 12, RAN: 13, WORDS: 15,
} as const;

/** Where translated code finds things in the shared memory (byte addresses). */
export interface Layout {
  gpr: number;
  state: number;
  /** Size of the memory in 64 KiB pages (the import's minimum). */
  memPages: number;
}

/**
 * The slow paths (cpu.ts jitLoad/jitStore). `kind` = size | 8 if the load
 * sign-extends | rD << 4; the helper writes rD itself. Both return 0 to go
 * on, or 1 after filling the state words (an exception was taken, or the
 * run loop must be left after this instruction, then at `after`).
 */
export const IMPORTS: ReadonlyArray<{ name: string; type: FuncType }> = [
  // ld(va, kind, pc | ds, retired-before, f, cy, ov, after) -> leave
  { name: 'ld', type: { params: [I32, I32, I32, I32, I32, I32, I32, I32], results: [I32] } },
  // st(va, size, value, pc | ds, retired-before, f, cy, ov, after) -> leave
  { name: 'st', type: { params: [I32, I32, I32, I32, I32, I32, I32, I32, I32], results: [I32] } },
  // sys(pc, retired-before, f, cy, ov, insn) -> leave: the interpreter runs the one instruction at pc
  // (page modules get interp.ts's `s`, which does the commonest in WebAssembly, for it)
  { name: 'sys', type: { params: [I32, I32, I32, I32, I32, I32], results: [I32] } },
];
const LD = 0;
const ST = 1;
const SYS_CALL = 2;
export const PAGE_FN: FuncType = { params: [I32, I32, I32, I32, I32, I32], results: [I32] };

// Locals: the six parameters, then these i32s, then one i64.
const PB = 0, OFF = 1, LIM = 2, FLAGS = 3, RTB = 4, WTB = 5;
const N = 6, NPC = 7, T = 8, VA = 9, E = 10, TK = 11, TJ = 12, F = 13, CY = 14, OV = 15, A = 16, B = 17;
const P64 = 18;
const I32_LOCALS = 12;

export interface Translation {
  /** The module's bytes. */
  wasm: Uint8Array;
  /** Byte offsets of the blocks translated (the others exit to the dispatcher). */
  starts: number[];
  insns: number;
}

/** Is this an instruction translated inline, a branch, or one the interpreter runs for translated code? */
export function classify(insn: number): number {
  const op = insn >>> 26;
  switch (op) {
    case 0x00: case 0x01: case 0x03: case 0x04: case 0x11: case 0x12:
      return BRANCH;
    case 0x02: case 0x21: case 0x22: case 0x23: case 0x24: case 0x25: case 0x26:
    case 0x27: case 0x28: case 0x29: case 0x2a: case 0x2b: case 0x2c: case 0x2e:
    case 0x35: case 0x36: case 0x37:
      return OP;
    case 0x05: {
      if ((insn & 0x03000000) !== 0x01000000) return SYS;
      const k = insn & 0xffff;
      return k === 1 || k === 4 ? SYS : OP; // simulator hooks: the interpreter decides
    }
    case 0x06:
      return (insn & 0x10000) === 0 ? OP : SYS; // l.movhi (l.macrc: no)
    case 0x2f:
    case 0x39:
      return SF_OPS[(insn >>> 21) & 31] ? OP : SYS;
    case 0x38:
      return aluForm(insn) !== null ? OP : SYS;
    default:
      return SYS;
  }
}

/** The register-register ALU operation of an 0x38 word, or null (MAC ops, illegal). */
function aluForm(insn: number): string | null {
  const op2 = (insn >>> 8) & 3;
  switch (insn & 0xf) {
    case 0x0: return op2 === 0 ? 'add' : null;
    case 0x1: return op2 === 0 ? 'addc' : null;
    case 0x2: return op2 === 0 ? 'sub' : null;
    case 0x3: return op2 === 0 ? 'and' : null;
    case 0x4: return op2 === 0 ? 'or' : null;
    case 0x5: return op2 === 0 ? 'xor' : null;
    case 0x6: return op2 === 3 ? 'mul' : null;
    case 0x8: return op2 === 0 ? ['sll', 'srl', 'sra', 'ror'][(insn >>> 6) & 3]! : null;
    case 0x9: return op2 === 3 ? 'div' : null;
    case 0xa: return op2 === 3 ? 'divu' : null;
    case 0xb: return op2 === 3 ? 'mulu' : null;
    case 0xc: return op2 === 0 ? ['exths', 'extbs', 'exthz', 'extbz'][(insn >>> 6) & 3]! : null;
    case 0xd: return op2 === 0 && ((insn >>> 6) & 3) <= 1 ? 'extw' : null;
    case 0xe: return op2 === 0 ? 'cmov' : null;
    case 0xf: return op2 === 0 ? 'ff1' : op2 === 1 ? 'fl1' : null;
    default: return null;
  }
}

/** Byte offset of a branch's target relative to the branch (l.j/l.jal/l.bf/l.bnf). */
function branchRel(insn: number): number {
  return (insn << 6) >> 4;
}

/** The block-ending branch at `o` can be translated together with its delay slot. */
function branchOk(words: Int32Array, wbase: number, o: number): boolean {
  const ds = o + 4;
  return ds < PAGE && classify(words[wbase + (ds >>> 2)]!) === OP;
}

/** One translated instruction's place: for slow paths and their exits. */
interface Site {
  /** Offset of the instruction in the page. */
  o: number;
  /** Index in its block, and the block's length. */
  k: number;
  len: number;
  /** In a delay slot: pushes the pc after the branch; null otherwise. */
  after: (() => void) | null;
}

const SF_OPS: Readonly<Record<number, number>> = {
  0x0: Op.i32_eq, 0x1: Op.i32_ne, 0x2: Op.i32_gt_u, 0x3: Op.i32_ge_u, 0x4: Op.i32_lt_u,
  0x5: Op.i32_le_u, 0xa: Op.i32_gt_s, 0xb: Op.i32_ge_s, 0xc: Op.i32_lt_s, 0xd: Op.i32_le_s,
};

class PageEmitter {
  readonly c = new Code();

  constructor(
    private readonly layout: Layout,
    /** Word offset -> 1 if a translated block starts there. */
    private readonly isBlock: Uint8Array,
  ) {}

  /** Pushes GPR n. */
  reg(n: number): void {
    if (n === 0) this.c.i32(0);
    else this.c.i32(0).mem(Op.i32_load, this.layout.gpr + 4 * n);
  }
  /** GPR d <- the value `value` pushes (side-effect free); writes to r0 are dropped. */
  setReg(d: number, value: () => void): void {
    if (d === 0) return;
    this.c.i32(0);
    value();
    this.c.mem(Op.i32_store, this.layout.gpr + 4 * d);
  }
  pushFlags(): void {
    this.c.get(F).get(CY).i32(1).op(Op.i32_shl).op(Op.i32_or).get(OV).i32(2).op(Op.i32_shl).op(Op.i32_or);
  }
  /** pb + o (an absolute pc). */
  pushPc(o: number): void {
    this.c.get(PB).i32(o).op(Op.i32_add);
  }
  /** Continue at in-page offset o (a translated block) or leave with pc = pb + o. */
  goTo(o: number): void {
    if (o >= 0 && o < PAGE && this.isBlock[o >>> 2] !== 0) {
      this.c.i32(o).set(OFF).br('top');
    } else {
      this.pushPc(o);
      this.c.set(NPC).br('exit');
    }
  }

  /** The slow-path call's arguments after the access itself, the call, and the way out it may ask for. */
  private slowCall(s: Site, fn: number): void {
    const c = this.c;
    this.pushPc(s.o);
    if (s.after !== null) c.i32(1).op(Op.i32_or);
    c.get(N).i32(s.len - s.k).op(Op.i32_sub);
    c.get(F).get(CY).get(OV);
    if (s.after !== null) s.after();
    else this.pushPc(s.o + 4);
    c.call(fn).brIf('bail');
  }

  /** VA <- rA + imm; E <- table entry of VA's page (table base in local `tb`). */
  private entry(insn: number, imm: number, tb: number): void {
    this.reg((insn >>> 16) & 31);
    this.c.i32(imm).op(Op.i32_add).tee(VA).i32(13).op(Op.i32_shr_u).i32(2).op(Op.i32_shl)
      .get(tb).op(Op.i32_add).mem(Op.i32_load).set(E);
  }
  /** Pushes the fast-path condition: the entry is valid and (for size > 1) VA is aligned. */
  private fastOk(size: number): void {
    this.c.get(E).i32(1).op(Op.i32_and);
    if (size > 1) this.c.get(VA).i32(size - 1).op(Op.i32_and).op(Op.i32_eqz).op(Op.i32_and);
  }
  /** Pushes the host address of VA in the page of E (byte-swizzled for size < 4). */
  private hostAddr(size: number): void {
    this.c.get(E).i32(1).op(Op.i32_xor).get(VA).i32(PAGE - 1).op(Op.i32_and).op(Op.i32_or);
    if (size === 1) this.c.i32(3).op(Op.i32_xor);
    else if (size === 2) this.c.i32(2).op(Op.i32_xor);
  }

  load(insn: number, s: Site): void {
    const c = this.c;
    const op = insn >>> 26;
    const d = (insn >>> 21) & 31;
    const size = op <= 0x22 ? 4 : op <= 0x24 ? 1 : 2;
    const ext = op === 0x24 ? Op.i32_extend8_s : op === 0x26 ? Op.i32_extend16_s : 0;
    const fix = (): void => {
      if (ext !== 0) c.op(ext);
    };
    this.entry(insn, (insn << 16) >> 16, RTB);
    this.fastOk(size);
    c.if_();
    this.setReg(d, () => {
      this.hostAddr(size);
      c.mem(size === 4 ? Op.i32_load : size === 2 ? Op.i32_load16_u : Op.i32_load8_u);
      fix();
    });
    c.else_();
    c.get(VA).i32(size | (ext !== 0 ? 8 : 0) | (d << 4));
    this.slowCall(s, LD);
    c.end();
  }

  store(insn: number, s: Site): void {
    const c = this.c;
    const op = insn >>> 26;
    const size = op === 0x35 ? 4 : op === 0x36 ? 1 : 2;
    const b = (insn >>> 11) & 31;
    this.entry(insn, ((((insn >>> 10) & 0xf800) | (insn & 0x7ff)) << 16) >> 16, WTB);
    this.fastOk(size);
    c.if_();
    this.hostAddr(size);
    this.reg(b);
    c.mem(size === 4 ? Op.i32_store : size === 2 ? Op.i32_store16 : Op.i32_store8);
    c.else_();
    c.get(VA).i32(size);
    this.reg(b);
    if (size < 4) c.i32(size === 1 ? 0xff : 0xffff).op(Op.i32_and);
    this.slowCall(s, ST);
    c.end();
  }

  /** Carry out of a + b + c as 0/1, a/b/c pushed by the callers' order: locals x, y and CY. */
  private carry64(x: () => void, y: () => void): void {
    const c = this.c;
    x();
    c.op(Op.i64_extend_i32_u);
    y();
    c.op(Op.i64_extend_i32_u).op(Op.i64_add).get(CY).op(Op.i64_extend_i32_u).op(Op.i64_add);
    c.byte(Op.i64_const);
    c.s32(32);
    c.op(Op.i64_shr_u).op(Op.i32_wrap_i64).set(CY);
  }
  /** OV <- signed overflow of T = x + y (x, y push the operands). */
  private addOverflow(x: () => void, y: () => void): void {
    const c = this.c;
    x();
    y();
    c.op(Op.i32_xor).i32(-1).op(Op.i32_xor);
    x();
    c.get(T).op(Op.i32_xor).op(Op.i32_and).i32(31).op(Op.i32_shr_u).set(OV);
  }
  /** T <- low word of the 64-bit product of x and y (signed or not), P64 <- the product. */
  private mul64(x: () => void, y: () => void, signed: boolean): void {
    const ext = signed ? Op.i64_extend_i32_s : Op.i64_extend_i32_u;
    x();
    this.c.op(ext);
    y();
    this.c.op(ext).op(Op.i64_mul).set(P64).get(P64).op(Op.i32_wrap_i64).set(T);
  }
  private signedOverflowOfP64(): void {
    this.c.get(P64).get(T).op(Op.i64_extend_i32_s).op(Op.i64_ne).set(OV);
  }

  alu(insn: number): void {
    const c = this.c;
    const d = (insn >>> 21) & 31;
    this.reg((insn >>> 16) & 31);
    c.set(A);
    this.reg((insn >>> 11) & 31);
    c.set(B);
    const a = (): void => void c.get(A);
    const b = (): void => void c.get(B);
    const t = (): void => void c.get(T);
    const bin = (o: number): void => this.setReg(d, () => c.get(A).get(B).op(o));
    switch (aluForm(insn)) {
      case 'add':
        c.get(A).get(B).op(Op.i32_add).set(T);
        c.get(T).get(A).op(Op.i32_lt_u).set(CY);
        this.addOverflow(a, b);
        return this.setReg(d, t);
      case 'addc':
        c.get(A).get(B).op(Op.i32_add).get(CY).op(Op.i32_add).set(T);
        this.carry64(a, b);
        this.addOverflow(a, b);
        return this.setReg(d, t);
      case 'sub':
        c.get(A).get(B).op(Op.i32_sub).set(T);
        c.get(A).get(B).op(Op.i32_lt_u).set(CY);
        c.get(A).get(B).op(Op.i32_xor).get(A).get(T).op(Op.i32_xor).op(Op.i32_and).i32(31).op(Op.i32_shr_u).set(OV);
        return this.setReg(d, t);
      case 'and': return bin(Op.i32_and);
      case 'or': return bin(Op.i32_or);
      case 'xor': return bin(Op.i32_xor);
      case 'mul':
        this.mul64(a, b, true);
        this.signedOverflowOfP64();
        return this.setReg(d, t);
      case 'mulu':
        this.mul64(a, b, false);
        c.get(P64);
        c.byte(Op.i64_const);
        c.s32(32);
        c.op(Op.i64_shr_u).op(Op.i32_wrap_i64).i32(0).op(Op.i32_ne).set(CY);
        return this.setReg(d, t);
      case 'div':
        c.get(B).op(Op.i32_eqz).get(A).i32(-0x80000000).op(Op.i32_eq).get(B).i32(-1).op(Op.i32_eq).op(Op.i32_and).op(Op.i32_or);
        c.if_().get(A).set(T).i32(1).set(OV).else_().get(A).get(B).op(Op.i32_div_s).set(T).i32(0).set(OV).end();
        return this.setReg(d, t);
      case 'divu':
        c.get(B).op(Op.i32_eqz);
        c.if_().get(A).set(T).i32(1).set(CY).else_().get(A).get(B).op(Op.i32_div_u).set(T).i32(0).set(CY).end();
        return this.setReg(d, t);
      case 'sll': return bin(Op.i32_shl);
      case 'srl': return bin(Op.i32_shr_u);
      case 'sra': return bin(Op.i32_shr_s);
      case 'ror': return bin(Op.i32_rotr);
      case 'exths': return this.setReg(d, () => c.get(A).op(Op.i32_extend16_s));
      case 'extbs': return this.setReg(d, () => c.get(A).op(Op.i32_extend8_s));
      case 'exthz': return this.setReg(d, () => c.get(A).i32(0xffff).op(Op.i32_and));
      case 'extbz': return this.setReg(d, () => c.get(A).i32(0xff).op(Op.i32_and));
      case 'extw': return this.setReg(d, a);
      case 'cmov': return this.setReg(d, () => c.get(A).get(B).get(F).op(Op.select));
      case 'ff1': return this.setReg(d, () => c.get(A).op(Op.i32_ctz).i32(1).op(Op.i32_add).i32(0).get(A).op(Op.select));
      case 'fl1': return this.setReg(d, () => c.i32(32).get(A).op(Op.i32_clz).op(Op.i32_sub));
      default: throw new Error(`translate: not an ALU form ${insn >>> 0}`);
    }
  }

  /**
   * An instruction without an inline translation (l.mfspr, l.mtspr, l.rfe,
   * l.sys, l.trap, l.lwa/l.swa, the MAC unit, l.nop hooks, illegal words):
   * the interpreter executes it (cpu.ts jitSys); the code goes on only if it
   * retired normally, reloading the flags it may have changed.
   */
  sys(s: Site, insn: number): void {
    const c = this.c;
    this.pushPc(s.o);
    c.get(N).i32(s.len - s.k).op(Op.i32_sub).get(F).get(CY).get(OV).i32(insn).call(SYS_CALL).brIf('bail');
    c.i32(0).mem(Op.i32_load, this.layout.state + 4 * STATE.FLAGS).tee(T).i32(1).op(Op.i32_and).set(F);
    c.get(T).i32(1).op(Op.i32_shr_u).i32(1).op(Op.i32_and).set(CY);
    c.get(T).i32(2).op(Op.i32_shr_u).i32(1).op(Op.i32_and).set(OV);
  }

  /** One non-branch instruction. */
  op(insn: number, s: Site): void {
    const c = this.c;
    if (classify(insn) === SYS) {
      this.sys(s, insn);
      return;
    }
    const op = insn >>> 26;
    const d = (insn >>> 21) & 31;
    const simm = (insn << 16) >> 16;
    const uimm = insn & 0xffff;
    const ra = (insn >>> 16) & 31;
    const immOp = (o: number, imm: number): void => this.setReg(d, () => {
      this.reg(ra);
      c.i32(imm).op(o);
    });
    switch (op) {
      case 0x02: // l.adrp
        return this.setReg(d, () => c.get(PB).i32((((insn << 11) >> 11) * 8192) | 0).op(Op.i32_add));
      case 0x05: return; // l.nop
      case 0x06: return this.setReg(d, () => c.i32(insn << 16)); // l.movhi
      case 0x21: case 0x22: case 0x23: case 0x24: case 0x25: case 0x26:
        return this.load(insn, s);
      case 0x27: { // l.addi
        this.reg(ra);
        c.set(A).get(A).i32(simm).op(Op.i32_add).set(T);
        c.get(T).get(A).op(Op.i32_lt_u).set(CY);
        this.addOverflow(() => void c.get(A), () => void c.i32(simm));
        return this.setReg(d, () => c.get(T));
      }
      case 0x28: { // l.addic
        this.reg(ra);
        c.set(A).get(A).i32(simm).op(Op.i32_add).get(CY).op(Op.i32_add).set(T);
        this.carry64(() => void c.get(A), () => void c.i32(simm));
        this.addOverflow(() => void c.get(A), () => void c.i32(simm));
        return this.setReg(d, () => c.get(T));
      }
      case 0x29: return immOp(Op.i32_and, uimm);
      case 0x2a: return immOp(Op.i32_or, uimm);
      case 0x2b: return immOp(Op.i32_xor, simm);
      case 0x2c: { // l.muli
        this.reg(ra);
        c.set(A);
        this.mul64(() => void c.get(A), () => void c.i32(simm), true);
        this.signedOverflowOfP64();
        return this.setReg(d, () => c.get(T));
      }
      case 0x2e: // l.slli / l.srli / l.srai / l.rori
        return immOp([Op.i32_shl, Op.i32_shr_u, Op.i32_shr_s, Op.i32_rotr][(insn >>> 6) & 3]!, insn & 31);
      case 0x2f: // l.sf*i
        this.reg(ra);
        c.i32(simm).op(SF_OPS[(insn >>> 21) & 31]!).set(F);
        return;
      case 0x39: // l.sf*
        this.reg(ra);
        this.reg((insn >>> 11) & 31);
        c.op(SF_OPS[(insn >>> 21) & 31]!).set(F);
        return;
      case 0x35: case 0x36: case 0x37:
        return this.store(insn, s);
      case 0x38:
        return this.alu(insn);
      default:
        throw new Error(`translate: unexpected opcode ${op}`);
    }
  }
}

/**
 * Translates the blocks that start at `entries` (byte offsets in the page;
 * the code cache passes the hot ones). Each block runs to its branch's
 * delay slot, an untranslatable instruction, the page end or the next
 * entry. `words` is RAM (host-endian words), `wbase` the page's first word.
 */
export function translatePage(words: Int32Array, wbase: number, entries: readonly number[], layout: Layout): Translation {
  const leaders = [...new Set(entries)].filter((o) => o >= 0 && o < PAGE && (o & 3) === 0).sort((a, b) => a - b);
  const isLeader = new Uint8Array(WORDS);
  for (const o of leaders) isLeader[o >>> 2] = 1;

  // The extent of each block.
  interface Block { start: number; end: number; branch: boolean }
  const blocks: Block[] = [];
  for (const start of leaders) {
    let o = start;
    let branch = false;
    for (; o < PAGE; o += 4) {
      if (o !== start && isLeader[o >>> 2] !== 0) break;
      const k = classify(words[wbase + (o >>> 2)]!);
      if (k === BRANCH) {
        branch = branchOk(words, wbase, o);
        break;
      }
    }
    if (o === start && !branch) continue; // nothing translatable here
    blocks.push({ start, end: o, branch });
  }
  const isBlock = new Uint8Array(WORDS);
  // br_table targets by word offset, up to the last block start (beyond: default).
  const last = blocks.length > 0 ? blocks[blocks.length - 1]!.start >>> 2 : 0;
  const labelOf: string[] = new Array<string>(last + 1).fill('def');
  blocks.forEach((b, i) => {
    isBlock[b.start >>> 2] = 1;
    labelOf[b.start >>> 2] = `c${i}`;
  });

  const em = new PageEmitter(layout, isBlock);
  const c = em.c;
  // Prologue: flags into locals.
  c.get(FLAGS).i32(1).op(Op.i32_and).set(F);
  c.get(FLAGS).i32(1).op(Op.i32_shr_u).i32(1).op(Op.i32_and).set(CY);
  c.get(FLAGS).i32(2).op(Op.i32_shr_u).i32(1).op(Op.i32_and).set(OV);
  c.block('bail').block('exit').loop('top');
  for (let i = blocks.length - 1; i >= 0; i--) c.block(`c${i}`);
  c.block('def');
  c.get(OFF).i32(2).op(Op.i32_shr_u).brTable(labelOf, 'def');
  c.end(); // def: not a block start
  em.pushPc(0);
  c.get(OFF).op(Op.i32_add).set(NPC).br('exit');

  let insns = 0;
  blocks.forEach((b, i) => {
    c.end(); // c<i>
    const len = ((b.end - b.start) >>> 2) + (b.branch ? 2 : 0);
    insns += len;
    c.get(N).get(LIM).i32(len).op(Op.i32_sub).op(Op.i32_gt_s).if_();
    em.pushPc(b.start);
    c.set(NPC).br('exit').end();
    c.get(N).i32(len).op(Op.i32_add).set(N);
    let k = 0;
    for (let o = b.start; o < b.end; o += 4, k++) em.op(words[wbase + (o >>> 2)]!, { o, k, len, after: null });
    if (!b.branch) {
      em.goTo(b.end);
      return;
    }
    const o = b.end;
    const insn = words[wbase + (o >>> 2)]!;
    const ds = words[wbase + ((o + 4) >>> 2)]!;
    const op = insn >>> 26;
    const dsSite = (after: () => void): Site => ({ o: o + 4, k: k + 1, len, after });
    if (op === 0x00 || op === 0x01) { // l.j / l.jal
      const t = o + branchRel(insn);
      if (op === 0x01) em.setReg(9, () => em.pushPc(o + 8));
      em.op(ds, dsSite(() => em.pushPc(t)));
      em.goTo(t);
    } else if (op === 0x03 || op === 0x04) { // l.bnf / l.bf: the flag as the branch saw it
      const t = o + branchRel(insn);
      c.get(F);
      if (op === 0x03) c.op(Op.i32_eqz);
      c.set(TK);
      em.op(ds, dsSite(() => {
        em.pushPc(t);
        em.pushPc(o + 8);
        c.get(TK).op(Op.select);
      }));
      c.get(TK).if_();
      em.goTo(t);
      c.end();
      em.goTo(o + 8);
    } else { // 0x11 l.jr / 0x12 l.jalr: the target is read before the link is written
      em.reg((insn >>> 11) & 31);
      c.set(TJ);
      if (op === 0x12) em.setReg(9, () => em.pushPc(o + 8));
      em.op(ds, dsSite(() => void c.get(TJ)));
      c.get(TJ).get(PB).op(Op.i32_sub).tee(OFF).i32(NOT_IN_PAGE).op(Op.i32_and).op(Op.i32_eqz).brIf('top');
      c.get(TJ).set(NPC).br('exit');
    }
  });
  c.end(); // loop top
  c.end(); // block exit
  // Epilogue: the state words, and the count.
  const st = layout.state;
  c.i32(0).get(NPC).mem(Op.i32_store, st + 4 * STATE.NPC);
  c.i32(0);
  em.pushFlags();
  c.mem(Op.i32_store, st + 4 * STATE.FLAGS);
  c.i32(0).i32(0).mem(Op.i32_store, st + 4 * STATE.FLT);
  c.i32(0).i32(0).mem(Op.i32_store, st + 4 * STATE.STOP);
  c.get(N).op(Op.return);
  c.end(); // block bail: a slow path filled the state words
  c.i32(0).mem(Op.i32_load, st + 4 * STATE.RETIRED);
  const wasm = buildModule({ imports: IMPORTS, type: PAGE_FN, locals: { i32: I32_LOCALS, i64: 1 }, body: c, memoryPages: layout.memPages });
  return { wasm, starts: blocks.map((b) => b.start), insns };
}
