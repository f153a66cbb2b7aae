/**
 * ext2/3/4 feature flags as the reader sees them. Only "incompat" features
 * can change how an image must be read: the reader handles most of them and
 * refuses the rest by name. compat and ro_compat features are safe to ignore
 * when reading (that is what the two classes mean), so they are only named.
 */
import { unsupported } from './errors.ts';

export const Incompat = {
  compression: 0x1,
  filetype: 0x2,
  recover: 0x4,
  journalDev: 0x8,
  metaBg: 0x10,
  extents: 0x40,
  bit64: 0x80,
  mmp: 0x100,
  flexBg: 0x200,
  eaInode: 0x400,
  dirdata: 0x1000,
  csumSeed: 0x2000,
  largedir: 0x4000,
  inlineData: 0x8000,
  encrypt: 0x10000,
  casefold: 0x20000,
} as const;

export const RoCompat = {
  sparseSuper: 0x1,
  largeFile: 0x2,
  hugeFile: 0x8,
  gdtCsum: 0x10,
  bigalloc: 0x200,
  metadataCsum: 0x400,
} as const;

export const Compat = {
  hasJournal: 0x4,
  sparseSuper2: 0x200,
} as const;

/** e2fsprogs' names (`dumpe2fs -h`), for messages and --json. */
const COMPAT_NAMES: Record<number, string> = {
  0x1: 'dir_prealloc', 0x2: 'imagic_inodes', 0x4: 'has_journal', 0x8: 'ext_attr', 0x10: 'resize_inode', 0x20: 'dir_index',
  0x40: 'lazy_bg', 0x80: 'snapshot_bitmap', 0x200: 'sparse_super2', 0x400: 'fast_commit', 0x800: 'stable_inodes', 0x1000: 'orphan_file',
};
const RO_COMPAT_NAMES: Record<number, string> = {
  0x1: 'sparse_super', 0x2: 'large_file', 0x4: 'btree_dir', 0x8: 'huge_file', 0x10: 'uninit_bg', 0x20: 'dir_nlink', 0x40: 'extra_isize',
  0x80: 'snapshot', 0x100: 'quota', 0x200: 'bigalloc', 0x400: 'metadata_csum', 0x800: 'replica', 0x1000: 'read-only', 0x2000: 'project',
  0x4000: 'shared_blocks', 0x8000: 'verity', 0x10000: 'orphan_present',
};
const INCOMPAT_NAMES: Record<number, string> = {
  0x1: 'compression', 0x2: 'filetype', 0x4: 'needs_recovery', 0x8: 'journal_dev', 0x10: 'meta_bg', 0x40: 'extent', 0x80: '64bit',
  0x100: 'mmp', 0x200: 'flex_bg', 0x400: 'ea_inode', 0x1000: 'dirdata', 0x2000: 'metadata_csum_seed', 0x4000: 'large_dir',
  0x8000: 'inline_data', 0x10000: 'encrypt', 0x20000: 'casefold',
};

/** incompat features the reader does not read, and why. */
const REFUSED: Record<number, string> = {
  [Incompat.compression]: 'the image uses the old ext2 compression patches',
  [Incompat.journalDev]: 'the image is an external ext3/ext4 journal, not a file system',
  [Incompat.dirdata]: 'directory entries carry Lustre data',
};

/** Names of the bits set in `mask`; unknown bits as e2fsprogs shows them (FEATURE_I17 is incompat bit 17). */
function names(mask: number, table: Record<number, string>, letter: string): string[] {
  const out: string[] = [];
  for (let n = 0; n < 32; n++) {
    const bit = 2 ** n;
    if (Math.floor(mask / bit) % 2) out.push(table[bit] ?? `FEATURE_${letter}${n}`);
  }
  return out;
}

/** All features of an image by e2fsprogs name, in dumpe2fs order (compat, incompat, ro_compat). */
export function featureNames(compat: number, incompat: number, roCompat: number): string[] {
  return [...names(compat, COMPAT_NAMES, 'C'), ...names(incompat, INCOMPAT_NAMES, 'I'), ...names(roCompat, RO_COMPAT_NAMES, 'R')];
}

/** Throws IMAGE_UNSUPPORTED_FEATURE for an incompat feature the reader cannot honour. */
export function checkIncompat(incompat: number): void {
  for (let n = 0; n < 32; n++) {
    const bit = 2 ** n;
    if (!(Math.floor(incompat / bit) % 2)) continue;
    const refused = REFUSED[bit];
    if (refused) throw unsupported(INCOMPAT_NAMES[bit]!, refused, { incompat: bit });
    if (INCOMPAT_NAMES[bit] === undefined) {
      throw unsupported(`FEATURE_I${n}`, `the superblock sets incompat feature bit ${n}, which this reader does not know`, { incompat: bit });
    }
  }
}
