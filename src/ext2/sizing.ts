/**
 * Chooses the image geometry: explicit size, automatic (content plus a
 * margin), or "+N" extra free bytes; inode count explicit or derived. A tree
 * that does not fit is a usage error saying how large the image must be.
 */
import { usageError } from '../errors.ts';
import { computeGeometry, dataCapacity, type BlockSize, type Geometry } from './layout.ts';

export interface SizingInput {
  blockSize: BlockSize;
  /** Data, directory, symlink and indirect blocks the tree needs. */
  dataBlocks: number;
  /** Highest inode number the tree uses (reserved inodes included). */
  usedInodes: number;
  size: number | 'auto';
  extraFree?: number;
  inodes?: number;
  reservedPercent: number;
}

const MAX_BLOCKS = 0xffffffff;
/** Bytes per inode when the size is explicit and the inode count is not (mke2fs's default ratio). */
const BYTES_PER_INODE = 16384;

export function reservedBlocks(blocksCount: number, percent: number): number {
  return Math.floor((blocksCount * percent) / 100);
}

function autoInodes(used: number): number {
  return used + Math.max(64, Math.ceil(used / 10));
}

/** Smallest geometry with `inodes` inodes whose free blocks (after data) are at least freeFor(blocksCount). */
function smallest(blockSize: BlockSize, dataBlocks: number, inodes: number, freeFor: (n: number) => number): Geometry | null {
  let n = dataBlocks + freeFor(dataBlocks) + 64;
  for (let iter = 0; iter < 10_000; iter++) {
    if (n > MAX_BLOCKS) return null;
    const geo = computeGeometry(blockSize, n, inodes);
    if (geo) {
      const deficit = dataBlocks + freeFor(geo.blocksCount) - dataCapacity(geo);
      if (deficit <= 0) return geo;
      n += deficit;
    } else {
      n += Math.max(64, Math.ceil(n / 8));
    }
  }
  return null;
}

function tooSmall(input: SizingInput, inodes: number, what: string): never {
  const min = smallest(input.blockSize, input.dataBlocks, inodes, () => 0);
  const bytes = min ? min.blocksCount * input.blockSize : Number.NaN;
  throw usageError('EXT2_IMAGE_TOO_SMALL',
    `${what}: the tree needs ${input.dataBlocks} blocks of ${input.blockSize} bytes for data plus metadata; the image must be at least ${bytes} bytes (${Math.ceil(bytes / 1048576)} MiB)`,
    `use --size ${Math.ceil(bytes / 1048576)}M or larger, or --size auto`,
    { minimumBytes: bytes, dataBlocks: input.dataBlocks, blockSize: input.blockSize });
}

export function chooseGeometry(input: SizingInput): Geometry {
  const { blockSize, dataBlocks, usedInodes } = input;
  if (input.inodes !== undefined && input.inodes < usedInodes) {
    throw usageError('EXT2_TOO_FEW_INODES',
      `${input.inodes} inodes are too few: the tree needs ${usedInodes} (including the ${11} reserved ones and lost+found)`,
      `use --inodes ${usedInodes} or more, or omit --inodes`, { requested: input.inodes, needed: usedInodes });
  }
  if (input.size === 'auto') {
    const inodes = input.inodes ?? autoInodes(usedInodes);
    const margin = input.extraFree !== undefined
      ? Math.ceil(input.extraFree / blockSize)
      : Math.max(Math.ceil(dataBlocks / 10), Math.ceil(1048576 / blockSize));
    const geo = smallest(blockSize, dataBlocks, inodes, (n) => margin + reservedBlocks(n, input.reservedPercent));
    if (!geo) throw usageError('EXT2_IMAGE_TOO_LARGE', `the tree needs more than ${MAX_BLOCKS} blocks of ${blockSize} bytes`, 'use a larger --block-size');
    return geo;
  }
  const n = Math.floor(input.size / blockSize);
  if (n > MAX_BLOCKS) throw usageError('EXT2_IMAGE_TOO_LARGE', `size ${input.size} needs more than ${MAX_BLOCKS} blocks of ${blockSize} bytes`, 'use a larger --block-size');
  const wanted = input.inodes ?? Math.max(autoInodes(usedInodes), Math.floor(input.size / BYTES_PER_INODE));
  let geo = computeGeometry(blockSize, n, wanted);
  if (!geo && input.inodes === undefined) geo = computeGeometry(blockSize, n, autoInodes(usedInodes)) ?? computeGeometry(blockSize, n, usedInodes);
  if (!geo) {
    if (input.inodes !== undefined && computeGeometry(blockSize, n, usedInodes)) {
      throw usageError('EXT2_TOO_MANY_INODES', `${input.inodes} inodes do not fit in an image of ${input.size} bytes`,
        'use fewer --inodes or a larger --size', { requested: input.inodes, size: input.size });
    }
    tooSmall(input, input.inodes ?? usedInodes, `image size ${input.size} bytes is too small`);
  }
  if (dataCapacity(geo) < dataBlocks) tooSmall(input, geo.inodesCount, `image size ${input.size} bytes is too small`);
  return geo;
}
