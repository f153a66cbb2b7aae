/**
 * One cold boot of our guest inside this process, timing only the run loop:
 * `npx tsx bench/boot-loop.ts IMAGE [--no-jit] [--hot=N] [--no-translate] [--js-interp] [--repeat=N]` (N boots, the later ones with V8 warm) prints one JSON line
 * {instructions, runMs, cpuMs, threadMs, mips, threadMips, transcriptSha256}
 * (threadMs: the main thread's own CPU time, the figure to compare on a busy machine). Meant for A/B runs of
 * the CPU core (alternate two checkouts, one fresh process per boot, medians)
 * and for `node --cpu-prof` of the run loop alone. The kernel is the guest
 * cache's (`mkrootfs guest`), or MKROOTFS_TEST_KERNEL.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createBootMachine } from '../emulator/host/machine-target.ts';
import { FileDisk } from '../emulator/host/file-disk.ts';
import { runMachine } from '../emulator/host/runner.ts';
import { guestVar } from '../src/guest/vars.ts';

const args = process.argv.slice(2);
const image = args.find((a) => !a.startsWith('--'));
if (!image) throw new Error('usage: boot-loop.ts IMAGE [--no-jit] [--hot=N] [--repeat=N]');
const kernelPath = process.env.MKROOTFS_TEST_KERNEL ?? await guestVar('kernel', { env: process.env, build: false });
const kernel = new Uint8Array(readFileSync(kernelPath));
/**
 * CPU time of this thread alone (ms; Linux /proc/thread-self/schedstat, ns
 * resolution): unlike the wall clock and process.cpuUsage(), neither other
 * processes on a busy machine nor V8's background compile threads count.
 */
function threadCpuMs(): number {
  if (!existsSync('/proc/thread-self/schedstat')) return Number.NaN;
  return Number(readFileSync('/proc/thread-self/schedstat', 'latin1').split(' ')[0]) / 1e6;
}
const repeat = Number(args.find((a) => a.startsWith('--repeat='))?.slice(9) ?? 1);
for (let round = 0; round < repeat; round++) {
  const disk = new FileDisk(image);
  let out = '';
  const bm = createBootMachine({
    kernel, append: 'console=ttyS0 root=/dev/vda rw mkrootfs.poweroff', memoryBytes: 128 << 20, disk, devices: [], rtcEpochSeconds: 0,
    serial: { write: (b) => { out += String.fromCharCode(b); } },
  });
  if (args.includes('--no-jit')) bm.machine.cpu.jit = false;
  const hot = args.find((a) => a.startsWith('--hot='));
  if (hot) bm.machine.cpu.jitThreshold = Number(hot.slice(6));
  if (args.includes('--no-translate')) bm.machine.cpu.jitTranslate = false;
  if (args.includes('--js-interp')) bm.machine.cpu.wasmInterp = false;
  const c0 = process.cpuUsage();
  const th0 = threadCpuMs();
  const t0 = performance.now();
  await runMachine(bm.target, { afterSlice: () => out.includes('reboot: Power down') });
  const runMs = performance.now() - t0;
  const cpu = process.cpuUsage(c0);
  const threadMs = threadCpuMs() - th0;
  disk.close();
  const instructions = bm.machine.cpu.instret;
  console.log(JSON.stringify({
    round,
    instructions, runMs: +runMs.toFixed(1), cpuMs: +((cpu.user + cpu.system) / 1000).toFixed(1), threadMs: +threadMs.toFixed(1),
    mips: +(instructions / runMs / 1000).toFixed(1), threadMips: +(instructions / threadMs / 1000).toFixed(1), transcriptSha256: createHash('sha256').update(out, 'latin1').digest('hex').slice(0, 16),
  }));
}
