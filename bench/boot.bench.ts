/**
 * Boot benchmark: recipes/busybox.yml booted by our emulator (`node bin/boot.js`)
 * and by `qemu-system-or1k -M virt` on the same image and kernel, BENCH_RUNS
 * runs each (default 5), interleaved. Measures, from process spawn: the time
 * until the recipe's banner (its first boot expectation) appears on the
 * console, and until the process exits after the guest powers off. Prints
 * medians and the ratio ours/QEMU, and our MIPS over the boot (instructions
 * and run-loop time from --json), with the translation cache warm (every
 * boot of a kernel after its first) and cold. With BENCH_VIRT_DEFCONFIG_KERNEL=VMLINUX
 * (a stock `make ARCH=openrisc virt_defconfig` kernel) the same for that
 * kernel. Then the same boot in-process with the interpreter alone and at
 * several translation thresholds (BENCH_AB_ROUNDS rounds, default 3; 0 skips).
 * Start-up alone is bench/startup.bench.ts.
 *
 * Run: `npx tsx bench/boot.bench.ts` (or `npm run bench -- boot`). Needs the
 * guest (`mkrootfs guest`); MKROOTFS_TEST_KERNEL and MKROOTFS_BUSYBOX
 * override its parts. Returns its rows for the summary (bench/summary.ts).
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createBootMachine } from '../emulator/host/machine-target.ts';
import { FileDisk } from '../emulator/host/file-disk.ts';
import { runMachine } from '../emulator/host/runner.ts';
import { prepareBusyboxBoot, type BusyboxBoot } from './busybox-boot.ts';
import { median, type BenchResult, type Skipped, type SummaryRow } from './summary.ts';

export { prepareBusyboxBoot } from './busybox-boot.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

interface Sample {
  bannerMs: number;
  exitMs: number;
  code: number | null;
  /** Ours only (from --json): instructions retired and the run loop's wall time. */
  instructions?: number;
  runMs?: number;
  startupMs?: number;
  /** Instructions retired in translated code (--json jit.retiredTranslated; absent from older builds). */
  translated?: number;
}

/**
 * Spawns a command, timing the first appearance of `banner` on the console
 * stream (stdout, or stderr for `boot --json`) and the exit.
 */
function timeRun(cmd: string, args: string[], banner: string, timeoutMs: number, consoleOnStderr = false, env: NodeJS.ProcessEnv = {}): Promise<Sample> {
  return new Promise((resolveRun, reject) => {
    const t0 = performance.now();
    const child = spawn(cmd, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
    let seen = '';
    let bannerMs = Number.NaN;
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    const watch = (d: string): void => {
      if (!Number.isNaN(bannerMs)) return;
      seen += d;
      if (seen.includes(banner)) bannerMs = performance.now() - t0;
      else if (seen.length > banner.length) seen = seen.slice(-banner.length);
    };
    let out = '';
    let err = '';
    child.stdout.setEncoding('latin1');
    child.stderr.setEncoding('latin1');
    child.stdout.on('data', (d: string) => {
      out += d;
      if (!consoleOnStderr) watch(d);
    });
    child.stderr.on('data', (d: string) => {
      err += d;
      if (consoleOnStderr) watch(d);
    });
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      const exitMs = performance.now() - t0;
      if (Number.isNaN(bannerMs)) {
        reject(new Error(`${cmd} ${args.join(' ')}: banner "${banner}" never appeared (exit ${code})\n${err.slice(-2000)}`));
        return;
      }
      const sample: Sample = { bannerMs, exitMs, code };
      if (consoleOnStderr) {
        const result = JSON.parse(out) as { instructions: number; wallSeconds: number; startupSeconds: number; jit?: { retiredTranslated?: number } };
        sample.instructions = result.instructions;
        sample.translated = result.jit?.retiredTranslated;
        sample.runMs = result.wallSeconds * 1000;
        sample.startupMs = result.startupSeconds * 1000;
      }
      resolveRun(sample);
    });
  });
}

/**
 * `ours` boots with the translation cache warm (a boot of the same kernel
 * made it just before the rounds), as every boot after the first does;
 * `oursCold` without it (MKROOTFS_NO_TRANSLATION_CACHE=1), as the first boot
 * of a kernel after installing or upgrading mkrootfs does.
 */
