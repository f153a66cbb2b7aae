/**
 * `npm run bench [-- FILTER...]`: runs every bench/*.bench.ts module in name
 * order (or only those whose file name contains one of the filters: `npm run
 * bench -- boot startup`). Each module prints its own tables and returns its
 * rows for the summary; the run ends with one table, "mkrootfs vs peers (this
 * run)", also written to out/bench/summary.md and out/bench/summary.json
 * (bench/summary.ts). A module that fails is reported and the others still
 * run (exit code 1). Speed is never asserted in a test.
 *
 *   boot         ours vs qemu-system-or1k -M virt: spawn → banner, spawn →
 *                power-off, our MIPS over the boot; translation A/B in-process
 *   cpu          CPU-bound guest program: interpreter, translated, qemu-or1k (MIPS row)
 *   ext2         image writing vs mke2fs -d and genext2fs -d (its ext2Rows())
 *   interactive  a CPU-bound shell loop, free-running (interactive) vs headless
 *   startup      process start → first guest instruction vs node -e
 *
 * Environment knobs:
 *   BENCH_RUNS=N                   boots per emulator in boot, and ext2 rounds (default 5)
 *   BENCH_VIRT_DEFCONFIG_KERNEL=F  also boot a stock virt_defconfig vmlinux (row skipped without it)
 *   BENCH_AB_ROUNDS=N              in-process A/B rounds in boot: JS / WebAssembly interpreter / thresholds (default 3; 0 skips)
 *   BENCH_BASELINE=DIR             also boot with another built mkrootfs checkout (before/after rows; boot, library)
 *   BENCH_STARTUP_RUNS=N           start-up runs (default 21); BENCH_STARTUP_SOURCES=1 adds tsx sources
 *   BENCH_LOOP=N                   interactive loop iterations (default 10000); BENCH_PACED=0 skips --realtime
 *   BENCH_CPU_RUNS / BENCH_CPU_ROUNDS   cpu bench runs (3) and program size (40)
 *   (BENCH_RUNS is also the ext2 bench's rounds: spawned CLI, mke2fs -d, genext2fs -d interleaved)
 *   MKROOTFS_TEST_KERNEL / MKROOTFS_BUSYBOX   another kernel / busybox than the guest cache's
 */
import { readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ext2Summary } from './ext2-summary.ts';
import { writeSummary, type BenchResult, type Skipped, type SummaryRow } from './summary.ts';

const here = dirname(fileURLToPath(import.meta.url));
const filters = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const modules = readdirSync(here)
  .filter((f) => f.endsWith('.bench.ts'))
  .sort()
  .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)));

if (modules.length === 0) {
  process.stderr.write(`bench: no bench/*.bench.ts matches ${filters.join(', ')}\n`);
  process.exit(2);
}

const isResult = (x: unknown): x is BenchResult => typeof x === 'object' && x !== null && Array.isArray((x as BenchResult).rows);

/** The summary's row order, by module (modules still run in name order). */
const ORDER = ['boot', 'startup', 'library', 'interactive', 'ext2', 'cpu'];
const rank = (file: string): number => {
  const k = ORDER.findIndex((x) => file.startsWith(`${x}.`));
  return k < 0 ? ORDER.length : k;
};
const byModule = new Map<string, SummaryRow[]>();
const skipped: Skipped[] = [];
const failed: string[] = [];
for (const file of modules) {
  process.stdout.write(`\n=== ${file} ===\n`);
  try {
    const mod = (await import(pathToFileURL(join(here, file)).href)) as { run?: () => Promise<unknown>; ext2Rows?: unknown };
    let result: unknown;
    if (file === 'ext2.bench.ts') result = await ext2Summary(mod);
    else if (typeof mod.run === 'function') result = await mod.run();
    else throw new Error('does not export run()');
    if (isResult(result)) {
      byModule.set(file, result.rows);
      skipped.push(...(result.skipped ?? []));
    }
  } catch (err) {
    failed.push(file);
    process.exitCode = 1;
    process.stderr.write(`bench: ${file} failed: ${(err as Error)?.stack ?? String(err)}\n`);
    skipped.push({ measurement: file, reason: `failed: ${(err as Error)?.message?.split('\n')[0] ?? String(err)}` });
  }
}

const rows = [...byModule].sort(([a], [b]) => rank(a) - rank(b)).flatMap(([, r]) => r);
const out = writeSummary(resolve(here, '..'), rows, skipped, { filters, modules, failed });
process.stdout.write(`\n${out.text}\n\n(written to ${out.md} and ${out.json})\n`);
