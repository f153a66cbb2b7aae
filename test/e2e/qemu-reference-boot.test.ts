/**
 * The independent reference check: images built by mkrootfs (pure-TypeScript
 * ext2 writer, recipes) with the guest from `mkrootfs guest` (vmlinux, static
 * busybox, programs from or1k-linux-musl-gcc) boot on QEMU's own or1k `virt`
 * machine — no part of our emulator involved. Asserts the rcS banner and a
 * clean power-off (QEMU exits 0 after the syscon poweroff).
 * Run: npx vitest run --project e2e test/e2e/qemu-reference-boot.test.ts
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildGuest, type GuestResult } from '../../src/guest/index.ts';
import { buildFromRecipe } from '../../src/pipeline.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const work = mkdtempSync(join(tmpdir(), 'qemu-ref-'));
let guest: GuestResult;

beforeAll(async () => {
  guest = await buildGuest();
});

/** Builds a shipped recipe into an image with mkrootfs's own pipeline. */
async function buildRecipe(name: string): Promise<string> {
  const output = join(work, `${name}.img`);
  await buildFromRecipe({ recipePath: join(ROOT, 'recipes', `${name}.yml`), output, env: { SOURCE_DATE_EPOCH: '0' }, cwd: ROOT });
  return output;
}

interface QemuRun { status: number | null; signal: string | null; console: string }

/** Boots a copy of `image` on qemu-system-or1k -M virt with the guest kernel. */
function qemuBoot(image: string, append: string): QemuRun {
  const copy = `${image}.boot-copy`;
  copyFileSync(image, copy);
  const r = spawnSync('qemu-system-or1k', [
    '-M', 'virt', '-cpu', 'any', '-m', '128', '-kernel', guest.kernel,
    '-append', append,
    '-drive', `if=none,file=${copy},format=raw,id=hd0`, '-device', 'virtio-blk-device,drive=hd0',
    '-nographic', '-no-reboot',
  ], { encoding: 'latin1', timeout: 120_000, maxBuffer: 16 << 20, stdio: ['ignore', 'pipe', 'pipe'] });
  return { status: r.status, signal: r.signal, console: r.stdout + r.stderr };
}

const APPEND = 'console=ttyS0 root=/dev/vda rw mkrootfs.poweroff';

describe('QEMU reference boot (qemu-system-or1k -M virt)', () => {
  it('recipes/busybox.yml: the kernel mounts our ext2 image, busybox init runs rcS, and the machine powers off', async () => {
    const image = await buildRecipe('busybox');
    const r = qemuBoot(image, APPEND);
    expect(r.signal, r.console).toBeNull();
    // 6.12: the series of Debian's linux-source-6.12 package the guest is built from; any point release matches.
    expect(r.console).toMatch(/Linux version 6\.12\.\d+ \(mkrootfs@mkrootfs\)/);
    expect(r.console).toMatch(/VFS: Mounted root \(ext[24] filesystem\)/);
    expect(r.console).toContain('Run /sbin/init as init process');
    expect(r.console).toContain('mkrootfs: boot OK');
    expect(r.console).toMatch(/mkrootfs: Linux 6\.12\.\d+ openrisc on mkrootfs/);
    expect(r.console).toContain('reboot: Power down');
    expect(r.console).not.toMatch(/Kernel panic|segfault|Oops/);
    expect(r.console.indexOf('mkrootfs: boot OK')).toBeLessThan(r.console.indexOf('reboot: Power down'));
    expect(r.status, r.console).toBe(0);
  });

  it('recipes/hello.yml: a program built by or1k-linux-musl-gcc runs under the real kernel', async () => {
    const image = await buildRecipe('hello');
    const r = qemuBoot(image, APPEND);
    expect(r.console).toContain('mkrootfs: boot OK');
    expect(r.console).toMatch(/Hello from mkrootfs: Linux 6\.12\.\d+ on openrisc \[world\]/);
    expect(r.console).toContain('reboot: Power down');
    expect(r.console).not.toMatch(/Kernel panic|segfault|Oops/);
    expect(r.status, r.console).toBe(0);
  });
});
