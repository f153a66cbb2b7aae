/**
 * The ext2/ext3 block map: 12 direct pointers in i_block, then single, double
 * and triple indirect blocks. A zero pointer at any level is a hole spanning
 * everything below it, skipped without reading.
 */
import { charge } from './blocks.ts';
import type { MapContext, Run } from './file-map.ts';

/** Logical blocks addressable through 12 direct pointers and three levels of indirection. */
export function indirectCapacity(blockSize: number): number {
  const p = blockSize / 4;
  return 12 + p + p * p + p * p * p;
}

export async function* indirectRuns(ctx: MapContext, block: Uint32Array, from: number, to: number): AsyncGenerator<Run> {
  for (let l = from; l < Math.min(12, to); l++) yield data(ctx, block[l]!, l);
  const p = ctx.blocks.g.blockSize / 4;
  let base = 12;
  for (let level = 1; level <= 3 && base < to; level++) {
    const span = p ** level;
    if (base + span > from) yield* walk(ctx, block[11 + level]!, level, base, from, to);
    base += span;
  }
}

function data(ctx: MapContext, ptr: number, logical: number): Run {
  if (ptr === 0) return { logical, physical: 0, count: 1 };
  ctx.blocks.check(ptr, 'block pointer', `inode ${ctx.ino}, logical block ${logical}`);
  charge(ctx.budget, 1);
  return { logical, physical: ptr, count: 1 };
}

async function* walk(ctx: MapContext, ptr: number, level: number, base: number, from: number, to: number): AsyncGenerator<Run> {
  const p = ctx.blocks.g.blockSize / 4;
  const child = p ** (level - 1);
  const lo = Math.max(from, base);
  const hi = Math.min(to, base + child * p);
  if (lo >= hi) return;
  if (ptr === 0) {
    yield { logical: lo, physical: 0, count: hi - lo };
    return;
  }
  const where = `inode ${ctx.ino}, logical block ${lo}`;
  const bytes = await ctx.blocks.readBlock(ptr, `${['', 'single', 'double', 'triple'][level]} indirect block`, where, ctx.budget);
  const v = new DataView(bytes.buffer);
  const first = Math.floor((lo - base) / child);
  const last = Math.ceil((hi - base) / child);
  for (let i = first; i < last; i++) {
    const b = v.getUint32(i * 4, true);
    const cbase = base + i * child;
    if (level === 1) yield data(ctx, b, cbase);
    else yield* walk(ctx, b, level - 1, cbase, from, to);
  }
}
