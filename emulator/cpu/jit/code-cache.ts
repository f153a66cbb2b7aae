/**
 * The code cache: which physical pages have translated code, when to
 * translate, and invalidation.
 *
 * - Keyed by physical page (8 KiB): one page function per page
 *   (translate.ts), valid for any virtual mapping of the page.
 * - Heat: the interpreters (exec() and jit/interp.ts) count visits of block
 *   starts (branch targets) in `heat`, a 64 Ki-entry table indexed by a hash of the physical address
 *   (collisions only make a start look warmer); at a translated block start
 *   (`blockBits`, one bit per RAM word) exec() leaves its loop and the
 *   WebAssembly interpreter calls the chain itself, and at one that just got
 *   hot both leave; the dispatcher then calls `lookup`. A start seen
 *   `hot` times makes its page (re)translated with every block start
 *   already translated or seen hot/8 times. Only really hot code is worth it.
 *   In the busybox boot (42.8 M instructions) the blocks run 1,000+ times
 *   are 2 % of those run at all and retire 79 % of the instructions, but
 *   V8's optimising tier spends ~150 us per translated guest instruction
 *   when a module tiers up (on this 2-core machine it competes with the
 *   guest), and a boot's warm code leaves translated code often. Boot run
 *   loop, medians of 3 rounds in one process (`npm run bench -- boot`, with
 *   the WebAssembly interpreter for cold code): JavaScript interpreter alone
 *   0.772 s; WebAssembly interpreter without translating 0.484 s;
 *   threshold 4,000: 0.543 s; 16,000: 0.467 s.
 *   A CPU-bound loop is translated within microseconds of guest time at any
 *   of them (bench/cpu.bench.ts), so the default is high.
 * - Seeds: a host may keep a run's translations (`savedPages`, as bytes
 *   through saved-pages.ts) and hand them to the next run of the same
 *   machine (`seed`). A seeded page's starts are marked in `heat` as hot,
 *   so its first visit restores its translation, if the page holds the words
 *   it was made from; the code the last run needed 16,000 visits to earn
 *   runs from the start. Boot of our guest, 9 alternating spawned boots:
 *   run loop 401 ms without the cache, 363 ms with it. Seeding more (a lower
 *   threshold in seeded runs) was slower: 651 ms, V8 tiering up the ~45
 *   restored modules at once competes with the guest on two cores.
 * - Coherence: a translated page is *watched* (Ram.watch): the MMU gives
 *   it no fast store entry, and any write to it (a CPU store through the
 *   slow path, or device DMA) calls `invalidate`, which drops the page's
 *   code and asks the CPU to leave its run loop, so a function that has
 *   just modified its own page does not run on. A page invalidated
 *   `MAX_INVALIDATIONS` times (code and hot data sharing a page) is left to
 *   the interpreter for good.
 */
import type { Ram } from '../../memory/ram.ts';
import { wasmApi, type WasmTable } from '../../memory/wasm-api.ts';
import type { Mmu } from '../mmu.ts';
import { buildChain } from './chain.ts';
import { buildInterp, type CpuLayout, type InterpFn } from './interp.ts';
import { compiledModule, moduleKey } from './module-cache.ts';
import { translatePage, type Layout } from './translate.ts';

/** A page function (translate.ts): `(pb, off, lim, flags, rtb, wtb) => retired`. */
export type PageFn = (pb: number, off: number, lim: number, flags: number, rtb: number, wtb: number) => number;
/** The chain (chain.ts): `(pc, lim, flags, rtb, wtb, xtb, base) => retired`. */
export type ChainFn = (pc: number, lim: number, flags: number, rtb: number, wtb: number, xtb: number, base: number) => number;

/**
 * The CPU's slow paths (cpu.ts jit*), imported by the interpreter (all of
 * them) and by page modules (ld and st; their sys is the interpreter's `s`).
 */
export interface SlowPaths {
  fx(pcds: number, retired: number, f: number, cy: number, ov: number): number;
  ld(va: number, kind: number, pcds: number, retired: number, f: number, cy: number, ov: number, after: number): number;
  st(va: number, size: number, value: number, pcds: number, retired: number, f: number, cy: number, ov: number, after: number): number;
  sys(pc: number, retired: number, f: number, cy: number, ov: number): number;
}

