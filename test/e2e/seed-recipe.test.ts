/**
 * recipes/seed.yml, the how-to's path as shipped: our cpio writer packs the
 * busybox tree and rcS, `mkrootfs boot recipes/seed.yml` boots it as the
 * initrd on or1k-sim with the defconfig kernel and an or1200, and
 * qemu-system-or1k -M or1k-sim -cpu or1200 -initrd boots the same archive to
 * the same rcS output (the oracle). Then the OpenCores MAC in or1k-sim's slot
 * (--nic user, model ethoc by default on this board) answers a ping to the
 * gateway, and --print-machine shows it at 0x92000000, IRQ 4.
 * Run: npx vitest run --project e2e test/e2e/seed-recipe.test.ts
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { guestVar } from '../../src/guest/vars.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const work = mkdtempSync(join(tmpdir(), 'seed-recipe-'));
const archive = join(work, 'seed.cpio');
let kernel = '';

function mkrootfs(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [join(ROOT, 'bin/mkrootfs.js'), ...args], { cwd: work, encoding: 'latin1', timeout: 300_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

beforeAll(async () => {
  kernel = await guestVar('kernelOr1ksim', { build: false });
  const r = mkrootfs(['build', join(ROOT, 'recipes/seed.yml'), '-o', archive]);
  if (r.status !== 0) throw new Error(`build: ${r.stderr}`);
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** The rcS lines ("mkrootfs: ..."), carriage returns dropped. */
const rcsLines = (text: string): string[] => text.replace(/\r/g, '').split('\n').filter((l) => l.startsWith('mkrootfs: ') && !l.startsWith('mkrootfs: error'));

describe('recipes/seed.yml: the how-to end to end', () => {
  it('boots on or1k-sim as the recipe says, and QEMU boots the same archive to the same rcS output', async () => {
    const ours = mkrootfs(['boot', join(ROOT, 'recipes/seed.yml')]);
    expect(ours.status, ours.stderr).toBe(0);
    expect(ours.stderr).toMatch(/boot: or1k-sim \(cpu or1200\)/);
    expect(ours.stdout).toContain('Run /init as init process');
    const qemu = await new Promise<string>((done) => {
      const q = spawn('qemu-system-or1k', ['-M', 'or1k-sim', '-cpu', 'or1200', '-m', '128', '-nographic', '-nic', 'none', '-kernel', kernel,
        '-initrd', join(work, 'out/seed.cpio'), '-append', 'console=ttyS0 mkrootfs.poweroff'], { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      const stop = setTimeout(() => q.kill('SIGKILL'), 120_000);
      q.stdout.on('data', (b: Buffer) => {
        out += b.toString('latin1');
        if (out.includes('System halted')) q.kill('SIGTERM'); // QEMU ignores the final l.nop 1
      });
      q.on('close', () => { clearTimeout(stop); done(out); });
    });
    const expected = rcsLines(qemu);
    expect(expected).toEqual(['mkrootfs: boot OK', 'mkrootfs: Linux 6.12' + expected[1]!.slice('mkrootfs: Linux 6.12'.length), 'mkrootfs: powering off']);
    expect(expected[1]).toMatch(/ openrisc on or1ksim, CPU OpenRISC-13$/);
    expect(rcsLines(ours.stdout)).toEqual(expected);
  });

  it('the OpenCores MAC sits in or1k-sim\'s slot with --nic user and the guest pings the gateway through it', () => {
    const tree = mkrootfs(['boot', '--machine', 'or1k-sim', '--initrd', archive, '--nic', 'user', '--print-machine']);
    expect(tree.status, tree.stderr).toBe(0);
    expect(tree.stdout).toMatch(/ethoc/);
    expect(tree.stdout).toMatch(/92000000/);
    const none = mkrootfs(['boot', '--machine', 'or1k-sim', '--initrd', archive, '--print-machine']);
    expect(none.stdout).not.toMatch(/ethoc/); // as QEMU with -nic none: no NIC, no MAC
    const r = mkrootfs(['boot', archive, '--machine', 'or1k-sim', '--kernel', kernel, '--append', 'console=ttyS0', '--nic', 'user',
      '--expect', 'Please press Enter', '--send', '', '--expect', '/ # ',
      '--send', 'ifconfig eth0 10.0.2.15 netmask 255.255.255.0 up && ping -c 2 10.0.2.2 && echo NET-""OK', '--expect', 'NET-OK', '--timeout', '60']);
    expect(r.status, r.stdout.slice(-2000) + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/eth0: Link is Up|ethoc/);
    expect(r.stdout).toContain('2 packets transmitted, 2 packets received');
  });
});
