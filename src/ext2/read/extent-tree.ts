/**
 * The ext4 extent tree: a 12-byte header and up to four entries in i_block,
 * index nodes pointing at tree blocks, leaves mapping runs of up to 32,768
 * blocks (above that, the length marks an unwritten extent, which reads as
 * zeros). Checked as it is walked: header magic, entry counts against the
 * node's room, depth at most 5 and falling by one per level, entries in
 * order and inside the range their parent gave them, blocks inside the file
 * system.
 */
import { charge } from './blocks.ts';
import { corrupt } from './errors.ts';
import type { MapContext, Run } from './file-map.ts';

const EXTENT_MAGIC = 0xf30a;
const MAX_DEPTH = 5;
const INIT_MAX_LEN = 32768;

interface Walk {
  ctx: MapContext;
  /** Next logical block to produce. */
  next: number;
  to: number;
  done: boolean;
}

export async function* extentRuns(ctx: MapContext, root: Uint8Array, from: number, to: number): AsyncGenerator<Run> {
  const w: Walk = { ctx, next: from, to, done: from >= to };
  if (!w.done) yield* node(w, root, 4, -1, 0, 2 ** 32, `inode ${ctx.ino} (extent root)`);
  if (w.next < to) yield { logical: w.next, physical: 0, count: to - w.next };
}

async function* node(w: Walk, bytes: Uint8Array, room: number, wantDepth: number, start: number, end: number, where: string): AsyncGenerator<Run> {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = v.getUint16(0, true);
  const entries = v.getUint16(2, true);
  const max = v.getUint16(4, true);
  const depth = v.getUint16(6, true);
  if (magic !== EXTENT_MAGIC) throw corrupt(`extent header magic 0x${magic.toString(16)} (want 0xf30a)`, where);
  if (max > room || entries > max) throw corrupt(`extent node with ${entries} of ${max} entries (room for ${room})`, where);
  if (wantDepth < 0 ? depth > MAX_DEPTH : depth !== wantDepth) throw corrupt(`extent tree depth ${depth}${wantDepth < 0 ? ` (at most ${MAX_DEPTH})` : ` (want ${wantDepth})`}`, where);
  const blocks = w.ctx.blocks;
  if (depth === 0) {
    let prevEnd = start;
    for (let i = 0; i < entries && !w.done; i++) {
      const o = 12 + i * 12;
      const logical = v.getUint32(o, true);
      const raw = v.getUint16(o + 4, true);
      const unwritten = raw > INIT_MAX_LEN;
      const len = unwritten ? raw - INIT_MAX_LEN : raw;
      const physical = v.getUint16(o + 6, true) * 2 ** 32 + v.getUint32(o + 8, true);
      const at = `${where}, extent ${i}`;
      if (len === 0) throw corrupt('extent of length 0', at);
      if (logical < prevEnd || logical + len > end) throw corrupt(`extent for logical blocks ${logical}-${logical + len - 1} out of order or outside ${start}-${end - 1}`, at);
      if (physical < blocks.minBlock || physical + len > blocks.g.blocksCount) {
        throw corrupt(`extent blocks ${physical}-${physical + len - 1} outside the file system (blocks ${blocks.minBlock} to ${blocks.g.blocksCount - 1})`, at);
      }
      prevEnd = logical + len;
      if (logical >= w.to) { w.done = true; break; }
      if (prevEnd <= w.next) continue;
      if (logical > w.next) {
        yield { logical: w.next, physical: 0, count: logical - w.next };
        w.next = logical;
      }
      const stop = Math.min(prevEnd, w.to);
      charge(w.ctx.budget, stop - w.next);
      yield { logical: w.next, physical: unwritten ? 0 : physical + (w.next - logical), count: stop - w.next };
      w.next = stop;
      if (w.next >= w.to) w.done = true;
    }
    return;
  }
  let prev = -1;
  for (let i = 0; i < entries && !w.done; i++) {
    const o = 12 + i * 12;
    const logical = v.getUint32(o, true);
    const child = v.getUint16(o + 8, true) * 2 ** 32 + v.getUint32(o + 4, true);
    const at = `${where}, index ${i}`;
    if (logical <= prev || logical >= end || (i > 0 && logical < start)) throw corrupt(`extent index for logical block ${logical} out of order or outside ${start}-${end - 1}`, at);
    prev = logical;
    const childEnd = i + 1 < entries ? Math.min(end, v.getUint32(o + 12, true)) : end;
    if (logical >= w.to) { w.done = true; break; }
    if (childEnd <= w.next) continue;
    const bytesOfChild = await blocks.readBlock(child, 'extent tree block', at, w.ctx.budget);
    yield* node(w, bytesOfChild, (blocks.g.blockSize - 12) / 12, depth - 1, Math.max(start, logical), childEnd, `inode ${w.ctx.ino} extent block ${child}`);
  }
}
