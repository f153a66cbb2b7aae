/**
 * ext2 writer benchmark: the mkrootfs CLI (spawned, `node bin/mkrootfs.js
 * build`, the bundled dist/ CLI) against `mke2fs -t ext2 -d` and
 * `genext2fs -d` on the same trees, image sizes and inode counts, at 4 KiB
 * and 1 KiB blocks. The tools run interleaved (one run of each per round) and
 * each figure is the median of its rounds, so load from other processes hits
 * all of them alike.
 *
 *   synthetic: 20,000 small files in 400 directories, 50/100/200 MB files with
 *     non-zero content, hard links and symlinks (~444 MB on disk)
 *   busybox-like (run() only): ~400 entries (a 1 MiB binary, applet symlinks, /etc files)
 *
 * Trees are generated deterministically under out/bench (git-ignored) and
 * reused across runs. ext2Rows() returns the synthetic rows as data (for
 * summary tables); run() prints both trees. Run: `npm run bench -- ext2`
 * (it builds dist/ first; ext2Rows() rebuilds a stale dist/ itself).
 * BENCH_RUNS (default 5) sets the rounds.
 */
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, readFileSync, readdirSync, linkSync, mkdirSync, openSync, rmSync, statSync, symlinkSync, writeFileSync, writeSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { writeImageFile } from '../src/ext2/write-image.ts';
import { importDir } from '../src/tree/import-dir.ts';
import { newTree } from '../src/tree/tree.ts';

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