const WORDS = 2048;
/** Default visits of a block start before its page is translated (see `hot`). */
export const DEFAULT_HOT = 16000;
/** Size of the heat table (entries), a power of two. */
export const HEAT_SIZE = 1 << 16;
/** heat[] mark of a start that cannot be translated (its first instruction is not translatable). */
export const NEVER = 0xffff;
/**
 * heat[] mark of a start of a seeded page (`seed`): at least any threshold,
 * so the first visit comes to `lookup`, which restores the page's saved
 * translation if the page holds the same words.
 */
const SEEDED = 0xfffe;
const MAX_INVALIDATIONS = 64;

/** Index in `heat` of the block start at physical address pa. */
export function heatIndex(pa: number): number {
  return (pa >>> 2) & (HEAT_SIZE - 1);
}

/**
 * How page modules are compiled, in two tiers:
 * - 'baseline' for a page's first code, which most pages of a boot keep: they
 *   run for a fraction of a second, too little to pay for an optimising
 *   compile, which on a 2-core host also takes a core from the CPU's thread;
 * - 'optimized' once the page's code has retired PROMOTE_AT instructions
 *   (a CPU-bound guest program): the page is compiled again, for the host's
 *   optimising tier.
 * Set by the host (emulator/host/page-tiers.ts for Node, which keeps V8's
 * baseline modules off TurboFan). Without one, every page module is compiled
 * the host's default way, once.
 */
export type PageTier = 'baseline' | 'optimized';
export type PageCompiler = (wasm: Uint8Array, tier: PageTier) => object;
let pageCompiler: PageCompiler | null = null;

/** Sets how page modules are compiled (see PageTier); null: the host's default, one tier. */
export function setPageCompiler(compile: PageCompiler | null): void {
  pageCompiler = compile;
}

/** Instructions a page's baseline code retires before the page is compiled for the optimising tier. */
export const PROMOTE_AT = 4_000_000;

class PageCode {
  /** Index in the function table (0 = never translated); kept across re-translations. */
  slot = 0;
  /** Its current code is the baseline tier's, and may be promoted (`promote`). */
  baseline = false;
  /** It was promoted once: its later translations are compiled for the optimising tier at once. */
  optimized = false;
  invalidations = 0;
  banned = false;
  /** The page's latest translation, to keep for later runs (`savedPages`). */
  saved: SavedPage | undefined = undefined;
}

/**
 * A page's translation kept between runs (`CodeCache.savedPages`, `seed`):
 * valid for a CPU whose layout and translator are the same, on a physical
 * page that holds the same words (checked before it is used).
 */
export interface SavedPage {
  ppn: number;
  /** The page's 2,048 words when it was translated. */
  words: Int32Array;
  /** Its block starts (byte offsets in the page). */
  starts: number[];
  /** The page module (translate.ts). */
  wasm: Uint8Array;
}

export interface CodeCacheStats {
  /** Page translations made (first ones and re-translations). */
  translations: number;
  /** Pages dropped because they were written. */
  invalidations: number;
  /** Blocks and guest instructions in the translations made. */
  blocks: number;
  insns: number;
  /** Milliseconds spent translating, of which compiling and instantiating modules (host time, for benchmarks only). */
  translateMs: number;
  compileMs: number;
  /** Pages compiled again for the optimising tier (PageTier). */
  promoted: number;
  /** Pages whose saved translation (`seed`) was used, and those whose words no longer matched. */
  restored: number;
  stale: number;
}

/** The tier a page's next code is compiled for. */
function tierOf(p: PageCode): PageTier {
  return p.optimized ? 'optimized' : 'baseline';
}

export class CodeCache {
  private pages: (PageCode | undefined)[];
  readonly stats: CodeCacheStats = { translations: 0, invalidations: 0, blocks: 0, insns: 0, translateMs: 0, compileMs: 0, restored: 0, stale: 0, promoted: 0 };
  /** Visits per block start, by heatIndex (the interpreters count in it directly; in RAM's arena). */
  readonly heat: Uint16Array;
  /** One bit per RAM word: a translated block starts there (bit (pa >>> 2) & 7 of byte pa >>> 5). */
  readonly blockBits: Uint8Array;
  /**
   * Visits of a block start before its page is (re)translated; at a
   * translation, starts seen hot/8 times are included too (they are warming
   * up). 1..65534; tests use 1 to translate at once.
   */
  hot = DEFAULT_HOT;
  /** False: never translate (the interpreters alone; for benchmarks and A/B runs). */
  translating = true;

