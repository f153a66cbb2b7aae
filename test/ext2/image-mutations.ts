/**
 * Seeded mutations of ext2/3/4 images for fuzzing the reader: bit flips and
 * whole-block damage aimed at metadata, truncations, and "field smashing"
 * (one superblock, group descriptor, inode or directory entry field set to a
 * boundary value). It finds its targets with its own minimal parsing of the
 * image (independent of src/ext2/read), and never throws on odd input: a
 * mutation it cannot aim falls back to a bit flip.
 */

import { mulberry32 } from '../helpers/prng.ts';

/** A small deterministic PRNG (mulberry32). */
export class Rng {
  readonly next: () => number;
  constructor(seed: number) { this.next = mulberry32(seed); }
  int(n: number): number { return Math.floor(this.next() * n); }
  pick<T>(xs: readonly T[]): T { return xs[this.int(xs.length)]!; }
}

export type MutationKind = 'flip' | 'truncate' | 'superblock' | 'group-desc' | 'inode' | 'block-map' | 'dirent' | 'block';
export const MUTATION_KINDS: readonly MutationKind[] = ['flip', 'truncate', 'superblock', 'group-desc', 'inode', 'block-map', 'dirent', 'block'];

export interface Mutation { bytes: Uint8Array; kind: MutationKind; description: string }

interface Field { name: string; offset: number; size: 1 | 2 | 4 }

const SB_FIELDS: Field[] = [
  { name: 's_inodes_count', offset: 0, size: 4 }, { name: 's_blocks_count', offset: 4, size: 4 },
  { name: 's_first_data_block', offset: 20, size: 4 }, { name: 's_log_block_size', offset: 24, size: 4 },
  { name: 's_log_cluster_size', offset: 28, size: 4 }, { name: 's_blocks_per_group', offset: 32, size: 4 },
  { name: 's_clusters_per_group', offset: 36, size: 4 }, { name: 's_inodes_per_group', offset: 40, size: 4 },
  { name: 's_magic', offset: 56, size: 2 }, { name: 's_rev_level', offset: 76, size: 4 },
  { name: 's_first_ino', offset: 84, size: 4 }, { name: 's_inode_size', offset: 88, size: 2 },
  { name: 's_feature_compat', offset: 92, size: 4 }, { name: 's_feature_incompat', offset: 96, size: 4 },
  { name: 's_feature_ro_compat', offset: 100, size: 4 }, { name: 's_desc_size', offset: 254, size: 2 },
  { name: 's_first_meta_bg', offset: 260, size: 4 }, { name: 's_blocks_count_hi', offset: 336, size: 4 },
  { name: 's_min_extra_isize', offset: 348, size: 2 }, { name: 's_log_groups_per_flex', offset: 372, size: 1 },
];
const GD_FIELDS: Field[] = [
  { name: 'bg_block_bitmap', offset: 0, size: 4 }, { name: 'bg_inode_bitmap', offset: 4, size: 4 },
  { name: 'bg_inode_table', offset: 8, size: 4 }, { name: 'bg_flags', offset: 18, size: 2 },
  { name: 'bg_itable_unused', offset: 28, size: 2 }, { name: 'bg_inode_table_hi', offset: 40, size: 4 },
];
const INODE_FIELDS: Field[] = [
  { name: 'i_mode', offset: 0, size: 2 }, { name: 'i_size', offset: 4, size: 4 }, { name: 'i_links_count', offset: 26, size: 2 },
  { name: 'i_blocks', offset: 28, size: 4 }, { name: 'i_flags', offset: 32, size: 4 }, { name: 'i_file_acl', offset: 104, size: 4 },
  { name: 'i_size_high', offset: 108, size: 4 }, { name: 'i_blocks_hi', offset: 116, size: 2 }, { name: 'i_extra_isize', offset: 128, size: 2 },
];
const DIRENT_FIELDS: Field[] = [
  { name: 'inode', offset: 0, size: 4 }, { name: 'rec_len', offset: 4, size: 2 }, { name: 'name_len', offset: 6, size: 1 }, { name: 'file_type', offset: 7, size: 1 },
];

/** Values at the edges: zero, one, sign bits, all ones, and near the original. */
function boundaryValue(rng: Rng, size: 1 | 2 | 4, original: number): number {
  const max = size === 4 ? 0xffffffff : size === 2 ? 0xffff : 0xff;
  const choices = [0, 1, 2, 3, 7, 8, 12, 0x7f, 0x80, 0xff, 0x100, 0x7fff, 0x8000, 0xffff, 0x10000, 0x7fffffff, 0x80000000, 0xffffffff,
    original + 1, original - 1, original * 2, original * 1024, original ^ (1 << rng.int(size * 8)), rng.int(max + 1)];
  return (rng.pick(choices) >>> 0) & max;
}

