/**
 * `mkrootfs boot --monitor-command`: the cached guest (Linux 6.12 virt kernel
 * + recipes/busybox.yml) booted headless as a user would, then monitor
 * commands run in order on the stopped machine; their output follows the
 * console transcript on stdout, or lands in the --json result.
 * Run: npx vitest run --project e2e test/e2e/monitor-boot.test.ts
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const BUSYBOX = join(ROOT, 'recipes/busybox.yml');
const work = mkdtempSync(join(tmpdir(), 'monitor-e2e-'));
// MKROOTFS_TEST_KERNEL: boot another vmlinux than the guest cache's (as test/e2e/boot.test.ts).
const kernelArgs = process.env.MKROOTFS_TEST_KERNEL ? ['--kernel', process.env.MKROOTFS_TEST_KERNEL] : [];

interface Run { code: number | null; stdout: string; stderr: string }
function mkrootfs(args: string[]): Run {
  const r = spawnSync(process.execPath, [join(ROOT, 'bin/mkrootfs.js'), ...args], { cwd: work, encoding: 'latin1', maxBuffer: 64 << 20, timeout: 600_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
const monitor = (...commands: string[]): string[] => commands.flatMap((c) => ['--monitor-command', c]);

/** The text a `(qemu) CMD` block printed, up to the next prompt. */
function block(stdout: string, command: string, nth = 0): string {
  let at = -1;
  for (let i = 0; i <= nth; i++) at = stdout.indexOf(`(qemu) ${command}\n`, at + 1);
  if (at < 0) throw new Error(`no "(qemu) ${command}" in:\n${stdout.slice(-3000)}`);
  const start = at + `(qemu) ${command}\n`.length;
  const end = stdout.indexOf('(qemu) ', start);
  return stdout.slice(start, end < 0 ? undefined : end);
}

describe('boot --monitor-command on the cached guest', () => {
  it('runs info qtree, info registers, system_reset ... after the boot, in order, after the console transcript; quit ends the list', () => {
    const r = mkrootfs(['boot', BUSYBOX, ...kernelArgs, ...monitor('info status', 'info qtree', 'info registers', 'system_reset', 'info registers', 'qom-get /machine dtb-address', 'quit', 'info status')]);
    expect(r.code, r.stderr).toBe(0);
    const transcriptEnd = r.stdout.indexOf('reboot: Power down');
    expect(transcriptEnd).toBeGreaterThan(0);
    expect(r.stdout.indexOf('(qemu) info status\n')).toBeGreaterThan(transcriptEnd);
    expect(block(r.stdout, 'info status')).toBe('VM status: shutdown\n');

    const qtree = block(r.stdout, 'info qtree');
    expect(qtree.startsWith('bus: main-system-bus\n  type System\n  dev: virtio-mmio, id ""\n')).toBe(true);
    // The root disk: virtio-blk-device on drive hd0, in the last virtio-mmio slot (/dev/vda).
    expect(qtree).toContain('    bus: virtio-mmio-bus.7\n      type virtio-bus\n      dev: virtio-blk-device, id ""\n        drive = "hd0"\n');
    expect(qtree).toContain('  dev: ns16550a, id ""\n');

    // Before the reset the CPU stopped inside the kernel (virtual addresses at 0xc0000000); after it, at the reset vector with r3 = the DTB.
    const before = block(r.stdout, 'info registers', 0);
    expect(before).toMatch(/^PC=c[0-9a-f]{7}\n/);
    expect(block(r.stdout, 'system_reset')).toBe('');
    const after = block(r.stdout, 'info registers', 1);
    const dtb = Number(block(r.stdout, 'qom-get /machine dtb-address').trim());
    expect(dtb).toBeGreaterThan(0);
    expect(after).toMatch(/^PC=00000100\n/);
    expect(after).toContain(`R03=${dtb.toString(16).padStart(8, '0')}\n`);
    expect(after.match(/R\d\d=00000000/g)).toHaveLength(31);
    // quit: the commands after it are not run.
    expect(r.stdout.endsWith('(qemu) quit\n')).toBe(true);
    expect(r.stdout.split('(qemu) info status').length).toBe(2);
  });

  it('runs after the last step matched, on the paused guest, when that comes before power-off', () => {
    const r = mkrootfs(['boot', BUSYBOX, ...kernelArgs, '--expect', 'Run /sbin/init as init process', ...monitor('info status', 'qom-get /machine/sysbus/virtio-mmio.7/device/drive size')]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).not.toContain('reboot: Power down');
    expect(block(r.stdout, 'info status')).toBe('VM status: paused\n');
    expect(Number(block(r.stdout, 'qom-get /machine/sysbus/virtio-mmio.7/device/drive size'))).toBe(statSync(join(work, 'out/rootfs.img')).size);
  });

  it('--json puts the outputs in the result', () => {
    const r = mkrootfs(['boot', BUSYBOX, ...kernelArgs, '--json', ...monitor('info mtree', 'qom-get virtio-mmio.7/device drive', 'qom-get serial nope')]);
    expect(r.code, r.stderr).toBe(0);
    const result = JSON.parse(r.stdout) as { status: string; monitor: Array<{ command: string; output: string }> };
    expect(result.status).toBe('ok');
    expect(result.monitor.map((m) => m.command)).toEqual(['info mtree', 'qom-get virtio-mmio.7/device drive', 'qom-get serial nope']);
    expect(result.monitor[0]!.output).toContain('    0000000097007000-0000000097007fff (prio 0, i/o): virtio-mmio\n');
    expect(result.monitor[1]!.output).toBe('"/machine/drives/hd0"\n');
    expect(result.monitor[2]!.output).toBe("Error: Property 'ns16550a.nope' not found\n");
  });

  it('a boot that fails skips the commands (exit 3, a note on stderr)', () => {
    const r = mkrootfs(['boot', BUSYBOX, ...kernelArgs, '--expect', 'this text never appears', '--timeout', '3', ...monitor('info qtree')]);
    expect(r.code).toBe(3); // the guest powers off before the text appears: expectation not met
    expect(r.stderr).toContain('boot: --monitor-command skipped');
    expect(r.stdout).not.toContain('(qemu)');
  });

  it('boot --help documents the flag with an example', () => {
    const r = mkrootfs(['boot', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/--monitor-command <cmd>/);
    expect(r.stdout).toMatch(/\$ mkrootfs boot .*--monitor-command 'info qtree'/);
    expect(r.stdout).toContain('Ctrl-A c');
  });
});
