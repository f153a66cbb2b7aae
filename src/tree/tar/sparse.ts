/**
 * Sparse members: which byte ranges of a file are stored, the rest being
 * holes that read as zeros. Formats: old GNU ('S' headers, map in the header
 * and extension blocks), and GNU's pax formats 0.0 (repeated
 * GNU.sparse.offset/numbytes), 0.1 (GNU.sparse.map) and 1.0 (map at the
 * start of the member's data). Maps are validated: ascending, non-overlapping,
 * inside the file, and accounting exactly for the stored bytes.
 */
import { BLOCK, parseNumber } from './header.ts';
import type { PaxValues } from './pax.ts';
import { tarError, type TarWhere } from './tar-error.ts';

export interface SparseRegion { offset: number; length: number }

/** More regions than this is treated as a hostile map. */
export const MAX_SPARSE_REGIONS = 1 << 20;

const MAX = Number.MAX_SAFE_INTEGER;

function badMap(where: TarWhere, what: string): Error {
  return tarError('TAR_BAD_SPARSE', where, `invalid sparse map: ${what}`, 'the archive is corrupt; recreate it with GNU tar');
}

/** Regions in a run of 24-byte (offset, numbytes) slots; an empty offset field ends the list. */
function slots(block: Uint8Array, start: number, count: number, where: TarWhere, out: SparseRegion[]): void {
  for (let i = 0; i < count; i++) {
    const at = start + i * 24;
    if (block[at] === 0) return;
    out.push({ offset: parseNumber(block.subarray(at, at + 12), 'sparse offset', where), length: parseNumber(block.subarray(at + 12, at + 24), 'sparse numbytes', where) });
    if (out.length > MAX_SPARSE_REGIONS) throw badMap(where, `more than ${MAX_SPARSE_REGIONS} regions`);
  }
}

/** The old GNU sparse header: four slots, the real size, and whether extension blocks follow. */
export function gnuSparseHeader(block: Uint8Array, where: TarWhere): { regions: SparseRegion[]; realSize: number; extended: boolean } {
  const regions: SparseRegion[] = [];
  slots(block, 386, 4, where, regions);
  return { regions, realSize: parseNumber(block.subarray(483, 495), 'realsize', where), extended: block[482] !== 0 };
}

/** One old GNU sparse extension block: 21 slots and whether another block follows. */
export function gnuSparseExtension(block: Uint8Array, regions: SparseRegion[], where: TarWhere): boolean {
  slots(block, 0, 21, where, regions);
  return block[504] !== 0;
}

export type PaxSparse =
  | { version: '0.0' | '0.1'; realSize: number; regions: SparseRegion[] }
  | { version: '1.0'; realSize: number };