interface BootTimes { ours: Sample[]; oursCold: Sample[]; qemu: Sample[]; baseline: Sample[] }
const COLD = { MKROOTFS_NO_TRANSLATION_CACHE: '1' };

/**
 * BENCH_BASELINE=DIR: another mkrootfs checkout (built: `npm run build`
 * there), e.g. a `git worktree` of an older commit, booted the same way in
 * the same interleaved rounds, for before/after figures on one run.
 */
const BASELINE = process.env.BENCH_BASELINE ? resolve(process.env.BENCH_BASELINE) : undefined;

/** `runs` interleaved boots of `p.image` on `kernel` by ours and by QEMU (and the baseline checkout). */
async function timeBoots(p: BusyboxBoot, kernel: string, runs: number): Promise<BootTimes> {
  const bootArgs = (root: string): string[] => [join(root, 'bin/boot.js'), p.image, '--kernel', kernel, '--append', p.append, '--memory', p.memory, '--json'];
  const ours = { cmd: process.execPath, args: bootArgs(ROOT) };
  const qemu = {
    cmd: 'qemu-system-or1k',
    args: ['-M', 'virt', '-cpu', 'any', '-m', p.memory, '-kernel', kernel, '-append', p.append,
      '-drive', `if=none,file=${p.image},format=raw,id=hd0,snapshot=on`, '-device', 'virtio-blk-device,drive=hd0',
      '-display', 'none', '-serial', 'stdio', '-monitor', 'none', '-no-reboot'],
  };
  const results: BootTimes = { ours: [], oursCold: [], qemu: [], baseline: [] };
  await timeRun(ours.cmd, ours.args, p.banner, 600_000, true); // fills the translation cache
  for (let i = 0; i < runs; i++) {
    // Interleaved, so all see the same machine load.
    results.qemu.push(await timeRun(qemu.cmd, qemu.args, p.banner, 120_000));
    results.ours.push(await timeRun(ours.cmd, ours.args, p.banner, 600_000, true));
    results.oursCold.push(await timeRun(ours.cmd, ours.args, p.banner, 600_000, true, COLD));
    if (BASELINE) results.baseline.push(await timeRun(process.execPath, bootArgs(BASELINE), p.banner, 600_000, true));
  }
  return results;
}

const fmt = (ms: number): string => `${(ms / 1000).toFixed(3)} s`;

function bootTable(title: string, t: BootTimes, runs: number): string {
  const row = (name: string, s: Sample[]) => ({
    name,
    banner: median(s.map((x) => x.bannerMs)),
    exit: median(s.map((x) => x.exitMs)),
    codes: [...new Set(s.map((x) => x.code))].join(','),
  });
  const o = row('mkrootfs boot (ours)', t.ours);
  const c = row('mkrootfs boot, translation cache cold', t.oursCold);
  const q = row('qemu-system-or1k -M virt', t.qemu);
  const b = t.baseline.length > 0 ? row(`mkrootfs at ${BASELINE} (baseline)`, t.baseline) : null;
  return [
    `${title}, median of ${runs} runs, from process spawn`,
    '| emulator | to banner | to power-off (exit) | exit codes |',
    '|---|---|---|---|',
    `| ${o.name} | ${fmt(o.banner)} | ${fmt(o.exit)} | ${o.codes} |`,
    `| ${c.name} | ${fmt(c.banner)} | ${fmt(c.exit)} | ${c.codes} |`,
    `| ${q.name} | ${fmt(q.banner)} | ${fmt(q.exit)} | ${q.codes} |`,
    `| ratio ours/QEMU | ${(o.banner / q.banner).toFixed(2)}x | ${(o.exit / q.exit).toFixed(2)}x | |`,
    `| ratio ours (cold)/QEMU | ${(c.banner / q.banner).toFixed(2)}x | ${(c.exit / q.exit).toFixed(2)}x | |`,
    ...(b ? [
      `| ${b.name} | ${fmt(b.banner)} | ${fmt(b.exit)} | ${b.codes} |`,
      `| ratio ours/baseline | ${(o.banner / b.banner).toFixed(2)}x | ${(o.exit / b.exit).toFixed(2)}x | |`,
      `baseline, inside the process: run loop ${fmt(median(t.baseline.map((x) => x.runMs ?? 0)))} (${mips(t.baseline).toFixed(1)} MIPS), ` +
        `start-up ${fmt(median(t.baseline.map((x) => x.startupMs ?? 0)))}`,
    ] : []),
    '',
    `ours, inside the process: ${median(t.ours.map((x) => x.instructions ?? 0)).toFixed(0)} instructions reset→power-off, ` +
      `run loop ${fmt(median(t.ours.map((x) => x.runMs ?? 0)))} (${mips(t.ours).toFixed(1)} MIPS; ` +
      `translation cache cold: ${fmt(median(t.oursCold.map((x) => x.runMs ?? 0)))}, ${mips(t.oursCold).toFixed(1)} MIPS); ` +
      `instructions run in translated code: ${translatedShare(t.ours)} warm, ${translatedShare(t.oursCold)} cold; ` +
      `process start to first guest instruction (Node, CLI modules, kernel ELF, machine, primer) ${fmt(median(t.ours.map((x) => x.startupMs ?? 0)))}`,
  ].join('\n');
}

