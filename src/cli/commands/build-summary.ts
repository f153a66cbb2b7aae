/**
 * The one shape of a build's result, for recipe and --from-dir builds alike:
 * `--json` prints buildSummaryJson, otherwise formatBuildSummary's one line.
 * With `-o -` both go to stderr (stdout carries the image).
 */
import { relative } from 'node:path';
import type { ImageSummary } from '../../ext2/write-image.ts';

/** The fields of `build --json`, in order. `sha256` is "" when it was not computed (no --json or --sha256 on a --from-dir build). */
export interface BuildSummaryJson {
  /** The image file (absolute), or "-" for stdout. */
  path: string;
  /** The image format: "ext2". */
  format: string;
  /** Image size in bytes. */
  size: number;
  blockSize: number;
  blocks: number;
  freeBlocks: number;
  inodes: number;
  freeInodes: number;
  sha256: string;
  uuid: string;
}

export const BUILD_SUMMARY_HELP = `
Result (stdout; stderr with -o -): one line
  PATH: FORMAT, SIZE bytes, BLOCKS blocks of BLOCKSIZE (FREE free), INODES inodes (FREE free), uuid UUID[, sha256 HEX]
or with --json the same fields as an object:
  {"path", "format", "size", "blockSize", "blocks", "freeBlocks", "inodes", "freeInodes", "sha256", "uuid"}
(path absolute, or "-" for stdout; format "ext2"; size in bytes; sha256 "" when not computed).
The shape is the same for recipe and --from-dir builds.`;

export function buildSummaryJson(s: ImageSummary, format = 'ext2'): BuildSummaryJson {
  return {
    path: s.path,
    format,
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
export function formatBuildSummary(s: ImageSummary, cwd: string, format = 'ext2'): string {
  const shown = s.path === '-' ? '-' : relative(cwd, s.path) || s.path;
  return `${shown}: ${format}, ${s.bytes} bytes, ${s.blocks} blocks of ${s.blockSize} (${s.freeBlocks} free), `
    + `${s.inodes} inodes (${s.freeInodes} free), uuid ${s.uuid}${s.sha256 ? `, sha256 ${s.sha256}` : ''}\n`;
}
