/**
 * The code cache: which physical pages have translated code, when to
 * translate, and invalidation.
 *
 * - Keyed by physical page (8 KiB): one page function per page
 *   (translate.ts), valid for any virtual mapping of the page.
 * - Heat: the CPU's dispatcher asks `lookup(page, offset)` at every block
 *   boundary the interpreter reaches. A block start seen `hot` times makes
 *   its page (re)translated with every block start already translated or
 *   seen hot/8 times. Only really hot code is worth it. In the busybox boot
 *   (42.8 M instructions), the blocks run 1,000+ times are 2 % of those run
 *   at all and retire 79 % of the instructions, but V8 spends ~150 us of
 *   optimising-compiler time per translated guest instruction when a
 *   module tiers up, and a boot's warm code leaves translated code often
 *   (each exit is a JS/WebAssembly transition). Measured boot times
 *   (interpreter alone: 1.21 s): threshold 1,000: 1.85 s; 5,000: 1.36 s;
 *   20,000: 1.17 s. A CPU-bound loop is translated within microseconds of
 *   guest time at any of them (bench/cpu.bench.ts), so the default is high.
 * - Coherence: a translated page is *watched* (Ram.watch): the MMU gives
 *   it no fast store entry, and any write to it (a CPU store through the
 *   slow path, or device DMA) calls `invalidate`, which drops the page's
 *   code and asks the CPU to leave its run loop, so a function that has
 *   just modified its own page does not run on. A page invalidated
 *   `MAX_INVALIDATIONS` times (code and hot data sharing a page) is left to
 *   the interpreter for good.
 */
import type { Ram } from '../../memory/ram.ts';
import { wasmApi } from '../../memory/wasm-api.ts';
import type { Mmu } from '../mmu.ts';
import { translatePage, type Layout } from './translate.ts';

/** A page function (translate.ts): `(pb, off, lim, flags, rtb, wtb) => retired`. */
export type PageFn = (pb: number, off: number, lim: number, flags: number, rtb: number, wtb: number) => number;

/** The CPU's slow paths, imported by every page module. */
export interface SlowPaths {
  ld(va: number, kind: number, pcds: number, retired: number, f: number, cy: number, ov: number, after: number): number;
  st(va: number, size: number, value: number, pcds: number, retired: number, f: number, cy: number, ov: number, after: number): number;
}

const WORDS = 2048;
/** Default visits of a block start before its page is translated (see `hot`). */
export const DEFAULT_HOT = 16000;
/** hits[] mark of an offset where no block can start (first instruction not translatable). */
const NEVER = 0xffff;
const MAX_INVALIDATIONS = 64;

class PageCode {
  fn: PageFn | null = null;
  /** Word offset -> 1 where `fn` has a block. */
  blocks: Uint8Array | null = null;
  readonly hits = new Uint16Array(WORDS);
  invalidations = 0;
  banned = false;
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
}

export class CodeCache {
  private pages: (PageCode | undefined)[];
  readonly stats: CodeCacheStats = { translations: 0, invalidations: 0, blocks: 0, insns: 0, translateMs: 0, compileMs: 0 };

  private readonly imports: Record<string, Record<string, unknown>>;
  /**
   * Visits of a block start (by the interpreter) before its page is
   * (re)translated; at a translation, starts seen hot/8 times are included
   * too (they are warming up). 1..65534; tests use 1 to translate at once.
   */
  hot = DEFAULT_HOT;

  constructor(
    private readonly ram: Ram,
    private readonly mmu: Mmu,
    private readonly layout: Layout,
    slow: SlowPaths,
    /** Called after a page's code was dropped (the CPU leaves its loop). */
    private readonly onInvalidate: () => void,
  ) {
    this.pages = new Array<PageCode | undefined>(ram.size >>> 13).fill(undefined);
    ram.onWatchedWrite = (page) => this.invalidate(page);
    this.imports = { env: { mem: ram.memory, ld: slow.ld, st: slow.st } };
  }

  /** The host can run translated code (it has WebAssembly, and RAM is its memory). */
  get available(): boolean {
    return wasmApi !== null && this.ram.memory !== null;
  }

  /** Forgets every translation (CPU reset, or RAM rewritten behind the CPU's back). */
  reset(): void {
    this.pages.fill(undefined);
    this.ram.watch.fill(0);
    this.mmu.identityWrite.set(this.mmu.identity);
  }

  /**
   * The function to run for the block at byte offset `off` of physical page
   * `ppn`, or null to interpret it (this visit is counted).
   */
  lookup(ppn: number, off: number): PageFn | null {
    let p = this.pages[ppn];
    if (p === undefined) {
      p = new PageCode();
      this.pages[ppn] = p;
    }
    const w = off >>> 2;
    if (p.blocks !== null && p.blocks[w] !== 0) return p.fn;
    if (p.banned) return null;
    const h = p.hits[w]!;
    if (h < this.hot) {
      p.hits[w] = h + 1;
      return null;
    }
    if (h === NEVER) return null;
    this.translate(ppn, p);
    if (p.blocks![w] !== 0) return p.fn;
    p.hits[w] = NEVER;
    return null;
  }

  private translate(ppn: number, p: PageCode): void {
    const t0 = performance.now();
    const entries: number[] = [];
    const warm = this.hot >>> 3;
    for (let w = 0; w < WORDS; w++) {
      const h = p.hits[w]!;
      if ((h >= warm && h !== 0 && h !== NEVER) || (p.blocks !== null && p.blocks[w] !== 0)) entries.push(w << 2);
    }
    const tr = translatePage(this.ram.words, ppn << 11, entries, this.layout);
    const t1 = performance.now();
    const api = wasmApi!;
    const instance = new api.Instance(new api.Module(tr.wasm), this.imports);
    this.stats.compileMs += performance.now() - t1;
    p.fn = instance.exports.f as PageFn;
    p.blocks = new Uint8Array(WORDS);
    for (const o of tr.starts) p.blocks[o >>> 2] = 1;
    if (this.ram.watch[ppn] === 0) {
      this.ram.watch[ppn] = 1;
      this.mmu.protectPage(ppn);
    }
    const s = this.stats;
    s.translations++;
    s.blocks += tr.starts.length;
    s.insns += tr.insns;
    s.translateMs += performance.now() - t0;
  }

  /** Page `ppn` was written: drop its code and stop watching it. */
  invalidate(ppn: number): void {
    const p = this.pages[ppn];
    this.ram.watch[ppn] = 0;
    this.mmu.unprotectPage(ppn);
    if (p !== undefined) {
      p.fn = null;
      p.blocks = null;
      p.hits.fill(0);
      if (++p.invalidations >= MAX_INVALIDATIONS) p.banned = true;
    }
    this.stats.invalidations++;
    this.onInvalidate();
  }
}