/** Median share of the instructions that ran in translated code, as a percentage ('n/a' for a build without the count). */
const translatedShare = (s: Sample[]): string => {
  const shares = s.filter((x) => x.translated !== undefined && x.instructions).map((x) => (100 * x.translated!) / x.instructions!);
  return shares.length === 0 ? 'n/a' : `${median(shares).toFixed(1)}%`;
};

/** Median over runs of instructions / run-loop time. */
const mips = (s: Sample[]): number => median(s.map((x) => (x.instructions ?? 0) / (x.runMs ?? 1))) / 1000;

export async function run(): Promise<BenchResult> {
  const runs = Number(process.env.BENCH_RUNS ?? 5);
  const p = await prepareBusyboxBoot();
  const t = await timeBoots(p, p.kernel, runs);
  console.log(bootTable(`boot of recipes/busybox.yml (banner "${p.banner}")`, t, runs));
  const qemu = 'qemu-system-or1k -M virt';
  const rows: SummaryRow[] = [
    { measurement: 'boot spawn → banner (our guest kernel, busybox recipe)', unit: 'ms', ours: median(t.ours.map((x) => x.bannerMs)), peer: qemu, peerValue: median(t.qemu.map((x) => x.bannerMs)) },
    { measurement: 'boot spawn → power-off (process exit)', unit: 'ms', ours: median(t.ours.map((x) => x.exitMs)), peer: qemu, peerValue: median(t.qemu.map((x) => x.exitMs)) },
    { measurement: 'MIPS over the boot (run loop)', unit: 'MIPS', ours: mips(t.ours), peer: qemu, peerValue: null, note: 'QEMU reports no instruction count' },
    { measurement: 'boot spawn → banner, translation cache cold (first boot of a kernel)', unit: 'ms', ours: median(t.oursCold.map((x) => x.bannerMs)), peer: qemu, peerValue: median(t.qemu.map((x) => x.bannerMs)) },
    { measurement: 'MIPS over the boot, translation cache cold', unit: 'MIPS', ours: mips(t.oursCold), peer: qemu, peerValue: null, note: 'QEMU reports no instruction count' },
  ];
  if (t.baseline.length > 0) {
    const base = `mkrootfs baseline (${BASELINE})`;
    rows.push(
      { measurement: 'boot spawn → banner vs the baseline checkout', unit: 'ms', ours: median(t.ours.map((x) => x.bannerMs)), peer: base, peerValue: median(t.baseline.map((x) => x.bannerMs)) },
      { measurement: 'MIPS over the boot vs the baseline checkout', unit: 'MIPS', ours: mips(t.ours), peer: base, peerValue: mips(t.baseline) },
      { measurement: 'start-up (process start → first guest instruction) vs the baseline', unit: 'ms', ours: median(t.ours.map((x) => x.startupMs ?? 0)), peer: base, peerValue: median(t.baseline.map((x) => x.startupMs ?? 0)) },
    );
  }
  const skipped: Skipped[] = [];
  const virt = process.env.BENCH_VIRT_DEFCONFIG_KERNEL;
  const virtName = 'boot spawn → banner, stock virt_defconfig kernel';
  if (virt === undefined || virt === '') {
    skipped.push({ measurement: virtName, reason: 'set BENCH_VIRT_DEFCONFIG_KERNEL=/path/to/vmlinux (a stock `make ARCH=openrisc virt_defconfig` build)' });
  } else if (!existsSync(virt)) {
    skipped.push({ measurement: virtName, reason: `BENCH_VIRT_DEFCONFIG_KERNEL=${virt}: no such file` });
  } else {
    try {
      const v = await timeBoots(p, resolve(virt), runs);
      console.log('\n' + bootTable(`boot of recipes/busybox.yml's image on ${virt} (virt_defconfig)`, v, runs));
      rows.push(
        { measurement: virtName, unit: 'ms', ours: median(v.ours.map((x) => x.bannerMs)), peer: qemu, peerValue: median(v.qemu.map((x) => x.bannerMs)) },
        { measurement: `${virtName}, translation cache cold`, unit: 'ms', ours: median(v.oursCold.map((x) => x.bannerMs)), peer: qemu, peerValue: median(v.qemu.map((x) => x.bannerMs)) },
      );
    } catch (err) {
      console.log(`virt_defconfig boot failed: ${(err as Error).message}`);
      rows.push({ measurement: virtName, unit: 'ms', ours: null, peer: qemu, peerValue: null, note: 'failed, see the output above' });
    }
  }
  for (const s of skipped) console.log(`skipped: ${s.measurement}: ${s.reason}`);
  const ab = Number(process.env.BENCH_AB_ROUNDS ?? 3);
  if (ab > 0) await translationAB(p, ab);
  return { rows, skipped };
}

