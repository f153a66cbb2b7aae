/**
 * Where the reader's bytes come from: a random-access, read-only source of a
 * known size. `openImageSource` opens a path only when it names a regular
 * file: it checks with stat before opening (a FIFO is never opened, a device
 * never touched), opens without blocking, and checks the opened file again
 * (a path swapped in between is caught). `memoryImageSource` serves tests and
 * fuzzing from a byte array.
 *
 * The real file system is read with synchronous calls behind the promise
 * interface (as in ../image-fs.ts): the reader issues many small reads (one
 * per inode), for which a thread-pool hop per call would dominate.
 */
import { closeSync, constants, fstatSync, openSync, readSync, statSync, type Stats } from 'node:fs';
import { ExitCode, MkrootfsError } from '../../errors.ts';
import { readFully, type ImageFs } from '../image-fs.ts';

export interface ImageSource {
  /** Bytes in the image file. */
  readonly size: number;
  /** Reads up to `length` bytes at `position` into `buf[offset…]`; returns the count (short only at the end of the file). */
  read(buf: Uint8Array, offset: number, length: number, position: number): Promise<number>;
  close(): Promise<void>;
}

/** The file-system calls `openImageSource` needs from an injected file system; memfs's `promises` fits. */
export interface ImageSourceFs {
  stat(path: string): Promise<StatLike>;
  open(path: string, flags: string | number): Promise<{
    read(buffer: Uint8Array, offset: number, length: number, position: number): Promise<{ bytesRead: number }>;
    stat(): Promise<StatLike>;
    close(): Promise<void>;
  }>;
}

type StatLike = Pick<Stats, 'isFile' | 'isDirectory' | 'isFIFO' | 'isCharacterDevice' | 'isBlockDevice' | 'isSocket'> & { size: number | bigint; ino: number | bigint; dev: number | bigint };

function kindOf(st: StatLike): string {
  if (st.isDirectory()) return 'a directory';
  if (st.isFIFO()) return 'a FIFO (named pipe)';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isSocket()) return 'a socket';
  return 'not a regular file';
}

function notRegular(path: string, st: StatLike): MkrootfsError {
  const kind = kindOf(st);
  return new MkrootfsError({
    code: 'IMAGE_NOT_REGULAR', message: `${path} is ${kind}, not an image file`,
    hint: st.isBlockDevice() ? 'copy the device to a file first (dd if=DEVICE of=disk.img) and inspect the file' : 'pass the path of an image file',
    data: { path, kind }, exitCode: ExitCode.usage,
  });
}

function openFailed(path: string, err: unknown): MkrootfsError {
  const e = err as NodeJS.ErrnoException;
  const missing = e?.code === 'ENOENT' || e?.code === 'ENOTDIR';
  return new MkrootfsError({
    code: missing ? 'IMAGE_NOT_FOUND' : 'IMAGE_UNREADABLE',
    message: missing ? `${path}: no such image file` : `cannot open image ${path}: ${e?.message ?? String(err)}`,
    hint: missing ? 'check the path' : 'check the permissions of the image file',
    data: { path, errno: e?.code }, exitCode: missing ? ExitCode.usage : ExitCode.runtime, cause: err,
  });
}

/**
 * Opens `path` read-only when (and only when) it is a regular file; `fs`
 * defaults to the real file system. The writer's ImageFs is accepted too when
 * its objects can stat (memfs's can).
 */
export async function openImageSource(path: string, fs?: ImageSourceFs | ImageFs): Promise<ImageSource> {
  if (!fs) return openNode(path);
  if (typeof (fs as Partial<ImageSourceFs>).stat !== 'function') {
    throw new MkrootfsError({ code: 'IMAGE_FS_NO_STAT', message: 'the injected file system has no stat(): the reader needs it to check the image is a regular file', exitCode: ExitCode.runtime });
  }
  return openInjected(path, fs as ImageSourceFs);
}

function openNode(path: string): ImageSource {
  let st: Stats;
  try {
    st = statSync(path);
  } catch (err) {
    throw openFailed(path, err);
  }
  if (!st.isFile()) throw notRegular(path, st);
  let fd: number;
  try {
    // O_NONBLOCK: if a FIFO was swapped in after the stat, open returns at once instead of waiting for a writer.
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
  } catch (err) {
    throw openFailed(path, err);
  }
  try {
    const now = fstatSync(fd);
    checkSame(path, st, now);
    return {
      size: now.size,
      read: async (buf, offset, length, position) => {
        let done = 0;
        while (done < length) {
          const n = readSync(fd, buf, offset + done, length - done, position + done);
          if (n === 0) break;
          done += n;
        }
        return done;
      },
      close: async () => closeSync(fd),
    };
  } catch (err) {
    closeSync(fd);
    throw err;
  }
}

function checkSame(path: string, before: StatLike, now: StatLike): void {
  if (!now.isFile()) throw notRegular(path, now);
  if (now.ino !== before.ino || now.dev !== before.dev) {
    throw new MkrootfsError({ code: 'IMAGE_CHANGED', message: `${path} changed while it was being opened`, hint: 'run the command again', data: { path }, exitCode: ExitCode.runtime });
  }
}

async function openInjected(path: string, fs: ImageSourceFs): Promise<ImageSource> {
  let st: StatLike;
  try {
    st = await fs.stat(path);
  } catch (err) {
    throw openFailed(path, err);
  }
  if (!st.isFile()) throw notRegular(path, st);
  let fh: Awaited<ReturnType<ImageSourceFs['open']>>;
  try {
    fh = await fs.open(path, 'r');
  } catch (err) {
    throw openFailed(path, err);
  }
  try {
    const now = await fh.stat();
    checkSame(path, st, now);
    return {
      size: Number(now.size),
      read: (buf, offset, length, position) => readFully(fh, buf, offset, length, position),
      close: () => fh.close(),
    };
  } catch (err) {
    await fh.close();
    throw err;
  }
}

/** An image held in memory (tests, fuzzing). */
export function memoryImageSource(bytes: Uint8Array): ImageSource {
  return {
    size: bytes.length,
    async read(buf, offset, length, position) {
      if (position >= bytes.length) return 0;
      const n = Math.min(length, bytes.length - position);
      buf.set(bytes.subarray(position, position + n), offset);
      return n;
    },
    close: async () => {},
  };
}
