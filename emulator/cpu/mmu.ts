/**
 * The or1k MMUs as Linux drives them: a data TLB and an instruction TLB,
 * each 128 sets x 1 way of 8 KiB pages, refilled in software through the
 * DTLBW0MR/TR and ITLBW0MR/TR SPRs (or1k-platform.md §3).
 *
 * In front of them sit host-side translation tables, one Int32Array entry
 * per 8 KiB virtual page (2^19 entries, 2 MiB each): `pagePA | 1` when the
 * page may be accessed that way and lies in RAM, 0 otherwise (= take the
 * slow path, which walks the TLB, raises the fault or reaches MMIO).
 * There is one table per (access kind, privilege): supervisor/user x
 * read/write/execute, plus one identity table shared by all accesses while
 * the corresponding MMU is off. Because privilege and MMU-enable select a
 * table instead of being baked into entries, SR changes, exception entry and
 * l.rfe need no flush at all; only TLB register writes invalidate, and
 * exactly: a fast entry for virtual page V can only have been filled from TLB
 * set V & 127, so writing that set clears the entries of the page the set
 * mapped before the write.
 *
 * Pages holding translated code (`watch[ppn]` non-zero, see
 * emulator/memory/ram.ts) never get a fast *write* entry: stores to them take
 * the slow path, whose RAM write tells the code cache. With the MMU off,
 * stores use `identityWrite`, the identity map minus the watched pages.
 */
import { TLB } from './spr.ts';

export const PAGE_BITS = 13;
export const PAGE_SIZE = 1 << PAGE_BITS;
export const PAGE_MASK = PAGE_SIZE - 1;
export const TLB_SETS = 128;
const PAGES = 1 << (32 - PAGE_BITS);

/** Result codes of `lookup` (a physical address is always >= 0). */
export const MISS = -1;
export const FAULT = -2;

export const Access = { READ: 0, WRITE: 1, EXEC: 2 } as const;

/** Indexes of the MMU-on tables for `Mmu.table` (user = supervisor + 2 for data, + 1 for exec). */
export const TABLE = { SUP_READ: 0, SUP_WRITE: 1, USER_READ: 2, USER_WRITE: 3, SUP_EXEC: 4, USER_EXEC: 5 } as const;
export type AccessKind = (typeof Access)[keyof typeof Access];

export class Mmu {
  readonly dtlbMr: Int32Array;
  readonly dtlbTr: Int32Array;
  readonly itlbMr: Int32Array;
  readonly itlbTr: Int32Array;

  /** Identity map of RAM pages (MMU off). */
  readonly identity: Int32Array;
  /** The identity map for stores: watched (code) pages left out. */
  readonly identityWrite: Int32Array;
  private readonly ramSize: number;
  private readonly watch: Uint8Array;
  /** The six MMU-on tables (TABLE order), side by side in memory. */
  readonly tables: Int32Array[];

  /** The MMU-on table `i` (a TABLE value). */
  table(i: number): Int32Array { return this.tables[i]!; }

  /**
   * `alloc` provides the TLBs' and tables' memory (the CPU passes Ram.arena,
   * so that WebAssembly reads and writes them in place; an untouched table
   * costs no memory there); plain arrays by default.
   */
  constructor(
    ramSize: number,
    watch: Uint8Array = new Uint8Array(ramSize >>> PAGE_BITS),
    alloc: (words: number) => Int32Array = (words) => new Int32Array(words),
  ) {
    this.ramSize = ramSize;
    this.watch = watch;
    this.dtlbMr = alloc(TLB_SETS);
    this.dtlbTr = alloc(TLB_SETS);
    this.itlbMr = alloc(TLB_SETS);
    this.itlbTr = alloc(TLB_SETS);
    this.identity = alloc(PAGES);
    for (let p = 0; p < ramSize >>> PAGE_BITS; p++) this.identity[p] = (p << PAGE_BITS) | 1;
    this.identityWrite = alloc(PAGES);
    this.identityWrite.set(this.ramIdentity());
    this.tables = Array.from({ length: 6 }, () => alloc(PAGES));
  }

  /** The identity map's RAM pages (past RAM it is all zero, in both maps): what a reset copies, not all 2 MiB. */
  private ramIdentity(): Int32Array {
    return this.identity.subarray(0, this.ramSize >>> PAGE_BITS);
  }