/** The pax sparse keywords of a member, or undefined when it is not sparse. */
export function paxSparse(pax: PaxValues, where: TarWhere): PaxSparse | undefined {
  const major = pax.text('GNU.sparse.major');
  const minor = pax.text('GNU.sparse.minor');
  if (major !== undefined || minor !== undefined) {
    if (major !== '1' || minor !== '0') {
      throw tarError('TAR_UNSUPPORTED', where, `GNU sparse format ${major ?? '?'}.${minor ?? '?'} is not supported`,
        'recreate the archive with GNU tar (sparse formats 0.0, 0.1 and 1.0 are read)', { major, minor });
    }
    const realSize = pax.integer('GNU.sparse.realsize', MAX, where) ?? pax.integer('GNU.sparse.size', MAX, where);
    if (realSize === undefined) throw badMap(where, 'GNU.sparse.realsize is missing');
    return { version: '1.0', realSize };
  }
  const hasMap = pax.has('GNU.sparse.map');
  const pairs = pax.records.filter((r) => r.key === 'GNU.sparse.offset' || r.key === 'GNU.sparse.numbytes');
  if (!hasMap && pairs.length === 0 && !pax.has('GNU.sparse.size') && !pax.has('GNU.sparse.numblocks')) return undefined;
  const realSize = pax.integer('GNU.sparse.size', MAX, where) ?? pax.integer('GNU.sparse.realsize', MAX, where);
  if (realSize === undefined) throw badMap(where, 'GNU.sparse.size is missing');
  const numbers: string[] = [];
  if (hasMap) {
    const text = pax.text('GNU.sparse.map')!;
    if (text !== '') numbers.push(...text.split(','));
  } else {
    // 0.0: offset and numbytes alternate, in order.
    for (let i = 0; i < pairs.length; i++) {
      const expected = i % 2 === 0 ? 'GNU.sparse.offset' : 'GNU.sparse.numbytes';
      if (pairs[i]!.key !== expected) throw badMap(where, `${pairs[i]!.key} out of order`);
      numbers.push(Buffer.from(pairs[i]!.value).toString('latin1'));
    }
  }
  if (numbers.length % 2 !== 0) throw badMap(where, 'an offset without a size');
  if (numbers.length / 2 > MAX_SPARSE_REGIONS) throw badMap(where, `more than ${MAX_SPARSE_REGIONS} regions`);
  const regions: SparseRegion[] = [];
  for (let i = 0; i < numbers.length; i += 2) regions.push({ offset: decimal(numbers[i]!, where), length: decimal(numbers[i + 1]!, where) });
  const declared = pax.integer('GNU.sparse.numblocks', MAX, where);
  if (declared !== undefined && declared !== regions.length) throw badMap(where, `GNU.sparse.numblocks is ${declared} but the map has ${regions.length} regions`);
  return { version: hasMap ? '0.1' : '0.0', realSize, regions };
}

function decimal(s: string, where: TarWhere): number {
  if (!/^\d+$/.test(s) || Number(s) > MAX) throw badMap(where, `${JSON.stringify(s)} is not a number`);
  return Number(s);
}

/**
 * Reads a sparse 1.0 map from the start of a member's data: decimal numbers,
 * one per line (count, then offset/size pairs), padded to whole blocks.
 * `readBlock` returns the next 512 bytes of the member's data.
 */
export async function readSparse10Map(readBlock: () => Promise<Uint8Array>, where: TarWhere): Promise<{ regions: SparseRegion[]; mapBytes: number }> {
  const regions: SparseRegion[] = [];
  let count = -1;
  let pending: number | undefined;
  let value = 0;
  let digits = 0;
  let mapBytes = 0;
  for (;;) {
    const block = await readBlock();
    mapBytes += BLOCK;
    for (let i = 0; i < BLOCK; i++) {
      const c = block[i]!;
      if (c >= 0x30 && c <= 0x39) {
        value = value * 10 + (c - 0x30);
        if (++digits > 16 || value > MAX) throw badMap(where, 'a number in the map is too large');
        continue;
      }
      if (c !== 0x0a || digits === 0) throw badMap(where, 'the map is not decimal numbers, one per line');
      if (count < 0) {
        count = value;
        if (count > MAX_SPARSE_REGIONS) throw badMap(where, `more than ${MAX_SPARSE_REGIONS} regions`);
      } else if (pending === undefined) {
        pending = value;
      } else {
        regions.push({ offset: pending, length: value });
        pending = undefined;
      }
      value = 0;
      digits = 0;
      if (count >= 0 && regions.length === count) return { regions, mapBytes };
    }
  }
}

/** Checks a map against the file's real size and the number of bytes stored. */
export function checkSparseMap(regions: SparseRegion[], realSize: number, stored: number, where: TarWhere): void {
  let end = 0;
  let total = 0;
  for (const r of regions) {
    if (r.offset < end) throw badMap(where, `region at ${r.offset} overlaps or precedes the previous one`);
    if (r.offset + r.length > realSize) throw badMap(where, `region ${r.offset}+${r.length} lies beyond the file's size ${realSize}`);
    end = r.offset + r.length;
    total += r.length;
  }
  if (total !== stored) throw badMap(where, `the map accounts for ${total} bytes but ${stored} are stored`);
}
