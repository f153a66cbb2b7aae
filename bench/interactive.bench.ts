/**
 * Interactive-mode speed: a CPU-bound shell loop typed into a booted guest,
 * timed on the wall clock under the three clock modes of `mkrootfs boot`:
 * virtual (headless, deterministic), free-running (interactive sessions:
 * guest time follows the wall clock, the CPU is not paced) and paced
 * (`--realtime`: the CPU is held to its 20 MHz clock). The goal is free-running
 * within 1.5x of headless. The guest also reports how much guest time the loop
 * took (`date +%s.%N` is not in busybox's date: /proc/uptime before and after),
 * so free-running can be seen to keep guest time on the wall clock. The marker
 * is typed as LOOP-D''ONE so that the echoed command line does not match it.
 *
 * Run: `npx tsx bench/interactive.bench.ts` (or `npm run bench -- interactive`).
 * BENCH_LOOP=N sets the loop count (default 10000); BENCH_PACED=0 skips the
 * slow paced row. Returns the free-running/headless row for the summary.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createBootMachine } from '../emulator/host/machine-target.ts';
import { FileDisk } from '../emulator/host/file-disk.ts';
import { runMachine, type RunOptions } from '../emulator/host/runner.ts';
import { usePageTiers } from '../emulator/host/page-tiers.ts';
import { prepareBusyboxBoot } from './busybox-boot.ts';
import type { BenchResult } from './summary.ts';

interface Row { mode: string; wallMs: number; guestS: number }

async function timeLoop(image: string, kernel: Uint8Array, mode: string, options: RunOptions, loops: number): Promise<Row> {
  const disk = new FileDisk(image);
  let out = '';
  usePageTiers(); // page modules compile as in `mkrootfs boot`
  const bm = createBootMachine({
    kernel, append: 'console=ttyS0 root=/dev/vda rw init=/bin/sh', memoryBytes: 128 << 20, disk, devices: [], rtcEpochSeconds: 0,
    serial: { write: (b) => { out += String.fromCharCode(b); } },
  });
  const command = `mount -t proc proc /proc; read a b < /proc/uptime; i=0; while [ $i -lt ${loops} ]; do i=$((i+1)); done; read c d < /proc/uptime; echo LOOP-D''ONE $a $c\n`;
  let typed = false;
  let t0 = 0;
  let wallMs = Number.NaN;
  await runMachine(bm.target, {
    takeInput: () => {
      if (typed || !out.includes('# ')) return new Uint8Array(0);
      typed = true;
      t0 = performance.now();
      return new TextEncoder().encode(command);
    },
    afterSlice: () => {
      if (typed && Number.isNaN(wallMs) && /LOOP-DONE \S+ \S+\s/.test(out)) wallMs = performance.now() - t0;
      return !Number.isNaN(wallMs);
    },
    wallDeadlineMs: performance.now() + 600_000,
  }, options);
  disk.close();
  const m = /LOOP-DONE (\S+) (\S+)/.exec(out);
  if (!m) throw new Error(`${mode}: the loop never finished:\n${out.slice(-1000)}`);
  return { mode, wallMs, guestS: Number(m[2]) - Number(m[1]) };
}

export async function run(): Promise<BenchResult> {
  const p = await prepareBusyboxBoot();
  const kernel = new Uint8Array(readFileSync(p.kernel));
  const loops = Number(process.env.BENCH_LOOP ?? 10_000);
  const rows: Row[] = [];
  // A first run warms V8 up for all modes; it is not reported.
  await timeLoop(p.image, kernel, 'warm-up', {}, Math.min(loops, 2_000));
  rows.push(await timeLoop(p.image, kernel, 'headless (virtual time)', {}, loops));
  rows.push(await timeLoop(p.image, kernel, 'interactive (free-running)', { freeRun: true }, loops));
  if (process.env.BENCH_PACED !== '0') rows.push(await timeLoop(p.image, kernel, '--realtime (paced to 20 MHz)', { realtime: true }, loops));
  const base = rows[0]!.wallMs;
  console.log(`a ${loops}-iteration busybox sh loop typed at the prompt (${join('recipes', 'busybox.yml')} image, init=/bin/sh)`);
  console.log('| clock mode | wall time | vs headless | guest time the guest measured |');
  console.log('|---|---|---|---|');
  for (const r of rows) console.log(`| ${r.mode} | ${(r.wallMs / 1000).toFixed(2)} s | ${(r.wallMs / base).toFixed(2)}x | ${r.guestS.toFixed(2)} s |`);
  return {
    rows: [{
      measurement: `interactive (free-running) CPU-bound sh loop, ${loops} iterations`, unit: 'ms',
      ours: rows[1]!.wallMs, peer: 'same loop, headless (virtual time)', peerValue: rows[0]!.wallMs,
    }],
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  run().catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  });
}
