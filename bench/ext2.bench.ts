/**
 * ext2 writer benchmark: mkrootfs (spawned CLI and in-process) against
 * `mke2fs -t ext2 -d` and `genext2fs -d` on the same trees, image sizes and
 * inode counts, at 1 KiB and 4 KiB blocks. Medians of 5 runs for (a), 3 for (b).
 *
 *   (a) busybox-like: ~400 entries (a 1 MiB binary, applet symlinks, /etc files)
 *   (b) big: 20,000 small files in 400 directories, 50/100/200 MB files with
 *       non-zero content, hard links and symlinks (~390 MB)
 *
 * Trees are generated deterministically under out/bench (git-ignored) and
 * reused across runs. The spawned CLI is a fresh bundle of the sources (see
 * bundleCli). Run: `npm run bench -- ext2`. BENCH_RUNS_A / BENCH_RUNS_B
 * override the run counts.
 */
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, readFileSync, linkSync, mkdirSync, openSync, rmSync, symlinkSync, writeFileSync, writeSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { writeImageFile, type ImageSummary } from '../src/ext2/write-image.ts';
import { importDir } from '../src/tree/import-dir.ts';
import { newTree, type Tree } from '../src/tree/tree.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const OUT = join(ROOT, 'out/bench');
const GEN_VERSION = 'v1';

/** Deterministic bytes: xorshift32 from a seed, never zero blocks. */
function fill(buf: Uint8Array, seed: number): void {
  let x = (seed * 2654435761) >>> 0 || 1;
  const w = new Uint32Array(buf.buffer, buf.byteOffset, buf.byteLength >>> 2);
  for (let i = 0; i < w.length; i++) {
    x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
    w[i] = x;
  }
  for (let i = w.length * 4; i < buf.length; i++) buf[i] = (i * 31 + seed) & 0xff | 1;
}

function bytes(n: number, seed: number): Uint8Array {
  const b = new Uint8Array(n);
  fill(b, seed);
  return b;
}

function ensureTree(name: string, build: (dir: string) => void): string {
  const dir = join(OUT, name);
  const stamp = join(OUT, `${name}.${GEN_VERSION}.done`);
  if (existsSync(stamp)) return dir;
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  build(dir);
  writeFileSync(stamp, '');
  return dir;
}

const APPLETS = ['ash', 'cat', 'chmod', 'cp', 'date', 'dd', 'df', 'dmesg', 'echo', 'false', 'grep', 'gzip', 'hostname', 'kill', 'ln', 'ls', 'mkdir', 'mknod', 'more', 'mount', 'mv', 'ping', 'ps', 'pwd', 'rm', 'rmdir', 'sed', 'sh', 'sleep', 'stty', 'sync', 'tar', 'touch', 'true', 'umount', 'uname', 'vi'];

function busyboxTree(dir: string): void {
  for (const d of ['bin', 'sbin', 'usr/bin', 'usr/sbin', 'etc/init.d', 'dev', 'proc', 'sys', 'tmp', 'root', 'var/log', 'lib']) mkdirSync(join(dir, d), { recursive: true });
  writeFileSync(join(dir, 'bin/busybox'), bytes(1 << 20, 1), { mode: 0o755 });
  let n = 0;
  // ~360 applet links spread like a real busybox install.
  for (const where of ['bin', 'sbin', 'usr/bin', 'usr/sbin']) {
    const up = where.includes('/') ? '../../bin/busybox' : '../bin/busybox';
    for (let i = 0; i < 90; i++) symlinkSync(up, join(dir, where, `${APPLETS[i % APPLETS.length]}${i >= APPLETS.length ? i : ''}`)), n++;
  }
  for (let i = 0; i < 25; i++) writeFileSync(join(dir, 'etc', `conf${i}`), bytes(200 + i * 37, 100 + i));
  writeFileSync(join(dir, 'etc/init.d/rcS'), '#!/bin/sh\nmount -t proc proc /proc\n', { mode: 0o755 });
  void n;
}

function bigTree(dir: string): void {
  let seed = 1000;
  for (let d = 0; d < 400; d++) {
    const sub = join(dir, `d${String(d).padStart(3, '0')}`);
    mkdirSync(sub);
    for (let f = 0; f < 50; f++) {
      const size = ((d * 50 + f) * 7919) % 8192 + 1;
      writeFileSync(join(sub, `file-${f}.dat`), bytes(size, seed++));
    }
  }
  for (let i = 0; i < 100; i++) linkSync(join(dir, `d${String(i).padStart(3, '0')}/file-0.dat`), join(dir, `d399/hard-${i}`));
  for (let i = 0; i < 200; i++) symlinkSync(`../d${String(i).padStart(3, '0')}/file-1.dat`, join(dir, `d398/link-${i}`));
  const chunk = new Uint8Array(1 << 20);
  fill(chunk, 7);
  for (const mb of [50, 100, 200]) {
    const fd = openSync(join(dir, `big-${mb}M.bin`), 'w');
    for (let i = 0; i < mb; i++) {
      chunk[0] = i & 0xff; chunk[1] = mb; // every MiB differs
      writeSync(fd, chunk);
    }
    closeSync(fd);
  }
}

