/**
 * Seeded, bounded fuzzing of recipes through the whole build (issue 11): the
 * mutants (fuzz-recipes.ts) run in a child process with a 384 MiB heap and a
 * time limit, so a hang or runaway memory fails this test instead of the
 * suite. Deterministic: the same seed gives the same cases.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const RUNNER = fileURLToPath(new URL('./fuzz-recipes.ts', import.meta.url));

interface Summary {
  seed: number; count: number; images: number; skipped: number; outcomes: Record<string, number>;
  maxMs: number; maxCase: number; peakRssMiB: number; failures: { case: number; recipe: string; error: string }[];
}

function fuzz(seed: number, count: number): Summary {
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--max-old-space-size=384', RUNNER, String(seed), String(count)], {
    encoding: 'utf8', timeout: 120_000, killSignal: 'SIGKILL', maxBuffer: 64 << 20,
  });
  const lastCase = r.stderr.trim().split('\n').filter((l) => l.startsWith('case ')).pop();
  expect(r.signal, `fuzzer killed (hang?) at ${lastCase}`).toBeNull();
  expect(r.status, `fuzzer crashed at ${lastCase} (heap exhausted?):\n${r.stderr.slice(-3000)}`).toBe(0);
  return JSON.parse(r.stdout) as Summary;
}

describe('recipe fuzzing', () => {
  it('700 mutated recipes (seed 11): an image or a coded error each, bounded time and memory', () => {
    const s = fuzz(11, 700);
    expect(s.failures, JSON.stringify(s.failures.slice(0, 3), null, 2)).toEqual([]);
    expect(s.count).toBe(700);
    // The mutants reach every stage: images (each e2fsck -fn clean) and many kinds of coded errors.
    expect(s.images).toBeGreaterThan(50);
    expect(Object.keys(s.outcomes).length).toBeGreaterThan(12);
    expect(s.maxMs, `slowest case ${s.maxCase}`).toBeLessThan(10_000);
    expect(s.peakRssMiB).toBeLessThan(600);
  }, 150_000);
});
