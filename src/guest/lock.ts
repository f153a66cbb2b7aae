/**
 * One builder per cache key: a lock directory holding the builder's pid.
 * Others wait for it; a lock whose process is gone (killed build) is removed.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { GuestProgress } from './step.ts';

const POLL_MS = 2000;

export async function withLock<T>(lockDir: string, progress: GuestProgress, fn: () => Promise<T>): Promise<T> {
  let announced = false;
  for (;;) {
    try {
      mkdirSync(lockDir);
      writeFileSync(join(lockDir, 'pid'), String(process.pid));
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const owner = readPid(lockDir);
    if (owner !== undefined && owner !== process.pid && !alive(owner)) {
      progress(`guest: removing stale lock of process ${owner}`);
      rmSync(lockDir, { recursive: true, force: true });
      continue;
    }
    if (!announced) {
      progress(`guest: waiting for process ${owner ?? '?'} that is building this guest (${lockDir})`);
      announced = true;
    }
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
  try {
    return await fn();
  } finally {
    rmSync(lockDir, { recursive: true, force: true });
  }
}

function readPid(lockDir: string): number | undefined {
  try {
    const n = Number(readFileSync(join(lockDir, 'pid'), 'utf8'));
    return Number.isInteger(n) && n > 0 ? n : undefined;
  } catch {
    return undefined; // being created right now, or gone
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