/**
 * Flushes dirty pages before each timed run: every tool writes hundreds of MB,
 * and without this a run pays for the writeback of the previous one.
 */
function flush(): void {
  spawnSync('sync');
}

const HAVE_TIME = existsSync('/usr/bin/time');
/** CPU milliseconds (user + system) of the last timed child, when /usr/bin/time is there. */
let lastCpu = Number.NaN;

function time(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): number {
  flush();
  const cpuFile = join(OUT, 'cpu.txt');
  const argv = HAVE_TIME ? ['/usr/bin/time', '-f', '%U %S', '-o', cpuFile, cmd, ...args] : [cmd, ...args];
  const t0 = performance.now();
  const r = spawnSync(argv[0]!, argv.slice(1), { cwd: ROOT, env, stdio: ['ignore', 'ignore', 'pipe'] });
  const ms = performance.now() - t0;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${r.stderr?.toString()}`);
  lastCpu = HAVE_TIME ? readFileSync(cpuFile, 'utf8').trim().split(/\s+/).slice(-2).reduce((a, x) => a + Number(x) * 1000, 0) : Number.NaN;
  return ms;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/** CPU median of the last measure() call. */
let lastCpuMedian = Number.NaN;

async function measure(runs: number, fn: () => Promise<number> | number): Promise<number> {
  const samples: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < runs; i++) {
    lastCpu = Number.NaN;
    samples.push(await fn());
    cpu.push(lastCpu);
  }
  lastCpuMedian = median(cpu);
  return median(samples);
}

interface Row { tree: string; bs: number; tool: string; ms: number; ratio?: number; cpu?: number; cpuRatio?: number; note?: string }

/** Median of `runs` timings, or NaN with the error noted when the tool fails. */
async function tryMeasure(runs: number, fn: () => Promise<number> | number, notes: string[]): Promise<number> {
  try {
    return await measure(runs, fn);
  } catch (err) {
    notes.push((err as Error).message.split('\n').slice(0, 3).join(' '));
    return Number.NaN;
  }
}

/**
 * The spawned CLI is the current sources bundled like `npm run build` does
 * (into out/bench/cli, leaving the shared dist/ alone): bin/mkrootfs.js runs
 * such a bundle when dist/ is fresh, and compiling TypeScript through tsx on
 * every start (the launcher's fallback while sources are being edited) would
 * add about 0.7 s per run that a user of a built checkout does not pay.
 */
let cliEntry = 'bin/mkrootfs.js';

async function bundleCli(): Promise<void> {
  const outdir = join(OUT, 'cli');
  rmSync(outdir, { recursive: true, force: true });
  const { build } = await import('esbuild');
  await build({
    entryPoints: { cli: join(ROOT, 'src/cli/main.ts') }, outdir, bundle: true, splitting: true, format: 'esm',
    platform: 'node', target: 'node20', packages: 'external', outExtension: { '.js': '.mjs' }, logLevel: 'warning',
  });
  writeFileSync(join(outdir, 'run.mjs'), "import { main } from './cli.mjs';\nprocess.exitCode = await main(process.argv.slice(2));\n");
  cliEntry = join(outdir, 'run.mjs');
}

async function benchTree(label: string, dir: string, runs: number, rows: Row[], small: boolean): Promise<void> {
  for (const bs of [1024, 4096] as const) {
    const img = join(OUT, `bench-${label}-${bs}.img`);
    const env = { ...process.env, SOURCE_DATE_EPOCH: '1700000000' };
    // Size and inode count chosen by mkrootfs (auto); the other tools get the same.
    const probe = newTree();
    await importDir({ tree: probe, hostPath: dir });
    const summary: ImageSummary = await writeImageFile({ tree: probe, output: img, options: { blockSize: bs, epoch: 1700000000 } });
    const sizeArg = String(summary.bytes);
    const notes: string[] = [];

    const cpus: Record<string, number> = {};
    const mke2fs = await tryMeasure(runs, () => { rmSync(img, { force: true }); return time('mke2fs', ['-q', '-F', '-t', 'ext2', '-b', String(bs), '-N', String(summary.inodes), '-d', dir, img, String(summary.blocks)]); }, notes);
    cpus.mke2fs = lastCpuMedian;
    const genext2fs = await tryMeasure(runs, () => { rmSync(img, { force: true }); return time('genext2fs', ['-B', String(bs), '-b', String(summary.blocks), '-N', String(summary.inodes), '-d', dir, img]); }, notes);
    cpus.genext2fs = lastCpuMedian;
    // Every tool starts without an old image: replacing one would charge its deletion to the run.
    const cli = await tryMeasure(runs, () => { rmSync(img, { force: true }); return time(process.execPath, [cliEntry, 'build', '--from-dir', dir, '-o', img, '--block-size', String(bs), '--size', sizeArg], env); }, notes);
    cpus.cli = lastCpuMedian;
    // In process: import + write, and the writer alone (tree already imported). One warm-up first.
    const inProc = async (): Promise<{ total: number; writer: number; totalCpu: number; writerCpu: number }> => {
      rmSync(img, { force: true });
      flush();
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      const tree: Tree = newTree();
      await importDir({ tree, hostPath: dir });
      const t1 = performance.now();
      const c1 = process.cpuUsage();
      // Like the CLI without --json/--sha256 (and like mke2fs): no whole-image digest.
      await writeImageFile({ tree, output: img, options: { blockSize: bs, size: summary.bytes, epoch: 1700000000, hash: false } });
      const t2 = performance.now();
      const c2 = process.cpuUsage(c1);
      const c02 = process.cpuUsage(c0);
      return { total: t2 - t0, writer: t2 - t1, totalCpu: (c02.user + c02.system) / 1000, writerCpu: (c2.user + c2.system) / 1000 };
    };
    await inProc();
    const samples: { total: number; writer: number; totalCpu: number; writerCpu: number }[] = [];
    for (let i = 0; i < runs; i++) samples.push(await inProc());
    const total = median(samples.map((s) => s.total));
    const writer = median(samples.map((s) => s.writer));

    const totalCpu = median(samples.map((s) => s.totalCpu));
    const writerCpu = median(samples.map((s) => s.writerCpu));
    const m = cpus.mke2fs!;
    rows.push({ tree: label, bs, tool: 'mke2fs -t ext2 -d', ms: mke2fs, ratio: 1, cpu: m, cpuRatio: 1 });
    rows.push({ tree: label, bs, tool: 'genext2fs -d', ms: genext2fs, ratio: genext2fs / mke2fs, cpu: cpus.genext2fs, cpuRatio: cpus.genext2fs! / m });
    rows.push({ tree: label, bs, tool: 'mkrootfs build (spawned CLI)', ms: cli, ratio: cli / mke2fs, cpu: cpus.cli, cpuRatio: cpus.cli! / m, note: notes.join('; ') || undefined });
    rows.push({ tree: label, bs, tool: 'mkrootfs in-process import+write', ms: total, ratio: total / mke2fs, cpu: totalCpu, cpuRatio: totalCpu / m });
    rows.push({ tree: label, bs, tool: 'mkrootfs in-process writer only', ms: writer, ratio: writer / mke2fs, cpu: writerCpu, cpuRatio: writerCpu / m });
    if (small) {
      const ms = await measure(runs, () => time(process.execPath, ['-e', '']));
      rows.push({ tree: label, bs, tool: "node -e '' (startup floor)", ms, cpu: lastCpuMedian });
    }
    rmSync(img, { force: true });
  }
}

export async function run(): Promise<void> {
  const load0 = loadavg();
  mkdirSync(OUT, { recursive: true });
  const a = ensureTree('busybox-like', busyboxTree);
  const b = ensureTree('big', bigTree);
  const rows: Row[] = [];
  await bundleCli();
  await benchTree('(a) busybox-like ~400 entries', a, Number(process.env.BENCH_RUNS_A ?? 5), rows, true);
  await benchTree('(b) 20k files + 350 MB', b, Number(process.env.BENCH_RUNS_B ?? 3), rows, false);
  const w = [30, 6, 34, 10, 10, 10, 10];
  const line = (c: string[]): string => c.map((x, i) => (i >= 3 ? x.padStart(w[i]!) : x.padEnd(w[i]!))).join(' ');
  const num = (x: number | undefined, d = 1): string => (x === undefined || Number.isNaN(x) ? '-' : x.toFixed(d));
  process.stdout.write(`load average at start: ${load0.map((x) => x.toFixed(2)).join(' ')}\n`);
  process.stdout.write(line(['tree', 'block', 'tool', 'wall ms', 'vs mke2fs', 'cpu ms', 'vs mke2fs']) + '\n');
  for (const r of rows) {
    process.stdout.write(line([r.tree, String(r.bs), r.tool, Number.isNaN(r.ms) ? 'failed' : num(r.ms), r.ratio === undefined ? '' : num(r.ratio, 2) + 'x', num(r.cpu), r.cpuRatio === undefined ? '' : num(r.cpuRatio, 2) + 'x']) + (r.note ? `  (${r.note})` : '') + '\n');
  }
  process.stdout.write('wall = median elapsed time; cpu = median user+system time (children via /usr/bin/time, in-process via process.cpuUsage).\n');
}

if (import.meta.url === `file://${process.argv[1]}`) await run();
