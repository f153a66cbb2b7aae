/**
 * Where an image may be written, and the temp file it is written to first.
 *
 * - Only a regular file (or nothing) is ever replaced: a device node, FIFO,
 *   socket or directory at the output path is an error, never turned into a
 *   regular file. A symbolic link is followed: the file it names is replaced
 *   and the link stays.
 * - The image must not be one of the build's own inputs (compared by device
 *   and inode, so hard links and other spellings of a path are caught).
 * - Missing parent directories are created; a path component that is a file
 *   is an error saying so.
 * - The temp file sits beside the target (so the final rename is atomic) and
 *   its name fits NAME_MAX (255 bytes) however long the target's name is.
 * Failures of the machine (a full or read-only disk) are runtime errors
 * (exit 1); a bad output path is a usage error (exit 2).
 */
import { basename, dirname, join } from 'node:path';
import * as fsp from 'node:fs/promises';
import { ExitCode, MkrootfsError, ioFailure, ioFailureCode } from '../errors.ts';

export interface OutputStat {
  mode: number;
  dev: number;
  ino: number;
  isFile(): boolean;
  isDirectory(): boolean;
  isSymbolicLink(): boolean;
  isFIFO(): boolean;
  isCharacterDevice(): boolean;
  isBlockDevice(): boolean;
  isSocket(): boolean;
}

/** What output handling needs of the file system (node:fs/promises and memfs satisfy it). */
export interface OutputFs {
  lstat(path: string): Promise<OutputStat>;
  stat(path: string): Promise<OutputStat>;
  realpath(path: string): Promise<string>;
  mkdir(path: string, options: { recursive: true }): Promise<unknown>;
  chmod(path: string, mode: number): Promise<void>;
}

export const nodeOutputFs: OutputFs = fsp as unknown as OutputFs;

/** The file a build will replace. */
export interface OutputTarget {
  /** The path renamed onto: the output path, or the file a symbolic link there names. */
  path: string;
  /** The regular file now there, if any: its permission bits are kept. */
  existing?: { mode: number; dev: number; ino: number };
}

const NAME_MAX = 255;

/** Checks the output path and creates its missing parent directories. `inputs`: host files the build reads. */
export async function prepareOutput(args: { path: string; fs?: OutputFs; inputs?: readonly string[] }): Promise<OutputTarget> {
  const fs = args.fs ?? nodeOutputFs;
  const shown = args.path;
  const name = basename(args.path);
  if (Buffer.byteLength(name) > NAME_MAX) {
    throw usage('OUTPUT_NAME_TOO_LONG', `output file name is ${Buffer.byteLength(name)} bytes; file names are at most ${NAME_MAX} bytes`,
      'choose a shorter image name', shown);
  }
  let st = await lstatOrUndefined(fs, args.path, shown);
  let path = args.path;
  if (st?.isSymbolicLink()) {
    // Replace the file the link names, beside it, and keep the link.
    try {
      path = await fs.realpath(args.path);
    } catch (err) {
      if (ioFailureCode(err)) throw ioFailure(err, `while resolving the output path ${shown}`);
      throw usage('OUTPUT_BAD_LINK', `output ${shown} is a symbolic link that does not lead to a file (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`,
        'point -o at a regular file or a new name, or fix the link', shown);
    }
    st = await lstatOrUndefined(fs, path, shown);
  }
  if (st === undefined) {
    await makeParent(fs, dirname(path), shown);
    return { path };
  }
  if (!st.isFile()) {
    throw usage('OUTPUT_NOT_REGULAR', `output ${shown} is ${kindOf(st)}; only a regular file is ever replaced by an image`,
      'choose another -o path (an image is a regular file)', shown, { kind: kindOf(st) });
  }
  const existing = { mode: st.mode & 0o7777, dev: Number(st.dev), ino: Number(st.ino) };
  for (const input of args.inputs ?? []) {
    let ist: OutputStat;
    try {
      ist = await fs.stat(input);
    } catch {
      continue; // an input that does not exist cannot be overwritten (and is reported where it is read)
    }
    if (Number(ist.dev) === existing.dev && Number(ist.ino) === existing.ino) throw isInput(shown, input);
  }
  return { path, existing };
}

