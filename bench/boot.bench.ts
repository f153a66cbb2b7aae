/**
 * Boot benchmark: recipes/busybox.yml booted by our emulator (`node bin/boot.js`)
 * and by `qemu-system-or1k -M virt` on the same image and kernel, 5 runs each.
 * Measures, from process spawn: the time until the recipe's banner (its first
 * boot expectation) appears on the console, and until the process exits after
 * the guest powers off. Prints medians and the ratio ours/QEMU.
 *
 * Run: `npx tsx bench/boot.bench.ts` (or via `npm run bench`, which runs every
 * bench/*.bench.ts). BENCH_RUNS=N changes the number of runs.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildFromRecipe, imageOutputPath, loadRecipe } from '../src/pipeline.ts';
import { guestVar } from '../src/guest/vars.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const RECIPE = join(ROOT, 'recipes/busybox.yml');

interface Sample {
  bannerMs: number;
  exitMs: number;
  code: number | null;
}

/** Spawns a command, timing the first appearance of `banner` on stdout and the exit. */
function timeRun(cmd: string, args: string[], banner: string, timeoutMs: number): Promise<Sample> {
  return new Promise((resolveRun, reject) => {
    const t0 = performance.now();
    const child = spawn(cmd, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let bannerMs = Number.NaN;
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.stdout.setEncoding('latin1');
    child.stdout.on('data', (d: string) => {
      if (!Number.isNaN(bannerMs)) return;
      out += d;
      if (out.includes(banner)) bannerMs = performance.now() - t0;
      else if (out.length > banner.length) out = out.slice(-banner.length);
    });
    let err = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (d: string) => { err += d; });
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      const exitMs = performance.now() - t0;
      if (Number.isNaN(bannerMs)) reject(new Error(`${cmd} ${args.join(' ')}: banner "${banner}" never appeared (exit ${code})\n${err.slice(-2000)}`));
      else resolveRun({ bannerMs, exitMs, code });
    });
  });
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

async function prepare(): Promise<{ image: string; kernel: string; banner: string; append: string; memory: string }> {
  const env = { ...process.env };
  const args = { recipePath: RECIPE, cwd: ROOT, env };
  const loaded = await loadRecipe(args);
  const image = imageOutputPath(loaded, { cwd: ROOT });
  if (!existsSync(image)) await buildFromRecipe({ ...args, output: image });
  const kernel = loaded.recipe.boot?.kernel ?? await guestVar('kernel', { env });
  const boot = loaded.recipe.boot;
  const banner = boot?.expect?.[0] ?? boot?.steps?.find((s) => s.expect)?.expect ?? 'BOOT-OK';
  return { image, kernel, banner, append: boot?.append ?? 'console=ttyS0 root=/dev/vda rw', memory: boot?.memory ?? '128M' };
}

export async function run(): Promise<void> {
  const runs = Number(process.env.BENCH_RUNS ?? 5);
  const p = await prepare();
  const ours = { cmd: process.execPath, args: [join(ROOT, 'bin/boot.js'), p.image, '--kernel', p.kernel, '--append', p.append, '--memory', p.memory] };
  const qemu = {
    cmd: 'qemu-system-or1k',
    args: ['-M', 'virt', '-cpu', 'any', '-m', p.memory, '-kernel', p.kernel, '-append', p.append,
      '-drive', `if=none,file=${p.image},format=raw,id=hd0,snapshot=on`, '-device', 'virtio-blk-device,drive=hd0',
      '-display', 'none', '-serial', 'stdio', '-monitor', 'none', '-no-reboot'],
  };
  const results: Record<string, Sample[]> = { ours: [], qemu: [] };
  for (let i = 0; i < runs; i++) {
    // Interleaved, so both see the same machine load.
    results.qemu!.push(await timeRun(qemu.cmd, qemu.args, p.banner, 120_000));
    results.ours!.push(await timeRun(ours.cmd, ours.args, p.banner, 600_000));
  }
  const row = (name: string, s: Sample[]) => ({
    name,
    banner: median(s.map((x) => x.bannerMs)),
    exit: median(s.map((x) => x.exitMs)),
    codes: [...new Set(s.map((x) => x.code))].join(','),
  });
  const o = row('mkrootfs boot (ours)', results.ours!);
  const q = row('qemu-system-or1k -M virt', results.qemu!);
  const fmt = (ms: number) => `${(ms / 1000).toFixed(3)} s`;
  const lines = [
    `boot of recipes/busybox.yml (banner "${p.banner}"), median of ${runs} runs, from process spawn`,
    '| emulator | to banner | to power-off (exit) | exit codes |',
    '|---|---|---|---|',
    `| ${o.name} | ${fmt(o.banner)} | ${fmt(o.exit)} | ${o.codes} |`,
    `| ${q.name} | ${fmt(q.banner)} | ${fmt(q.exit)} | ${q.codes} |`,
    `| ratio ours/QEMU | ${(o.banner / q.banner).toFixed(2)}x | ${(o.exit / q.exit).toFixed(2)}x | |`,
  ];
  console.log(lines.join('\n'));
}

if (import.meta.url === `file://${process.argv[1]}`) {
  run().catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  });
}
