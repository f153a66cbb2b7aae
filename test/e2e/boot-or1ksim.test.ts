/**
 * The OpenRISC how-to's path: the `make ARCH=openrisc defconfig` kernel
 * (${guest.kernelOr1ksim}) with a busybox initramfs (GNU cpio, newc) whose
 * /init prints a marker and /proc/cpuinfo and powers off, booted with
 * `mkrootfs boot --machine or1k-sim --cpu MODEL --initrd` and with
 * `qemu-system-or1k -M or1k-sim -cpu MODEL -initrd` — the same console lines.
 * QEMU ignores the final `l.nop 1`, so it is stopped once "*** MACHINE HALT
 * ***" appears; ours ends there with a power-off.
 * Run: npx vitest run --project e2e test/e2e/boot-or1ksim.test.ts
 */
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { guestVar } from '../../src/guest/vars.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const work = mkdtempSync(join(tmpdir(), 'boot-or1ksim-'));
let kernel = '';
let initrd = '';

const INIT = `#!/bin/sh
# No /dev/console in the archive: devtmpfs provides it.
mount -t devtmpfs dev /dev
exec </dev/console >/dev/console 2>&1
mount -t proc proc /proc
echo "INIT-MARKER $(uname -sm)"
grep -E '^(cpu|revision)' /proc/cpuinfo
poweroff -f
`;

const HALT = '*** MACHINE HALT ***';

beforeAll(async () => {
  kernel = process.env.MKROOTFS_TEST_KERNEL_OR1KSIM ?? await guestVar('kernelOr1ksim', { build: false });
  const busybox = await guestVar('busybox', { build: false });
  const tree = join(work, 'tree');
  cpSync(busybox, tree, { recursive: true, verbatimSymlinks: true });
  for (const d of ['dev', 'proc', 'sys']) mkdirSync(join(tree, d), { recursive: true });
  writeFileSync(join(tree, 'init'), INIT);
  chmodSync(join(tree, 'init'), 0o755);
  initrd = join(work, 'root.cpio');
  const r = spawnSync('sh', ['-c', `cd "${tree}" && find . | LC_ALL=C sort | cpio -o -H newc --quiet -R 0:0 > "${initrd}"`], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`cpio: ${r.stderr}`);
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** The console from the kernel banner to the halt, without carriage returns. */
function transcript(text: string): string[] {
  const lines = text.replace(/\r/g, '').split('\n');
  const first = lines.findIndex((l) => l.startsWith('Linux version'));
  const last = lines.indexOf(HALT);
  return first >= 0 && last > first ? lines.slice(first, last + 1) : lines;
}

/** qemu-system-or1k until the halt line (or 120 s), then stopped. */
function runQemu(cpu: string): Promise<string> {
  return new Promise((resolvePromise) => {
    const q = spawn('qemu-system-or1k', ['-M', 'or1k-sim', '-cpu', cpu, '-nographic', '-nic', 'none', '-kernel', kernel, '-initrd', initrd], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const stop = setTimeout(() => q.kill('SIGKILL'), 120_000);
    q.stdout.on('data', (b: Buffer) => {
      out += b.toString('latin1');
      if (out.includes(HALT)) q.kill('SIGTERM');
    });
    q.on('close', () => { clearTimeout(stop); resolvePromise(out); });
  });
}

function runOurs(cpu: string): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [join(ROOT, 'bin/mkrootfs.js'), 'boot', '--machine', 'or1k-sim', '--cpu', cpu, '--kernel', kernel, '--initrd', initrd,
    '--expect', 'INIT-MARKER', '--expect', HALT, '--timeout', '60'], { cwd: work, encoding: 'latin1', timeout: 300_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The lines whose order does not depend on timing: banner, CPU, console, init and its output, halt. */
const MILESTONES = [/^Linux version 6\.12/, /^CPU: OpenRISC/, /^Kernel command line: $/, /^90000000\.serial: ttyS0 at MMIO 0x90000000 \(irq = 2/,
  /^90000300\.serial: ttyS3/, /^Run \/init as init process$/, /^INIT-MARKER Linux openrisc$/, /^\*\*\* MACHINE HALT \*\*\*$/];

describe('the how-to\'s kernel and initramfs on or1k-sim, against qemu-system-or1k -M or1k-sim', () => {
  const expected: Record<string, string[]> = {
    or1200: ['CPU: OpenRISC-13 (revision 8) @20 MHz', 'cpu\t\t\t: OpenRISC-13', 'revision\t\t: 8'],
    any: ['CPU: OpenRISC-13 (revision 0) @20 MHz', 'cpu architecture\t: OpenRISC 1000 (1.3-rev0)', 'cpu implementation id\t: 0x0'],
  };
  for (const cpu of ['or1200', 'any']) {
    it(`--cpu ${cpu}: the same console lines, /proc/cpuinfo as QEMU's model shows it, power-off at the halt`, async () => {
      const [qemu, ours] = [await runQemu(cpu), runOurs(cpu)];
      expect(ours.status, ours.stderr).toBe(0);
      const q = transcript(qemu);
      const o = transcript(ours.stdout);
      expect(q.at(-1)).toBe(HALT);
      // Every line the same (asynchronous initramfs unpacking may order a few differently under QEMU's timing) ...
      expect([...o].sort()).toEqual([...q].sort());
      // ... and the milestones in order.
      const order = (lines: string[]) => MILESTONES.map((re) => lines.findIndex((l) => re.test(l)));
      expect(order(o).every((v, i, a) => v >= 0 && (i === 0 || v > a[i - 1]!))).toBe(true);
      expect(order(q).every((v, i, a) => v >= 0 && (i === 0 || v > a[i - 1]!))).toBe(true);
      for (const line of expected[cpu]!) expect(o).toContain(line);
      expect(ours.stderr).toMatch(/boot: ok/);
    });
  }
});