function put(b: Uint8Array, offset: number, size: number, value: number): void {
  for (let i = 0; i < size && offset + i < b.length; i++) b[offset + i] = (value >>> (8 * i)) & 0xff;
}
function get(b: Uint8Array, offset: number, size: number): number {
  let v = 0;
  for (let i = 0; i < size && offset + i < b.length; i++) v += b[offset + i]! * 2 ** (8 * i);
  return v;
}

/** Where the metadata of an (intact) image lies, as found by a minimal parse. */
interface Geometry {
  blockSize: number;
  inodeSize: number;
  descSize: number;
  gdtOffset: number;
  groups: number;
  inodeTable: number;
  /** Byte offsets of a few used inodes (root first). */
  inodes: number[];
  /** Byte offsets of directory blocks (the root directory's first). */
  dirBlocks: number[];
  /** Byte ranges worth damaging. */
  regions: [number, number][];
}

function geometry(img: Uint8Array): Geometry | null {
  if (img.length < 2048 || get(img, 1024 + 56, 2) !== 0xef53) return null;
  const log = get(img, 1024 + 24, 4);
  if (log > 6) return null;
  const blockSize = 1024 << log;
  const rev = get(img, 1024 + 76, 4);
  const inodeSize = rev === 0 ? 128 : get(img, 1024 + 88, 2);
  const incompat = get(img, 1024 + 96, 4);
  const descSize = incompat & 0x80 ? get(img, 1024 + 254, 2) || 32 : 32;
  const firstData = get(img, 1024 + 20, 4);
  const bpg = get(img, 1024 + 32, 4) || 1;
  const blocks = get(img, 1024 + 4, 4);
  const groups = Math.min(4096, Math.ceil((blocks - firstData) / bpg));
  const gdtOffset = (firstData + 1) * blockSize;
  const inodeTable = get(img, gdtOffset + 8, 4) * blockSize;
  const inodes: number[] = [];
  const ipg = get(img, 1024 + 40, 4);
  for (let i = 1; i < Math.min(ipg, 64); i++) {
    const o = inodeTable + i * inodeSize;
    if (o + inodeSize > img.length) break;
    if (get(img, o, 2) !== 0 && get(img, o + 26, 2) !== 0) inodes.push(o);
  }
  const dirBlocks: number[] = [];
  for (const o of inodes) {
    if ((get(img, o, 2) & 0o170000) !== 0o040000) continue;
    const flags = get(img, o + 32, 4);
    if (flags & 0x10000000) continue; // inline data
    let block = get(img, o + 40, 4);
    if (flags & 0x80000 && get(img, o + 40, 2) === 0xf30a && get(img, o + 46, 2) === 0) block = get(img, o + 40 + 12 + 8, 4) + get(img, o + 40 + 12 + 6, 2) * 2 ** 32;
    if (block > 0 && (block + 1) * blockSize <= img.length) dirBlocks.push(block * blockSize);
  }
  const regions: [number, number][] = [[1024, 2048], [gdtOffset, gdtOffset + Math.max(blockSize, groups * descSize)]];
  if (inodes.length) regions.push([inodeTable, inodeTable + 64 * inodeSize]);
  for (const d of dirBlocks.slice(0, 8)) regions.push([d, d + blockSize]);
  return { blockSize, inodeSize, descSize, gdtOffset, groups, inodeTable, inodes, dirBlocks, regions: regions.filter(([a, b]) => a < img.length && b > a).map(([a, b]) => [a, Math.min(b, img.length)]) };
}

function flip(rng: Rng, out: Uint8Array, g: Geometry | null): string {
  const n = 1 + rng.int(16);
  const where: number[] = [];
  for (let i = 0; i < n; i++) {
    let o: number;
    if (g && g.regions.length && rng.next() < 0.9) {
      const [a, b] = rng.pick(g.regions);
      o = a + rng.int(b - a);
    } else o = rng.int(out.length);
    out[o]! ^= 1 << rng.int(8);
    where.push(o);
  }
  return `flipped ${n} bit(s) at bytes ${where.slice(0, 4).join(',')}${n > 4 ? ',…' : ''}`;
}