/** The error for an output that is also one of the build's inputs. */
export function isInput(output: string, input: string): MkrootfsError {
  return new MkrootfsError({
    code: 'OUTPUT_IS_INPUT',
    message: input === output ? `output ${output} is also an input of this build` : `output ${output} is also an input of this build (${input})`,
    hint: 'write the image to another path: the build would overwrite its own input',
    data: { path: output, input },
    exitCode: ExitCode.usage,
  });
}

/** Right before the rename: what is at the target now must still be a regular file or nothing. */
export async function checkStillReplaceable(fs: OutputFs, target: OutputTarget, shown: string): Promise<void> {
  const st = await lstatOrUndefined(fs, target.path, shown);
  if (st && !st.isFile()) {
    throw usage('OUTPUT_NOT_REGULAR', `output ${shown} became ${kindOf(st)} during the build; only a regular file is ever replaced by an image`,
      'choose another -o path', shown, { kind: kindOf(st) });
  }
}

/**
 * `.NAME.tmp-RANDOM` beside `path`, with NAME shortened (at a character
 * boundary) so that the whole name fits NAME_MAX bytes.
 */
export function tempPathFor(path: string, random: string): string {
  const suffix = `.tmp-${random}`;
  const room = NAME_MAX - 1 - Buffer.byteLength(suffix);
  let name = basename(path);
  if (Buffer.byteLength(name) > room) {
    let bytes = 0;
    let cut = 0;
    for (const ch of name) {
      const n = Buffer.byteLength(ch);
      if (bytes + n > room) break;
      bytes += n;
      cut += ch.length;
    }
    name = name.slice(0, cut);
  }
  return join(dirname(path), `.${name}${suffix}`);
}

/** "a FIFO", "a directory", ... */
export function kindOf(st: OutputStat): string {
  if (st.isFile()) return 'a regular file';
  if (st.isDirectory()) return 'a directory';
  if (st.isSymbolicLink()) return 'a symbolic link';
  if (st.isFIFO()) return 'a FIFO (named pipe)';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isSocket()) return 'a socket';
  return 'not a regular file';
}

/** An error while writing or renaming the image: I/O failures exit 1 with a hint, anything else names the path. */
export function outputError(err: unknown, path: string): MkrootfsError {
  if (err instanceof MkrootfsError) return err;
  const e = err as NodeJS.ErrnoException;
  if (ioFailureCode(err)) {
    const f = ioFailure(err, `while writing image ${path}`);
    f.data.path = path;
    return f;
  }
  return new MkrootfsError({
    code: 'IMAGE_WRITE_FAILED',
    message: `cannot write image ${path}: ${e?.message ?? String(err)}`,
    hint: e?.code === 'EACCES' || e?.code === 'EPERM' ? 'make the output directory writable by this user, or choose another -o path'
      : 'check that the output directory is writable and has free space',
    data: { path, errno: e?.code },
    cause: err,
  });
}

async function lstatOrUndefined(fs: OutputFs, path: string, shown: string): Promise<OutputStat | undefined> {
  try {
    return await fs.lstat(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    if (code === 'ENOTDIR') throw parentNotDir(shown);
    if (code === 'ENAMETOOLONG') throw usage('OUTPUT_NAME_TOO_LONG', `output path ${shown} is too long`, 'choose a shorter path', shown);
    throw outputError(err, shown);
  }
}

async function makeParent(fs: OutputFs, dir: string, shown: string): Promise<void> {
  try {
    await fs.mkdir(dir, { recursive: true });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST' || code === 'ENOTDIR') throw parentNotDir(shown);
    throw outputError(err, shown);
  }
}

function parentNotDir(shown: string): MkrootfsError {
  return usage('OUTPUT_PARENT_NOT_DIR', `cannot write image ${shown}: a component of its directory is a file, not a directory`,
    'choose an -o path whose directories are directories (or do not exist yet)', shown);
}

function usage(code: string, message: string, hint: string, path: string, data: Record<string, unknown> = {}): MkrootfsError {
  return new MkrootfsError({ code, message, hint, data: { path, ...data }, exitCode: ExitCode.usage });
}