  /** What saved translations must have been made for (saved-pages.ts): this layout. */
  readonly layoutKey: string;
  /** Saved translations to restore, by physical page (`seed`). */
  private readonly seeds = new Map<number, SavedPage>();
  private imports: Record<string, Record<string, unknown>>;
  /** Page functions by slot, for the chain's call_indirect; slot 0 stays empty. */
  private readonly table: WasmTable | null = null;
  private nextSlot = 1;
  /** Physical page -> slot of its current translation (0 = none), in RAM's arena for the chain. */
  private readonly slots: Int32Array;
  /** Physical page -> instructions its code retired since it was installed (the chain counts; wraps at 2^32). */
  private readonly ran: Int32Array;
  /** Pages whose code is the baseline tier's (PageCode.baseline), for `promote`. */
  private readonly baselinePages: number[] = [];
  /** Runs translated code from a pc until it must come back (chain.ts); null without WebAssembly. */
  readonly enter: ChainFn | null = null;
  /** Interprets from a pc until it must come back (interp.ts); null without WebAssembly. */
  readonly interp: InterpFn | null = null;
  /**
   * Why translation is off for good, if it is: the host refused to compile
   * (e.g. a browser's main thread allows no synchronous compile of modules
   * over 4 KiB: run the emulator in a Worker there). The CPU then interprets.
   */
  disabled: string | undefined;

  constructor(
    private readonly ram: Ram,
    private readonly mmu: Mmu,
    private readonly layout: CpuLayout,
    slow: SlowPaths,
    /** Called after a page's code was dropped (the CPU leaves its loop). */
    private readonly onInvalidate: () => void,
    /** false: no WebAssembly at all (CpuOptions.wasm). */
    wasm = true,
  ) {
    this.pages = new Array<PageCode | undefined>(ram.size >>> 13).fill(undefined);
    this.layoutKey = moduleKey('pages', layout);
    const heat = ram.arena(HEAT_SIZE >>> 1);
    this.heat = new Uint16Array(heat.buffer, heat.byteOffset, HEAT_SIZE);
    const bits = ram.arena(ram.size >>> 7);
    this.blockBits = new Uint8Array(bits.buffer, bits.byteOffset, ram.size >>> 5);
    ram.onWatchedWrite = (page) => this.invalidate(page);
    this.imports = { env: { mem: ram.memory, ld: slow.ld, st: slow.st, sys: slow.sys } };
    this.slots = ram.arena(ram.size >>> 13);
    this.ran = ram.arena(ram.size >>> 13);
    if (wasmApi === null || ram.memory === null) {
      this.disabled = 'the host has no WebAssembly';
      return;
    }
    if (!wasm) {
      this.disabled = 'WebAssembly not wanted for this CPU';
      return;
    }
    try {
      const api = wasmApi;
      this.table = new api.Table({ element: 'anyfunc', initial: 64 });
      // Compiled once per layout in a process (module-cache.ts): CPUs on RAM of one size share them.
      const chain = compiledModule('chain', { ...layout, slots: this.slots.byteOffset, ran: this.ran.byteOffset }, buildChain);
      const instance = new api.Instance(chain, { env: { mem: ram.memory, table: this.table } });
      this.enter = instance.exports.f as ChainFn;
      const interp = compiledModule('interp', {
        ...layout, heat: this.heat.byteOffset, blockBits: this.blockBits.byteOffset, heatMask: HEAT_SIZE - 1, never: NEVER,
      }, buildInterp);
      const exports = new api.Instance(interp, { env: { ...this.imports.env, chain: this.enter, fx: slow.fx } }).exports;
      this.interp = exports.f as InterpFn;
      // Page modules call the interpreter's `s` for what they do not translate.
      this.imports = { env: { ...this.imports.env, sys: exports.s } };
    } catch (e) {
      this.disabled = `WebAssembly compile failed: ${(e as Error).message}`;
    }
  }

  /** Translated code can run here. */
  get available(): boolean {
    return this.disabled === undefined;
  }

