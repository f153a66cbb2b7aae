/**
 * The one shape of a build's result, for recipe and --from-dir builds alike:
 * `--json` prints buildSummaryJson, otherwise formatBuildSummary's one line.
 * With `-o -` both go to stderr (stdout carries the image).
 */
import { relative } from 'node:path';
import type { BuildSummary } from '../../pipeline.ts';

/**
 * The fields of `build --json`, in order. `sha256` is "" when it was not
 * computed (no --json or --sha256 on a --from-dir build). A cpio archive has
 * no blocks or UUID (null); its `inodes` counts the archive's inodes and
 * `entries` its entries (hard links share an inode).
 */
export interface BuildSummaryJson {
  /** The image file (absolute), or "-" for stdout. */
  path: string;
  /** "ext2", "cpio" or "cpio.gz". */
  format: string;
  /** Image size in bytes. */
  size: number;
  blockSize: number | null;
  blocks: number | null;
  freeBlocks: number | null;
  inodes: number;
  freeInodes: number | null;
  sha256: string;
  uuid: string | null;
  /** cpio only: entries in the archive. */
  entries?: number;
}

export const BUILD_SUMMARY_HELP = `
Result (stdout; stderr with -o -): one line
  PATH: FORMAT, SIZE bytes, BLOCKS blocks of BLOCKSIZE (FREE free), INODES inodes (FREE free), uuid UUID[, sha256 HEX]
or with --json the same fields as an object:
  {"path", "format", "size", "blockSize", "blocks", "freeBlocks", "inodes", "freeInodes", "sha256", "uuid"}
(path absolute, or "-" for stdout; format "ext2", "cpio" or "cpio.gz"; size in
bytes; sha256 "" when not computed). A cpio archive's line is
  PATH: FORMAT, SIZE bytes, ENTRIES entries (INODES inodes)[, sha256 HEX]
and its JSON has blockSize, blocks, freeBlocks, freeInodes and uuid null plus
"entries". The shape is the same for recipe and --from-dir builds.`;

export function buildSummaryJson(s: BuildSummary): BuildSummaryJson {
  if (s.format !== 'ext2') {
    return {
      path: s.path, format: s.format, size: s.bytes, blockSize: null, blocks: null, freeBlocks: null,
      inodes: s.inodes, freeInodes: null, sha256: s.sha256, uuid: null, entries: s.entries,
    };
  }
  return {
    path: s.path,
    format: s.format,
    size: s.bytes,
    blockSize: s.blockSize,
    blocks: s.blocks,
    freeBlocks: s.freeBlocks,
    inodes: s.inodes,
    freeInodes: s.freeInodes,
    sha256: s.sha256,
    uuid: s.uuid,
  };
}

/** The text summary line; `cwd` shortens the path. */
export function formatBuildSummary(s: BuildSummary, cwd: string): string {
  const shown = s.path === '-' ? '-' : relative(cwd, s.path) || s.path;
  const sha = s.sha256 ? `, sha256 ${s.sha256}` : '';
  if (s.format !== 'ext2') return `${shown}: ${s.format}, ${s.bytes} bytes, ${s.entries} entries (${s.inodes} inodes)${sha}\n`;
  return `${shown}: ${s.format}, ${s.bytes} bytes, ${s.blocks} blocks of ${s.blockSize} (${s.freeBlocks} free), `
    + `${s.inodes} inodes (${s.freeInodes} free), uuid ${s.uuid}${sha}\n`;
}
