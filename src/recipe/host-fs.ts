/**
 * The host file system as recipe code sees it: injected, so the recipe → tree
 * step runs on memfs in tests. node:fs/promises satisfies it.
 *
 * Recipe inputs (recipe files, includes, device tables, layer and file
 * sources) must be regular files or directories: a FIFO would block the build
 * forever and /dev/zero would fill memory. Their type is checked with stat
 * before anything opens them, and files read whole are read through a
 * non-blocking handle whose own type is checked again (the path may change in
 * between) and with a size limit.
 */
import { constants } from 'node:fs';
import { ExitCode, MkrootfsError } from '../errors.ts';

export interface HostStats {
  isFile(): boolean;
  isDirectory(): boolean;
  isFIFO?(): boolean;
  isCharacterDevice?(): boolean;
  isBlockDevice?(): boolean;
  isSocket?(): boolean;
  isSymbolicLink?(): boolean;
  size: number | bigint;
  dev?: number | bigint;
  ino?: number | bigint;
}

export interface HostFileHandle {
  stat(): Promise<HostStats>;
  read(buffer: Uint8Array, offset: number, length: number, position: number): Promise<{ bytesRead: number }>;
  close(): Promise<void>;
}

export interface HostFs {
  readFile(path: string): Promise<Uint8Array | string>;
  stat(path: string): Promise<HostStats>;
  /** Optional (node:fs/promises has it): lets readRegularFile check the type of what it actually opened. */
  open?(path: string, flags: number): Promise<HostFileHandle>;
}

/** Reads a file as bytes whatever the fs returns. */
export async function readBytes(fs: HostFs, path: string): Promise<Uint8Array> {
  const data = await fs.readFile(path);
  return typeof data === 'string' ? new TextEncoder().encode(data) : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

export async function readText(fs: HostFs, path: string): Promise<string> {
  return new TextDecoder().decode(await readBytes(fs, path));
}

/** The stats of a path, or undefined when it does not exist. */
export async function statOrUndefined(fs: HostFs, path: string): Promise<HostStats | undefined> {
  try {
    return await fs.stat(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException)?.code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw err;
  }
}

/** "a FIFO", "a character device", ... for messages. */
export function describeKind(st: HostStats): string {
  if (st.isFile()) return 'a regular file';
  if (st.isDirectory()) return 'a directory';
  if (st.isFIFO?.()) return 'a FIFO (named pipe)';
  if (st.isCharacterDevice?.()) return 'a character device';
  if (st.isBlockDevice?.()) return 'a block device';
  if (st.isSocket?.()) return 'a socket';
  return 'not a regular file';
}

/** The error for an input of the wrong type (exit code 2). `what` names the input ("layer source"). */
export function notRegularError(path: string, st: HostStats, what: string, expected: string): MkrootfsError {
  const kind = describeKind(st);
  return new MkrootfsError({
    code: 'RECIPE_SOURCE_NOT_REGULAR',
    message: `${what} ${path} is ${kind}; it must be ${expected}`,
    hint: 'point it at a regular file (or a directory where one is allowed); pipes, devices and sockets are never read',
    data: { path, kind },
    exitCode: ExitCode.usage,
  });
}

/**
 * Reads a regular file of at most `maxBytes` bytes. Anything else — FIFO,
 * device, socket, directory, or a file over the limit — is a coded error
 * (exit 2) and is never read.
 */
export async function readRegularFile(fs: HostFs, path: string, what: string, maxBytes: number): Promise<Uint8Array> {
  const st = await fs.stat(path);
  if (!st.isFile()) throw notRegularError(path, st, what, 'a regular file');
  if (!fs.open) {
    if (Number(st.size) > maxBytes) throw tooLarge(path, what, Number(st.size), maxBytes);
    return readBytes(fs, path);
  }
  // O_NONBLOCK: if the path became a FIFO since the stat, opening it does not wait for a writer.
  const fh = await fs.open(path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
  try {
    const opened = await fh.stat();
    if (!opened.isFile()) throw notRegularError(path, opened, what, 'a regular file');
    const size = Number(opened.size);
    if (size > maxBytes) throw tooLarge(path, what, size, maxBytes);
    // One byte more than expected: a file that grows while read is noticed, not followed.
    const buf = new Uint8Array(size + 1);
    let got = 0;
    while (got < buf.length) {
      const { bytesRead } = await fh.read(buf, got, buf.length - got, got);
      if (bytesRead === 0) break;
      got += bytesRead;
    }
    if (got > size) throw tooLarge(path, what, got, maxBytes, 'grew while it was read');
    return buf.subarray(0, got);
  } finally {
    await fh.close();
  }
}

export async function readRegularText(fs: HostFs, path: string, what: string, maxBytes: number): Promise<string> {
  return new TextDecoder().decode(await readRegularFile(fs, path, what, maxBytes));
}

function tooLarge(path: string, what: string, size: number, maxBytes: number, why?: string): MkrootfsError {
  return new MkrootfsError({
    code: 'RECIPE_INPUT_TOO_LARGE',
    message: why ? `${what} ${path} ${why}` : `${what} ${path} is ${size} bytes; at most ${maxBytes} are read`,
    hint: why ? 'do not modify inputs during the build' : 'check that the path names the intended file',
    data: { path, size, maxBytes },
    exitCode: ExitCode.usage,
  });
}