export function ensureTree(name: string, build: (dir: string) => void): string {
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

export function busyboxTree(dir: string): void {
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

export function bigTree(dir: string): void {
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

/** Wall and CPU (user + system, NaN without /usr/bin/time) milliseconds of one run of `cmd`. */
function time(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): { ms: number; cpu: number } {
  flush();
  const cpuFile = join(OUT, 'cpu.txt');
  const argv = HAVE_TIME ? ['/usr/bin/time', '-f', '%U %S', '-o', cpuFile, cmd, ...args] : [cmd, ...args];
  const t0 = performance.now();
  const r = spawnSync(argv[0]!, argv.slice(1), { cwd: ROOT, env, stdio: ['ignore', 'ignore', 'pipe'] });
  const ms = performance.now() - t0;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${r.stderr?.toString()}`);
  const cpu = HAVE_TIME ? readFileSync(cpuFile, 'utf8').trim().split(/\s+/).slice(-2).reduce((a, x) => a + Number(x) * 1000, 0) : Number.NaN;
  return { ms, cpu };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function newestTs(dir: string): number {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) newest = Math.max(newest, newestTs(p));
    else if (e.name.endsWith('.ts')) newest = Math.max(newest, statSync(p).mtimeMs);
  }
  return newest;
}

/**
 * bin/mkrootfs.js runs dist/ only when dist/BUILT is newer than the sources
 * (else it compiles them through tsx on every start, ~0.7 s a user of a
 * built checkout does not pay): build first when it is stale.
 */
function ensureBuilt(): void {
  const built = join(ROOT, 'dist', 'BUILT');
  if (existsSync(built) && statSync(built).mtimeMs >= Math.max(newestTs(join(ROOT, 'src')), newestTs(join(ROOT, 'emulator')))) return;
  const r = spawnSync(process.execPath, [join(ROOT, 'scripts/build.mjs')], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
  if (r.status !== 0) throw new Error('bench: npm run build failed');
}

/** One tree at one block size: medians (ms) of interleaved rounds; null for a tool that is missing or failed. */
export interface Ext2Row {
  tree: string;
  blockSize: number;
  oursMs: number;
  mke2fsMs: number;
  genext2fsMs: number | null;
  oursCpuMs: number;
  mke2fsCpuMs: number;
  genext2fsCpuMs: number | null;
}

const SYNTHETIC = 'synthetic 20k files + 350 MB';

async function benchTree(label: string, dir: string, bs: 1024 | 4096, runs: number): Promise<Ext2Row> {
  const img = join(OUT, `bench-${bs}.img`);
  // Size and inode count as mkrootfs chooses them (auto); every tool gets the same.
  const probe = newTree();
  await importDir({ tree: probe, hostPath: dir });
  const summary = await writeImageFile({ tree: probe, output: img, options: { blockSize: bs, epoch: 1700000000, hash: false } });
  const env = { ...process.env, SOURCE_DATE_EPOCH: '1700000000' };
  const tools: Record<'ours' | 'mke2fs' | 'genext2fs', () => { ms: number; cpu: number }> = {
    mke2fs: () => time('mke2fs', ['-q', '-F', '-t', 'ext2', '-b', String(bs), '-N', String(summary.inodes), '-d', dir, img, String(summary.blocks)]),
    genext2fs: () => time('genext2fs', ['-B', String(bs), '-b', String(summary.blocks), '-N', String(summary.inodes), '-d', dir, img]),
    ours: () => time(process.execPath, [join(ROOT, 'bin/mkrootfs.js'), 'build', '--from-dir', dir, '-o', img, '--block-size', String(bs),
      '--size', String(summary.bytes), '--inodes', String(summary.inodes)], env),
  };
  const samples = { ours: [] as { ms: number; cpu: number }[], mke2fs: [] as { ms: number; cpu: number }[], genext2fs: [] as { ms: number; cpu: number }[] };
  let genFailed = false;
  const order = ['mke2fs', 'genext2fs', 'ours'] as const;
  for (let i = 0; i < runs; i++) {
    // The order turns every round, so that no tool always follows the same one (what the previous
    // run left in memory and the page cache changes the next one's time).
    for (let k = 0; k < order.length; k++) {
      const tool = order[(i + k) % order.length]!;
      if (tool === 'genext2fs' && genFailed) continue;
      // Every tool starts without an old image: replacing one would charge its deletion to the run.
      rmSync(img, { force: true });
      try {
        samples[tool].push(tools[tool]());
      } catch (err) {
        if (tool !== 'genext2fs') throw err;
        genFailed = true; // genext2fs is optional
      }
    }
  }
  rmSync(img, { force: true });
  const med = (xs: { ms: number; cpu: number }[], k: 'ms' | 'cpu'): number => median(xs.map((x) => x[k]));
  const gen = genFailed || samples.genext2fs.length === 0 ? null : samples.genext2fs;
  return {
    tree: label, blockSize: bs,
    oursMs: med(samples.ours, 'ms'), mke2fsMs: med(samples.mke2fs, 'ms'), genext2fsMs: gen && med(gen, 'ms'),
    oursCpuMs: med(samples.ours, 'cpu'), mke2fsCpuMs: med(samples.mke2fs, 'cpu'), genext2fsCpuMs: gen && med(gen, 'cpu'),
  };
}

/** The synthetic tree at 4 KiB and 1 KiB blocks: the spawned CLI, mke2fs -d and genext2fs -d, medians of `runs` interleaved rounds. */
export async function ext2Rows(runs = Number(process.env.BENCH_RUNS ?? 5)): Promise<Ext2Row[]> {
  mkdirSync(OUT, { recursive: true });
  ensureBuilt();
  const dir = ensureTree('big', bigTree);
  return [await benchTree(SYNTHETIC, dir, 4096, runs), await benchTree(SYNTHETIC, dir, 1024, runs)];
}

export async function run(): Promise<void> {
  const load0 = loadavg();
  const runs = Number(process.env.BENCH_RUNS ?? 5);
  const rows = await ext2Rows(runs);
  mkdirSync(OUT, { recursive: true });
  const small = ensureTree('busybox-like', busyboxTree);
  for (const bs of [4096, 1024] as const) rows.push(await benchTree('busybox-like ~400 entries', small, bs, runs));
  const num = (x: number | null, d = 0): string => (x === null || Number.isNaN(x) ? '-' : x.toFixed(d));
  const w = [30, 6, 10, 10, 10, 10, 14, 14, 14];
  const line = (c: string[]): string => c.map((x, i) => (i >= 2 ? x.padStart(w[i]!) : x.padEnd(w[i]!))).join(' ');
  process.stdout.write(`load average at start: ${load0.map((x) => x.toFixed(2)).join(' ')}; ${runs} interleaved rounds, medians\n`);
  process.stdout.write(line(['tree', 'block', 'mkrootfs', 'mke2fs -d', 'genext2fs', 'ours/mke2fs', 'cpu mkrootfs', 'cpu mke2fs', 'cpu genext2fs']) + '\n');
  for (const r of rows) {
    process.stdout.write(line([r.tree, String(r.blockSize), num(r.oursMs), num(r.mke2fsMs), num(r.genext2fsMs), `${(r.oursMs / r.mke2fsMs).toFixed(2)}x`,
      num(r.oursCpuMs), num(r.mke2fsCpuMs), num(r.genext2fsCpuMs)]) + '\n');
  }
  process.stdout.write('wall ms: elapsed time of the spawned command (mkrootfs: node bin/mkrootfs.js build, with --size and --inodes as given to the others);\n'
    + 'cpu ms: its user+system time (/usr/bin/time).\n');
}

if (import.meta.url === `file://${process.argv[1]}`) await run();