  /** Forgets every translation (CPU reset, or RAM rewritten behind the CPU's back). */
  reset(): void {
    this.pages.fill(undefined);
    this.heat.fill(0);
    this.markSeeds();
    // Slots, block bits, watched pages and write-protected pages change only
    // when a page is translated, which takes a slot: with none taken since
    // the last reset they are clean (the CPU resets twice before a boot; the
    // 4 MiB of block bits need not be touched).
    if (this.nextSlot === 1) return;
    this.slots.fill(0);
    this.ran.fill(0);
    this.baselinePages.length = 0;
    this.blockBits.fill(0);
    this.nextSlot = 1;
    this.ram.watch.fill(0);
    this.mmu.identityWrite.set(this.mmu.identity);
  }

  /** A translated block starts at physical address pa. */
  translated(pa: number): boolean {
    return ((this.blockBits[pa >>> 5]! >>> ((pa >>> 2) & 7)) & 1) !== 0;
  }

  /**
   * Whether translated code runs the block at physical address `pa` (then
   * `enter` it). If not, the caller interprets the block; this visit counts
   * towards translating the page, which happens here once it is hot.
   */
  lookup(pa: number): boolean {
    if (this.translated(pa)) return true;
    const ppn = pa >>> 13;
    let p = this.pages[ppn];
    if (p === undefined) {
      p = new PageCode();
      this.pages[ppn] = p;
    }
    const h = heatIndex(pa);
    if (p.banned) {
      this.heat[h] = NEVER; // the interpreter need not stop here again
      return false;
    }
    const v = this.heat[h]!;
    if (v === NEVER) return false;
    if (v === SEEDED) {
      const seed = this.seeds.get(ppn);
      if (seed !== undefined && this.slots[ppn] === 0 && this.disabled === undefined && this.translating) this.restore(ppn, p, seed);
      if (this.translated(pa)) return true;
      this.heat[h] = 0; // (the mark of another page's seed, or one that no longer fits) counted as usual
      return false;
    }
    if (v < this.hot) {
      this.heat[h] = v + 1;
      return false;
    }
    if (this.disabled === undefined && this.translating) this.translate(ppn, p);
    if (this.translated(pa)) return true;
    this.heat[h] = NEVER;
    return false;
  }

  private translate(ppn: number, p: PageCode): void {
    const t0 = performance.now();
    const entries: number[] = [];
    const warm = Math.max(1, this.hot >>> 3);
    const base = ppn << 13;
    for (let w = 0; w < WORDS; w++) {
      const pa = base + (w << 2);
      const v = this.heat[heatIndex(pa)]!;
      if ((v >= warm && v !== NEVER) || this.translated(pa)) entries.push(w << 2);
    }
    const tr = translatePage(this.ram.words, ppn << 11, entries, this.layout);
    let fn: PageFn;
    try {
      fn = this.compile(tr.wasm, tierOf(p));
    } catch (e) {
      this.disabled = `WebAssembly compile failed: ${(e as Error).message}`;
      return;
    }
    this.install(ppn, p, fn, tr.starts);
    p.saved = { ppn, words: this.ram.words.slice(ppn << 11, (ppn + 1) << 11), starts: tr.starts, wasm: tr.wasm };
    const s = this.stats;
    s.translations++;
    s.blocks += tr.starts.length;
    s.insns += tr.insns;
    s.translateMs += performance.now() - t0;
  }

  private compile(wasm: Uint8Array, tier: PageTier): PageFn {
    const t1 = performance.now();
    const api = wasmApi!;
    const module = pageCompiler === null ? new api.Module(wasm) : pageCompiler(wasm, tier);
    const fn = new api.Instance(module, this.imports).exports.f as PageFn;
    this.stats.compileMs += performance.now() - t1;
    return fn;
  }

  /** Page `ppn` runs `fn` from `starts` on. */
  private install(ppn: number, p: PageCode, fn: PageFn, starts: readonly number[]): void {
    const base = ppn << 13;
    if (p.slot === 0) {
      p.slot = this.nextSlot++;
      const table = this.table!;
      if (p.slot >= table.length) table.grow(table.length);
    }
    this.table!.set(p.slot, fn);
    this.slots[ppn] = p.slot;
    this.ran[ppn] = 0;
    if (pageCompiler !== null && !p.optimized && !p.baseline) {
      p.baseline = true;
      this.baselinePages.push(ppn);
    }
    const bits = this.blockBits;
    bits.fill(0, base >>> 5, (base + 8192) >>> 5);
    for (const o of starts) {
      const pa = base + o;
      bits[pa >>> 5] = bits[pa >>> 5]! | (1 << ((pa >>> 2) & 7));
      this.heat[heatIndex(pa)] = 0;
    }
    if (this.ram.watch[ppn] === 0) {
      this.ram.watch[ppn] = 1;
      this.mmu.protectPage(ppn);
    }
  }

