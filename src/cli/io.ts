/**
 * What a CLI command may touch of the process: injected so commands can be
 * run in-process by tests. Only src/cli/ builds one of these from `process`.
 */
export interface CliIo {
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  stdin: NodeJS.ReadableStream & { isTTY?: boolean; setRawMode?: (raw: boolean) => unknown };
  env: Record<string, string | undefined>;
  cwd: string;
}

export function processIo(): CliIo {
  // `mkrootfs ... | head` closes the pipe early: stop quietly instead of crashing on EPIPE.
  for (const stream of [process.stdout, process.stderr]) {
    if (stream.listenerCount('error') === 0) {
      stream.on('error', (err: NodeJS.ErrnoException) => {
        if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
        throw err;
      });
    }
  }
  return { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env: process.env, cwd: process.cwd() };
}

/** Writes a line to stderr (progress, logs). */
export function info(io: CliIo, line: string): void {
  io.stderr.write(line + '\n');
}
