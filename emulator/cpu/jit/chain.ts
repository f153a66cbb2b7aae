/**
 * The chain: one small WebAssembly function that runs translated pages one
 * after another without coming back to JavaScript, `f(pc, lim, flags, rtb,
 * wtb, xtb, base) -> retired` (`base`: what the caller retired before, for
 * the slow paths' count: the WebAssembly interpreter calls it too). At each step it translates pc through the current
 * execute table (`xtb`, emulator/cpu/mmu.ts), finds the physical page's
 * function in the slot table (`Layout.slots`: page -> index in the shared
 * function table, 0 = none) and calls it. It stops, with the state words
 * filled as a page function leaves them (translate.ts STATE), when a slow
 * path asked to leave (STOP), when a page has no translation or no block at
 * that offset (the page function retired nothing), or at `lim`. What it
 * retired is added to the RAN state words (translated code's share of a run),
 * and what each page retired to its count in `ran` (code-cache.ts promote).
 *
 * Each JS/WebAssembly transition costs about as much as a few dozen
 * interpreted instructions; Linux runs many short stretches of hot code in
 * different pages (calls, returns, exception handlers), which this keeps in
 * WebAssembly.
 */
import { I32, Code, Op, buildModule, type FuncType } from './wasm.ts';
import { PAGE_FN, STATE, type Layout } from './translate.ts';

export interface ChainLayout extends Layout {
  /** Byte address of the slot table (one i32 per physical page). */
  slots: number;
  /** Byte address of the per-page counts of instructions retired (one i32 per physical page; code-cache.ts promote). */
  ran: number;
}

const PC = 0, LIM = 1, FLAGS = 2, RTB = 3, WTB = 4, XTB = 5, BASE = 6;
const COUNT = 7, N = 8, E = 9, SLOT = 10, AT = 11;
export const CHAIN_FN: FuncType = { params: [I32, I32, I32, I32, I32, I32, I32], results: [I32] };
/** Index of PAGE_FN in the module's types (own type 0, then the extra type). */
const PAGE_TYPE = 1;

export function buildChain(layout: ChainLayout): Uint8Array {
  const c = new Code();
  const st = (w: number): number => layout.state + 4 * w;
  /** RAN += COUNT, on the way out. */
  const ran = (): void => {
    c.i32(0).i32(0).mem(Op.i64_load, st(STATE.RAN)).get(COUNT).op(Op.i64_extend_i32_u).op(Op.i64_add).mem(Op.i64_store, st(STATE.RAN));
  };
  c.block('out').loop('next');
  // The page function for pc, if any.
  c.get(PC).i32(3).op(Op.i32_and).brIf('out');
  c.get(PC).i32(13).op(Op.i32_shr_u).i32(2).op(Op.i32_shl).get(XTB).op(Op.i32_add).mem(Op.i32_load).tee(E);
  c.i32(1).op(Op.i32_and).op(Op.i32_eqz).brIf('out');
  c.get(E).i32(13).op(Op.i32_shr_u).i32(2).op(Op.i32_shl).tee(AT).mem(Op.i32_load, layout.slots).tee(SLOT);
  c.op(Op.i32_eqz).brIf('out');
  // Run it.
  c.i32(0).get(COUNT).get(BASE).op(Op.i32_add).mem(Op.i32_store, st(STATE.CHAIN));
  c.get(PC).i32(~0x1fff).op(Op.i32_and).get(PC).i32(0x1fff).op(Op.i32_and);
  c.get(LIM).get(COUNT).op(Op.i32_sub).get(FLAGS).get(RTB).get(WTB).get(SLOT).callIndirect(PAGE_TYPE);
  c.tee(N).get(COUNT).op(Op.i32_add).set(COUNT);
  c.get(AT).get(AT).mem(Op.i32_load, layout.ran).get(N).op(Op.i32_add).mem(Op.i32_store, layout.ran);
  c.i32(0).mem(Op.i32_load, st(STATE.STOP)).if_();
  ran();
  c.get(COUNT).op(Op.return).end();
  c.i32(0).mem(Op.i32_load, st(STATE.NPC)).set(PC);
  c.i32(0).mem(Op.i32_load, st(STATE.FLAGS)).set(FLAGS);
  c.get(N).op(Op.i32_eqz).brIf('out');
  c.get(COUNT).get(LIM).op(Op.i32_lt_s).brIf('next');
  c.end().end();
  // Back to the interpreter at pc.
  c.i32(0).get(PC).mem(Op.i32_store, st(STATE.NPC));
  c.i32(0).get(FLAGS).mem(Op.i32_store, st(STATE.FLAGS));
  c.i32(0).i32(0).mem(Op.i32_store, st(STATE.FLT));
  c.i32(0).i32(0).mem(Op.i32_store, st(STATE.DS));
  ran();
  c.get(COUNT);
  return buildModule({
    imports: [], type: CHAIN_FN, locals: { i32: 5, i64: 0 }, body: c,
    memoryPages: layout.memPages, table: true, extraTypes: [PAGE_FN],
  });
}