  /**
   * A seeded page's first visit: its saved translation runs if the page
   * holds the words it was made from; otherwise the seed is dropped.
   */
  private restore(ppn: number, p: PageCode, seed: SavedPage): void {
    const t0 = performance.now();
    const words = this.ram.words;
    const at = ppn << 11;
    let same = true;
    for (let i = 0; i < WORDS; i++) {
      if (words[at + i] !== seed.words[i]) {
        same = false;
        break;
      }
    }
    let fn: PageFn | undefined;
    if (same) {
      try {
        fn = this.compile(seed.wasm, tierOf(p));
      } catch {
        fn = undefined;
      }
    }
    if (fn === undefined) {
      this.seeds.delete(ppn);
      for (const o of seed.starts) {
        const h = heatIndex((ppn << 13) + o);
        if (this.heat[h] === SEEDED) this.heat[h] = 0;
      }
      this.stats.stale++;
      return;
    }
    this.install(ppn, p, fn, seed.starts);
    p.saved = seed;
    this.stats.restored++;
    this.stats.translateMs += performance.now() - t0;
  }

  /**
   * Translations saved by an earlier run of the same machine: a page's
   * first visit then restores its translation (if the page holds the same
   * words) rather than waiting to get hot. Replaces any earlier seeds.
   */
  seed(pages: readonly SavedPage[]): void {
    this.seeds.clear();
    for (const page of pages) {
      if (page.ppn >= 0 && page.ppn < this.pages.length && page.words.length === WORDS) this.seeds.set(page.ppn, page);
    }
    this.markSeeds();
  }

  private markSeeds(): void {
    for (const seed of this.seeds.values()) {
      for (const o of seed.starts) {
        const h = heatIndex((seed.ppn << 13) + o);
        if (this.heat[h] !== NEVER) this.heat[h] = SEEDED;
      }
    }
  }

  /**
   * What to keep for the next run, by physical page: each page's latest
   * translation (restored ones included), and the seeds this run did not
   * reach (another workload's pages stay for its next run; a seed found
   * stale is gone).
   */
  savedPages(): SavedPage[] {
    const out = new Map<number, SavedPage>(this.seeds);
    for (const p of this.pages) if (p?.saved !== undefined) out.set(p.saved.ppn, p.saved);
    return [...out.values()].sort((a, b) => a.ppn - b.ppn);
  }

  /**
   * Compiles again, for the optimising tier, each page whose baseline code
   * has retired PROMOTE_AT instructions (see PageTier). The CPU calls it
   * between runs of WebAssembly, when no page function is running.
   */
  promote(): void {
    const list = this.baselinePages;
    for (let i = 0; i < list.length; i++) {
      const ppn = list[i]!;
      if ((this.ran[ppn]! >>> 0) < PROMOTE_AT) continue;
      list[i] = list[list.length - 1]!;
      list.pop();
      i--;
      const p = this.pages[ppn];
      if (p === undefined || !p.baseline || p.saved === undefined) continue;
      p.baseline = false;
      p.optimized = true;
      if (this.slots[ppn] === 0) continue; // dropped since: its next translation is compiled optimised
      let fn: PageFn;
      try {
        fn = this.compile(p.saved.wasm, 'optimized');
      } catch {
        continue; // the baseline code stays
      }
      this.table!.set(p.slot, fn);
      this.stats.promoted++;
    }
  }

  /** Page `ppn` was written: drop its code and stop watching it. */
  invalidate(ppn: number): void {
    const p = this.pages[ppn];
    this.ram.watch[ppn] = 0;
    this.mmu.unprotectPage(ppn);
    this.slots[ppn] = 0;
    const base = ppn << 13;
    this.blockBits.fill(0, base >>> 5, (base + 8192) >>> 5);
    for (let w = 0; w < WORDS; w++) {
      const h = heatIndex(base + (w << 2));
      if (this.heat[h] === NEVER) this.heat[h] = 0; // the new contents may be translatable
    }
    if (p !== undefined) {
      if (++p.invalidations >= MAX_INVALIDATIONS) p.banned = true;
    }
    this.stats.invalidations++;
    this.onInvalidate();
  }
}
