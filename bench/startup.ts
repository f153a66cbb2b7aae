/**
 * Start-up benchmark: from process start to the first guest instruction of
 * `mkrootfs boot IMAGE --kernel VMLINUX --json` (its `startupSeconds`, taken
 * once the machine is built and the interpreter primed, just before the run
 * loop starts), next to the same process clock in `node -e` (what Node alone
 * costs before any user code) and the spawn-to-exit wall time of `node -e 0`.
 * Runs are interleaved so all see the same machine load; medians of N.
 *
 * Each boot stops after one slice (`--timeout 0.001`: the first guest
 * millisecond), so a run costs start-up plus ~1 M instructions. The boots
 * use a code cache of their own (bin/cli-bundle.js), written by one boot
 * before the timed runs; a second row runs without it
 * (MKROOTFS_NO_CODE_CACHE=1: a command's first run after an install or
 * rebuild).
 *
 * bench/startup.bench.ts prints this table (`npm run bench -- startup`); alone:
 * `npx tsx bench/startup.ts`. BENCH_STARTUP_RUNS=N changes the number of
 * runs (default 21); BENCH_STARTUP_SOURCES=1 adds the TypeScript sources run
 * through tsx. Needs the guest (`mkrootfs guest`) and dist/ (`npm run
 * build`; an installed package always runs dist/).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

interface Timed {
  /** Spawn to exit, ms (parent's clock). */
  wallMs: number;
  /** The child's own process-start clock at its mark, ms. */
  markMs: number;
}

function timeNode(args: string[], cwd: string, env: NodeJS.ProcessEnv, mark: (stdout: string) => number): Timed {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, args, { cwd, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  const wallMs = performance.now() - t0;
  if (r.error) throw r.error;
  return { wallMs, markMs: mark(r.stdout) };
}

export interface StartupRow { name: string; markMs: number; wallMs: number }

/** Measures start-up for `image` and `kernel`; returns the rows (medians, ms). */
export function measureStartup(image: string, kernel: string, runs: number, opts: { sources?: boolean } = {}): StartupRow[] {
  const out = mkdtempSync(join(tmpdir(), 'mkrootfs-bench-startup-'));
  const boot = ['boot', image, '--kernel', kernel, '--json', '--timeout', '0.001'];
  const env: NodeJS.ProcessEnv = { ...process.env, MKROOTFS_CACHE_DIR: join(out, 'cache') };
  delete env.MKROOTFS_NO_BUNDLE;
  delete env.MKROOTFS_NO_CODE_CACHE;
  const cases: Array<{ name: string; args: string[]; env: NodeJS.ProcessEnv; mark: (s: string) => number }> = [
    { name: 'node -e 0', args: ['-e', '0'], env, mark: () => Number.NaN },
    { name: 'node -e (first user code)', args: ['-e', 'process.stdout.write(String(process.uptime()))'], env, mark: (s) => Number(s) * 1000 },
    { name: 'mkrootfs boot IMAGE --kernel K (dist/)', args: [join(ROOT, 'bin/mkrootfs.js'), ...boot], env, mark: (s) => (JSON.parse(s) as { startupSeconds: number }).startupSeconds * 1000 },
  ];
  cases.push({ name: 'same, without the code cache', args: cases[2]!.args, env: { ...env, MKROOTFS_NO_CODE_CACHE: '1' }, mark: cases[2]!.mark });
  if (opts.sources) {
    cases.push({ name: 'same, TypeScript sources through tsx', args: [join(ROOT, 'bin/mkrootfs.js'), ...boot], env: { ...env, MKROOTFS_NO_BUNDLE: '1' }, mark: cases[2]!.mark });
  }
  const samples = cases.map(() => [] as Timed[]);
  try {
    timeNode(cases[2]!.args, out, env, cases[2]!.mark); // writes the code cache
    for (let i = 0; i < runs; i++) {
      cases.forEach((c, k) => samples[k]!.push(timeNode(c.args, out, c.env, c.mark)));
    }
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
  return cases.map((c, k) => ({ name: c.name, markMs: median(samples[k]!.map((s) => s.markMs)), wallMs: median(samples[k]!.map((s) => s.wallMs)) }));
}

export function formatStartup(rows: StartupRow[], runs: number): string {
  const ms = (x: number) => (Number.isNaN(x) ? '—' : `${x.toFixed(1)} ms`);
  const node = rows[1]!.markMs;
  return [
    `start-up, median of ${runs} interleaved runs, on the process's own clock (process.uptime()):`,
    'to the first guest instruction for boot (its --json startupSeconds), to the first user code for node -e',
    '| process | process start → mark | ratio to node -e | spawn → exit (boot: + 1 M guest instructions) |',
    '|---|---|---|---|',
    ...rows.map((r) => `| ${r.name} | ${ms(r.markMs)} | ${Number.isNaN(r.markMs) ? '—' : `${(r.markMs / node).toFixed(2)}x`} | ${ms(r.wallMs)} |`),
  ].join('\n');
}

/** The start-up rows for `image` and `kernel`, with BENCH_STARTUP_RUNS and BENCH_STARTUP_SOURCES, and their table. */
export function startupRows(image: string, kernel: string): { rows: StartupRow[]; table: string } {
  const runs = Number(process.env.BENCH_STARTUP_RUNS ?? 21);
  if (!existsSync(join(ROOT, 'dist', 'BUILT'))) throw new Error('bench/startup: no dist/ (run `npm run build`)');
  const rows = measureStartup(image, kernel, runs, { sources: process.env.BENCH_STARTUP_SOURCES === '1' });
  return { rows, table: formatStartup(rows, runs) };
}

/** The start-up table for `image` and `kernel` (see startupRows). */
export function startupTable(image: string, kernel: string): string {
  return startupRows(image, kernel).table;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  import('./busybox-boot.ts').then(async ({ prepareBusyboxBoot }) => {
    const p = await prepareBusyboxBoot();
    console.log(startupTable(p.image, p.kernel));
  }).catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  });
}
