/**
 * The classic ext2 block map: 12 direct pointers, then one single-, one
 * double- and one triple-indirect block. Given which logical blocks hold data
 * (holes are simply absent), allocates data and indirect blocks in the order
 * the kernel would (an indirect block just before the first data block it
 * maps) and returns i_block, the data runs and the indirect blocks' contents.
 */
import { CountingAllocator, type Allocator } from './allocator.ts';

export const NDIR = 12;

/** A run of logical blocks holding data. */
export interface LogicalRun { logical: number; count: number }
/** A run of logical blocks stored in consecutive physical blocks. */
export interface MappedRun { phys: number; logical: number; count: number }
/** An indirect block: its physical number and its pointer words. */
export interface IndirectBlock { phys: number; words: Uint32Array }

export interface BlockMap {
  iBlock: Uint32Array;
  data: MappedRun[];
  indirect: IndirectBlock[];
  /** Data plus indirect blocks. */
  blocks: number;
}

/** Largest number of logical blocks a block map can address. */
export function maxLogicalBlocks(blockSize: number): number {
  const p = blockSize / 4;
  return NDIR + p + p * p + p * p * p;
}

export function mapBlocks(runs: readonly LogicalRun[], blockSize: number, alloc: Allocator): BlockMap {
  const p = blockSize / 4;
  const p2 = p * p;
  const iBlock = new Uint32Array(15);
  const data: MappedRun[] = [];
  const indirect: IndirectBlock[] = [];
  let blocks = 0;
  const newTable = (): IndirectBlock => {
    const t = { phys: alloc.take(1).start, words: new Uint32Array(p) };
    indirect.push(t);
    blocks++;
    return t;
  };
  // Current tables and the key (logical index range) they serve.
  let ind: IndirectBlock | null = null; let indKey = -1;
  let dind: IndirectBlock | null = null; let dindKey = -1;
  let tind: IndirectBlock | null = null;

  for (const run of runs) {
    let l = run.logical;
    const end = run.logical + run.count;
    while (l < end) {
      // Locate the pointer slot for block l and how many following blocks share its table.
      let table: Uint32Array;
      let slot: number;
      let span: number;
      if (l < NDIR) {
        table = iBlock; slot = l; span = NDIR - l;
      } else if (l < NDIR + p) {
        if (indKey !== 0) { const t = newTable(); iBlock[12] = t.phys; ind = t; indKey = 0; }
        table = ind!.words; slot = l - NDIR; span = p - slot;
      } else if (l < NDIR + p + p2) {
        const r = l - NDIR - p;
        if (dindKey !== 0) { const t = newTable(); iBlock[13] = t.phys; dind = t; dindKey = 0; }
        const key = 1 + Math.floor(r / p);
        if (indKey !== key) { const t = newTable(); dind!.words[key - 1] = t.phys; ind = t; indKey = key; }
        table = ind!.words; slot = r % p; span = p - slot;
      } else {
        const r = l - NDIR - p - p2;
        if (tind === null) { const t = newTable(); iBlock[14] = t.phys; tind = t; }
        const dk = 1 + p + Math.floor(r / p2);
        if (dindKey !== dk) { const t = newTable(); tind.words[dk - 1 - p] = t.phys; dind = t; dindKey = dk; }
        const key = -1 - Math.floor(r / p) - 1;
        if (indKey !== key) { const t = newTable(); dind!.words[Math.floor(r / p) % p] = t.phys; ind = t; indKey = key; }
        table = ind!.words; slot = r % p; span = p - slot;
      }
      const range = alloc.take(Math.min(span, end - l));
      for (let i = 0; i < range.count; i++) table[slot + i] = range.start + i;
      const prev = data[data.length - 1];
      if (prev && prev.phys + prev.count === range.start && prev.logical + prev.count === l) prev.count += range.count;
      else data.push({ phys: range.start, logical: l, count: range.count });
      blocks += range.count;
      l += range.count;
    }
  }
  return { iBlock, data, indirect, blocks };
}

/** Data plus indirect blocks mapBlocks would allocate for `runs` (without allocating anything when they all fit the direct pointers). */
export function countBlocks(runs: readonly LogicalRun[], blockSize: number): number {
  const last = runs[runs.length - 1];
  if (last === undefined) return 0;
  if (last.logical + last.count > NDIR) {
    const counter = new CountingAllocator();
    mapBlocks(runs, blockSize, counter);
    return counter.used;
  }
  let n = 0;
  for (const r of runs) n += r.count;
  return n;
}

/** Little-endian bytes of an indirect block. */
export function indirectBytes(words: Uint32Array): Uint8Array {
  const out = new Uint8Array(words.length * 4);
  const v = new DataView(out.buffer);
  for (let i = 0; i < words.length; i++) v.setUint32(i * 4, words[i]!, true);
  return out;
}
