/**
 * An interrupted build leaves nothing behind. While `run` works, SIGINT,
 * SIGTERM and SIGHUP remove every temp file and scratch directory it has
 * registered (src/temp-paths.ts), then the signal is raised again with its
 * default action, so the process ends "killed by SIGTERM" — status 128+n to a
 * shell, as the caller expects of any interrupted command. Only the CLI
 * installs this: library callers own their process's signals.
 */
import { rmSync } from 'node:fs';
import { constants } from 'node:os';
import type { TempPaths } from '../temp-paths.ts';

export const CLEANUP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
type CleanupSignal = (typeof CLEANUP_SIGNALS)[number];

/** The slice of `process` this needs (injected in tests). */
export interface SignalProcess {
  pid: number;
  on(signal: CleanupSignal, listener: (signal: CleanupSignal) => void): unknown;
  removeListener(signal: CleanupSignal, listener: (signal: CleanupSignal) => void): unknown;
  listenerCount(signal: CleanupSignal): number;
  kill(pid: number, signal: CleanupSignal): unknown;
  exit(code: number): never;
}

export async function withSignalCleanup<T>(run: (temps: TempPaths) => Promise<T>, proc: SignalProcess = process as unknown as SignalProcess): Promise<T> {
  const temps = new Set<string>();
  const uninstall = (): void => { for (const s of CLEANUP_SIGNALS) proc.removeListener(s, onSignal); };
  function onSignal(signal: CleanupSignal): void {
    uninstall();
    removeAll(temps);
    // With our listener gone the default action applies: the process ends by the signal.
    if (proc.listenerCount(signal) === 0) proc.kill(proc.pid, signal);
    // Another listener kept the process alive (or the signal is still pending): exit as a shell would report it.
    proc.exit(128 + constants.signals[signal]);
  }
  for (const s of CLEANUP_SIGNALS) proc.on(s, onSignal);
  try {
    return await run(temps);
  } finally {
    uninstall();
  }
}

/** Removes every registered path (deepest first); failures are ignored: the process is ending. */
export function removeAll(temps: Set<string>): void {
  for (const path of [...temps].sort((a, b) => b.length - a.length)) {
    try { rmSync(path, { recursive: true, force: true }); } catch { /* nothing more to do */ }
    temps.delete(path);
  }
}