/**
 * The same boot inside this process with the interpreter alone and with
 * translation at several thresholds (emulator/cpu/jit/code-cache.ts), in
 * rounds so that all see the same load; the first round also pays V8's
 * warm-up of the emulator itself. Every run must retire the same count.
 */
async function translationAB(p: BusyboxBoot, rounds: number): Promise<void> {
  const kernel = new Uint8Array(readFileSync(p.kernel));
  const memoryBytes = Number.parseInt(p.memory, 10) << 20;
  // hot: 0 = exec() alone (--no-jit), -1 = the WebAssembly interpreter without translation.
  const configs: Array<[string, number]> = [
    ['JavaScript interpreter only (--no-jit)', 0], ['WebAssembly interpreter, no translation', -1],
    ['threshold 4,000', 4000], ['threshold 16,000 (default)', 16000],
  ];
  const times = new Map<string, number[]>();
  let instructions = -1;
  for (let r = 0; r < rounds; r++) {
    for (const [name, hot] of configs) {
      const disk = new FileDisk(p.image);
      let out = '';
      const bm = createBootMachine({ kernel, append: p.append, memoryBytes, disk, devices: [], rtcEpochSeconds: 0, serial: { write: (b) => { out += String.fromCharCode(b); } } });
      const cpu = bm.machine.cpu;
      if (hot === 0) cpu.jit = false;
      else if (hot < 0) cpu.jitTranslate = false;
      else cpu.jitThreshold = hot;
      const t0 = performance.now();
      await runMachine(bm.target, { afterSlice: () => out.includes('reboot: Power down') });
      const ms = performance.now() - t0;
      disk.close();
      if (!out.includes(p.banner)) throw new Error(`${name}: no banner`);
      if (instructions >= 0 && cpu.instret !== instructions) throw new Error(`${name}: ${cpu.instret} instructions, not ${instructions}`);
      instructions = cpu.instret;
      times.set(name, [...(times.get(name) ?? []), ms]);
    }
  }
  console.log(`\nrun loop inside one process, ${rounds} rounds (first round: cold V8), ${instructions} instructions each:`);
  for (const [name, ts] of times) console.log(`  ${name.padEnd(28)} median ${(median(ts) / 1000).toFixed(3)} s  (${ts.map((t) => (t / 1000).toFixed(3)).join(', ')})`);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  run().catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  });
}
