/**
 * Errors are data: every failure mode has a stable `code`, structured `data`,
 * an actionable `hint`, and the process exit code the CLI should use.
 */
export const ExitCode = {
  ok: 0,
  runtime: 1,
  usage: 2,
  expectFailed: 3,
  guestPanic: 4,
  timeout: 124,
} as const;
export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

export interface MkrootfsErrorOptions {
  /** Stable machine-readable identifier, e.g. `EXT2_IMAGE_TOO_SMALL`. */
  code: string;
  /** One-line description of what went wrong. */
  message: string;
  /** What the user can do about it. */
  hint?: string;
  /** Structured details (paths, sizes, positions). */
  data?: Record<string, unknown>;
  /** Exit code for the CLI; defaults to 1 (runtime error). */
  exitCode?: ExitCodeValue;
  cause?: unknown;
}

export class MkrootfsError extends Error {
  readonly code: string;
  readonly hint: string | undefined;
  readonly data: Record<string, unknown>;
  readonly exitCode: ExitCodeValue;

  constructor(opts: MkrootfsErrorOptions) {
    super(opts.message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'MkrootfsError';
    this.code = opts.code;
    this.hint = opts.hint;
    this.data = opts.data ?? {};
    this.exitCode = opts.exitCode ?? ExitCode.runtime;
  }
}

/** An error caused by bad input (arguments, recipe, tree): exit code 2. */
export function usageError(code: string, message: string, hint?: string, data?: Record<string, unknown>): MkrootfsError {
  return new MkrootfsError({ code, message, hint, data, exitCode: ExitCode.usage });
}

/** Adds context ("while writing /etc/rcS") to an error without losing its code. */
export function withContext<T>(context: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    throw addContext(err, context);
  }
}

export async function withContextAsync<T>(context: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw addContext(err, context);
  }
}

function addContext(err: unknown, context: string): unknown {
  if (err instanceof MkrootfsError) {
    if (!err.message.includes(context)) err.message = `${err.message} (${context})`;
    return err;
  }
  const e = err as NodeJS.ErrnoException;
  return new MkrootfsError({
    code: e?.code ? `IO_${e.code}` : 'INTERNAL',
    message: `${e?.message ?? String(err)} (${context})`,
    cause: err,
  });
}

/**
 * errno codes that mean the machine failed, not the input: a full or
 * read-only file system, a disk error, no memory or descriptors left. They
 * exit 1 (runtime) whichever step meets them — never 2 (bad input).
 */
const IO_FAILURES: Readonly<Record<string, string>> = {
  ENOSPC: 'free space on that file system (scratch files go to TMPDIR, the image beside its output path)',
  EDQUOT: 'the disk quota is exhausted: free space or raise the quota',
  EIO: 'the disk reported an I/O error: check the device',
  EROFS: 'the file system is read-only: write somewhere writable (TMPDIR, -o)',
  EFBIG: 'the file system cannot hold a file this large: write the image elsewhere',
  ENOMEM: 'the system is out of memory',
  EMFILE: 'too many open files: raise the limit (ulimit -n)',
  ENFILE: 'the system is out of file descriptors',
};

/** The I/O-failure errno of an error (its own code, a MkrootfsError's data.errno, or a cause's), if any. */
export function ioFailureCode(err: unknown): string | undefined {
  for (let e = err, depth = 0; e && depth < 8; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as NodeJS.ErrnoException).code;
    if (typeof code === 'string' && code in IO_FAILURES) return code;
    const errno = (e as { data?: { errno?: unknown } }).data?.errno;
    if (typeof errno === 'string' && errno in IO_FAILURES) return errno;
  }
  return undefined;
}

/** An I/O failure (see ioFailureCode) as a runtime error: code IO_<ERRNO>, exit 1, with a hint. */
export function ioFailure(err: unknown, context: string): MkrootfsError {
  const errno = ioFailureCode(err) ?? 'EIO';
  if (err instanceof MkrootfsError && err.exitCode === ExitCode.runtime) return err;
  const e = err as Error;
  return new MkrootfsError({
    code: `IO_${errno}`,
    message: `${e?.message ?? String(err)} (${context})`,
    hint: IO_FAILURES[errno],
    data: { errno },
    exitCode: ExitCode.runtime,
    cause: err,
  });
}
