/**
 * Errors about an archive's contents: bad input, exit code 2, always naming
 * the archive and, once known, the member ("rootfs.tar: entry "bin/sh": …");
 * before a member's name is known, the byte offset of its header in the
 * (decompressed) tar stream.
 */
import { usageError, type MkrootfsError } from '../../errors.ts';
import { displayName } from '../tree.ts';

export interface TarWhere {
  /** The archive as the user named it. */
  archive: string;
  /** The member's name (binary string), when known. */
  entry?: string;
  /** Offset of the member's first header in the tar stream. */
  offset?: number;
}

export function describeWhere(where: TarWhere): string {
  if (where.entry !== undefined) return `${where.archive}: entry ${JSON.stringify(displayName(where.entry))}`;
  if (where.offset !== undefined) return `${where.archive}: header at byte ${where.offset}`;
  return where.archive;
}

export function tarError(code: string, where: TarWhere, what: string, hint: string, data: Record<string, unknown> = {}): MkrootfsError {
  return usageError(code, `${describeWhere(where)}: ${what}`, hint, {
    archive: where.archive,
    ...(where.entry !== undefined ? { entry: displayName(where.entry) } : {}),
    ...(where.offset !== undefined ? { offset: where.offset } : {}),
    ...data,
  });
}