  /** Drops every fast store entry that reaches physical page `ppn` (it now holds code). */
  protectPage(ppn: number): void {
    this.identityWrite[ppn] = 0;
    const t = this.tables;
    for (let set = 0; set < TLB_SETS; set++) {
      const mr = this.dtlbMr[set]!;
      if ((mr & 1) !== 0 && this.dtlbTr[set]! >>> PAGE_BITS === ppn) {
        t[TABLE.SUP_WRITE]![mr >>> PAGE_BITS] = 0;
        t[TABLE.USER_WRITE]![mr >>> PAGE_BITS] = 0;
      }
    }
  }

  /** Page `ppn` holds no code any more: stores may take the fast path again (MMU-on entries refill lazily). */
  unprotectPage(ppn: number): void {
    this.identityWrite[ppn] = this.identity[ppn]!;
  }

  reset(): void {
    // A fast entry for page V only exists while TLB set V & 127 maps V (see
    // writeDtlb): clearing the pages the sets map clears every table, without
    // touching 12 MiB.
    const t = this.tables;
    for (let set = 0; set < TLB_SETS; set++) {
      const d = this.dtlbMr[set]! >>> PAGE_BITS, i = this.itlbMr[set]! >>> PAGE_BITS;
      t[0]![d] = t[1]![d] = t[2]![d] = t[3]![d] = 0;
      t[4]![i] = t[5]![i] = 0;
    }
    this.dtlbMr.fill(0);
    this.dtlbTr.fill(0);
    this.itlbMr.fill(0);
    this.itlbTr.fill(0);
    this.identityWrite.set(this.ramIdentity());
  }

  /** Writes a DTLB match (tr=false) or translate (tr=true) register. */
  writeDtlb(set: number, tr: boolean, value: number): void {
    const old = this.dtlbMr[set]! >>> PAGE_BITS;
    const t = this.tables;
    t[0]![old] = 0;
    t[1]![old] = 0;
    t[2]![old] = 0;
    t[3]![old] = 0;
    if (tr) this.dtlbTr[set] = value;
    else this.dtlbMr[set] = value;
  }

  writeItlb(set: number, tr: boolean, value: number): void {
    const old = this.itlbMr[set]! >>> PAGE_BITS;
    const t = this.tables;
    t[4]![old] = 0;
    t[5]![old] = 0;
    if (tr) this.itlbTr[set] = value;
    else this.itlbMr[set] = value;
  }

  /**
   * Translates `va` through the TLB (MMU on). Returns the physical address,
   * MISS (no valid matching entry) or FAULT (match without the permission).
   * On success with the page in RAM, fills the fast table for this access.
   */
  lookup(va: number, kind: AccessKind, supervisor: boolean): number {
    const vpn = va >>> PAGE_BITS;
    const set = vpn & (TLB_SETS - 1);
    const exec = kind === Access.EXEC;
    const mr = exec ? this.itlbMr[set]! : this.dtlbMr[set]!;
    if ((mr & 1) === 0 || mr >>> PAGE_BITS !== vpn) return MISS;
    const tr = exec ? this.itlbTr[set]! : this.dtlbTr[set]!;
    let need: number;
    if (exec) need = supervisor ? TLB.SXE : TLB.UXE;
    else if (kind === Access.WRITE) need = supervisor ? TLB.SWE : TLB.UWE;
    else need = supervisor ? TLB.SRE : TLB.URE;
    if ((tr & need) === 0) return FAULT;
    const pageBase = (tr >>> PAGE_BITS) << PAGE_BITS;
    const pa = (pageBase | (va & PAGE_MASK)) >>> 0;
    if ((pageBase >>> 0) < this.ramSize && (kind !== Access.WRITE || this.watch[pageBase >>> PAGE_BITS] === 0)) {
      const user = supervisor ? 0 : 1;
      const i = exec ? TABLE.SUP_EXEC + user : (kind === Access.WRITE ? TABLE.SUP_WRITE : TABLE.SUP_READ) + 2 * user;
      this.table(i)[vpn] = pageBase | 1;
    }
    return pa;
  }
}