function smash(rng: Rng, out: Uint8Array, base: number, fields: Field[], what: string): string {
  const f = rng.pick(fields);
  const old = get(out, base + f.offset, f.size);
  const value = boundaryValue(rng, f.size, old);
  put(out, base + f.offset, f.size, value);
  return `${what} ${f.name} ${old} -> ${value}`;
}

/** Entry start offsets in a directory block, following the (intact) rec_len chain. */
function direntOffsets(img: Uint8Array, block: number, blockSize: number): number[] {
  const out: number[] = [];
  let pos = 0;
  while (pos + 8 <= blockSize && out.length < 64) {
    out.push(block + pos);
    const len = get(img, block + pos + 4, 2);
    if (len < 8) break;
    pos += len;
  }
  return out;
}

/** One seeded mutation of `img` (which is not modified). */
export function mutateImage(img: Uint8Array, seed: number, kind?: MutationKind): Mutation {
  const rng = new Rng(seed);
  const k = kind ?? rng.pick(MUTATION_KINDS);
  const g = geometry(img);
  if (k === 'truncate') {
    // Mostly inside the metadata, sometimes anywhere, sometimes one block short.
    const r = rng.next();
    const len = r < 0.15 ? img.length - (g?.blockSize ?? 1024) : r < 0.6 && g ? rng.pick(g.regions)[0] + rng.int(g.blockSize) : rng.int(img.length);
    const n = Math.max(0, Math.min(img.length - 1, len));
    return { bytes: img.slice(0, n), kind: k, description: `truncated to ${n} of ${img.length} bytes` };
  }
  const out = img.slice();
  let description: string;
  if (!g) description = flip(rng, out, g);
  else if (k === 'superblock') description = smash(rng, out, 1024, SB_FIELDS, 'superblock');
  else if (k === 'group-desc') {
    const group = rng.next() < 0.6 ? 0 : rng.int(Math.max(1, g.groups));
    description = smash(rng, out, g.gdtOffset + group * g.descSize, g.descSize >= 64 ? GD_FIELDS : GD_FIELDS.filter((f) => f.offset < 32), `group ${group}`);
  } else if (k === 'inode' && g.inodes.length) {
    const o = rng.next() < 0.3 ? g.inodes[0]! : rng.pick(g.inodes);
    description = smash(rng, out, o, g.inodeSize > 128 ? INODE_FIELDS : INODE_FIELDS.filter((f) => f.offset < 128), `inode at byte ${o}`);
  } else if (k === 'block-map' && g.inodes.length) {
    const o = rng.pick(g.inodes);
    const word = rng.int(15);
    const old = get(out, o + 40 + word * 4, 4);
    const value = boundaryValue(rng, rng.next() < 0.5 ? 2 : 4, old);
    const size = rng.next() < 0.5 ? 2 : 4;
    put(out, o + 40 + word * 4 + (size === 2 ? 2 * rng.int(2) : 0), size, value);
    description = `inode at byte ${o} i_block word ${word} ${old} -> ${value}`;
  } else if (k === 'dirent' && g.dirBlocks.length) {
    const block = rng.pick(g.dirBlocks);
    const entries = direntOffsets(out, block, g.blockSize);
    const e = rng.pick(entries);
    description = smash(rng, out, e, DIRENT_FIELDS, `directory entry at byte ${e}`);
  } else if (k === 'block' && g.regions.length) {
    const [a] = rng.pick(g.regions);
    const start = a - (a % g.blockSize);
    const fill = rng.pick(['zero', 'ones', 'random'] as const);
    for (let i = start; i < Math.min(out.length, start + g.blockSize); i++) out[i] = fill === 'zero' ? 0 : fill === 'ones' ? 0xff : rng.int(256);
    description = `block at byte ${start} filled with ${fill}`;
  } else description = flip(rng, out, g);
  return { bytes: out, kind: k, description };
}

/** One to four stacked mutations (damage rarely comes alone); truncation, if any, last. */
export function mutateImageStacked(img: Uint8Array, seed: number): Mutation {
  const rng = new Rng(seed ^ 0x5bd1e995);
  const n = 1 + rng.int(4);
  let bytes = img;
  const parts: string[] = [];
  let kind: MutationKind = 'flip';
  for (let i = 0; i < n; i++) {
    const k = i < n - 1 ? rng.pick(MUTATION_KINDS.filter((x) => x !== 'truncate')) : undefined;
    const m = mutateImage(bytes, (seed + i * 0x9e3779b1) >>> 0, k);
    bytes = m.bytes;
    kind = m.kind;
    parts.push(m.description);
  }
  return { bytes, kind, description: parts.join('; ') };
}
