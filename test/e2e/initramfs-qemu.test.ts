/**
 * The kernel as the cpio oracle: an initramfs written by mkrootfs
 * (`format: cpio`/`cpio.gz`) is unpacked by Linux's own init/initramfs.c on
 * QEMU's or1k `virt` machine (`-initrd`; no part of our emulator involved),
 * busybox init runs from it, and the guest reports what the kernel created —
 * hard links, a device node, a fifo, owners, modes, mtimes, a symlink.
 * Run: npx vitest run --project e2e test/e2e/initramfs-qemu.test.ts
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildGuest, type GuestResult } from '../../src/guest/index.ts';
import { buildFromRecipe } from '../../src/pipeline.ts';
import type { ImageFormat } from '../../src/image-format.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const work = mkdtempSync(join(tmpdir(), 'qemu-initramfs-'));
const EPOCH = 1_700_000_000;
let guest: GuestResult;

beforeAll(async () => {
  guest = await buildGuest();
});

// The shipped busybox recipe, with entries to check and an rcS that reports them.
const RECIPE = `include: [${JSON.stringify(join(ROOT, 'recipes/busybox.yml'))}]
dirs:
  - { path: /srv, mode: "0750", uid: 1000, gid: 100 }
files:
  - { path: /srv/one, content: "shared\\n", mode: "0640", uid: 1000, gid: 100 }
hardlinks:
  - { path: /srv/two, target: /srv/one }
symlinks:
  - { path: /srv/link, target: one }
devices:
  - { path: /srv/null, type: char, major: 1, minor: 3, mode: "0666" }
  - { path: /srv/fifo, type: fifo, mode: "0620", uid: 7, gid: 8 }
init:
  rcS: |
    #!/bin/sh
    mount -t proc proc /proc
    echo "check one: $(stat -c '%i %h %a %u %g %s %Y' /srv/one) $(cat /srv/one)"
    echo "check two: $(stat -c '%i %h' /srv/two) $(cat /srv/two)"
    echo "check null: $(stat -c '%F %t:%T %a' /srv/null)"
    echo "check fifo: $(stat -c '%F %a %u %g' /srv/fifo)"
    echo "check link: $(readlink /srv/link)"
    echo "check srv: $(stat -c '%a %u %g %Y' /srv)"
    echo "mkrootfs: boot OK"
    poweroff -f
`;

function qemuInitrd(initrd: string): { status: number | null; console: string } {
  const r = spawnSync('qemu-system-or1k', [
    '-M', 'virt', '-cpu', 'any', '-m', '128', '-kernel', guest.kernel, '-initrd', initrd,
    '-append', 'console=ttyS0 rdinit=/sbin/init', '-nographic', '-no-reboot',
  ], { encoding: 'latin1', timeout: 120_000, maxBuffer: 16 << 20, stdio: ['ignore', 'pipe', 'pipe'] });
  return { status: r.status, console: r.stdout + r.stderr };
}

describe('QEMU reference boot of a mkrootfs initramfs (qemu-system-or1k -M virt -initrd)', () => {
  for (const format of ['cpio', 'cpio.gz'] as ImageFormat[]) {
    it(`${format}: the kernel unpacks it and runs busybox init from it, with every entry as the recipe says`, async () => {
      writeFileSync(join(work, 'recipe.yml'), RECIPE);
      const output = join(work, `initramfs.${format}`);
      // --format overrides the busybox recipe's ext2 image (its size and label are ignored).
      const s = await buildFromRecipe({ recipePath: 'recipe.yml', cwd: work, output, format, env: { SOURCE_DATE_EPOCH: String(EPOCH) } });
      expect(s.format).toBe(format);
      const r = qemuInitrd(output);
      expect(r.console).toContain('Unpacking initramfs...');
      expect(r.console).not.toMatch(/Initramfs unpacking failed|Kernel panic|Oops/);
      expect(r.console).toContain('Run /sbin/init as init process');
      const one = /check one: (\d+) (\d+) (\S+) (\d+) (\d+) (\d+) (\d+) shared/.exec(r.console);
      expect(one, r.console).not.toBeNull();
      expect(one!.slice(2)).toEqual(['2', '640', '1000', '100', '7', String(EPOCH)]);
      expect(r.console).toContain(`check two: ${one![1]} 2 shared`);
      expect(r.console).toContain('check null: character special file 1:3 666');
      expect(r.console).toContain('check fifo: fifo 620 7 8');
      expect(r.console).toContain('check link: one');
      expect(r.console).toContain(`check srv: 750 1000 100 ${EPOCH}`);
      expect(r.console).toContain('mkrootfs: boot OK');
      expect(r.console).toContain('reboot: Power down');
      expect(r.status, r.console).toBe(0);
    });
  }
});
