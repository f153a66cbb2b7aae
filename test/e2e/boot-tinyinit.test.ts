/**
 * Full Linux boots that do not depend on busybox: the image holds only a
 * libc-free /sbin/init (test/boot/fixtures/tinyinit.c, built with
 * or1k-elf-gcc) that reads a console line, writes it to /hello.txt, syncs and
 * powers off. Oracles: sha256 of the image, debugfs, e2fsck, and
 * qemu-system-or1k booting the same image.
 * Run: npx vitest run --project e2e test/e2e/boot-tinyinit.test.ts
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { guestVar } from '../../src/guest/vars.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const work = mkdtempSync(join(tmpdir(), 'boot-tiny-'));
let kernel: string;
let image: string;

interface Run { code: number | null; stdout: string; stderr: string }
const run = (cmd: string, args: string[], input?: string): Run => {
  const r = spawnSync(cmd, args, { cwd: work, encoding: 'latin1', input, maxBuffer: 64 << 20, timeout: 600_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
};
const boot = (args: string[]): Run => run(process.execPath, [join(ROOT, 'bin/boot.js'), '--kernel', kernel, ...args]);
const sha256 = (p: string): string => createHash('sha256').update(readFileSync(p)).digest('hex');
const SCRIPT = ['--expect', 'type> ', '--send', 'written-by-the-guest', '--expect', 'TINYINIT: wrote', '--expect', 'reboot: Power down'];

function buildImage(name: string, withInit: boolean): string {
  const dir = join(work, name);
  mkdirSync(join(dir, 'sbin'), { recursive: true });
  mkdirSync(join(dir, 'dev'), { recursive: true });
  mkdirSync(join(dir, 'etc'), { recursive: true });
  if (withInit) {
    const cc = run('or1k-elf-gcc', ['-O2', '-nostdlib', '-ffreestanding', '-static', '-Wl,-Ttext=0x2000', '-Wl,-e,_start',
      '-o', join(dir, 'sbin/init'), join(ROOT, 'test/boot/fixtures/tinyinit.c')]);
    if (cc.code !== 0) throw new Error(cc.stderr);
  }
  const out = join(work, `${name}.img`);
  const b = run(process.execPath, [join(ROOT, 'bin/mkrootfs.js'), 'build', '--from-dir', dir, '-o', out, '--size', '8M']);
  if (b.code !== 0) throw new Error(b.stderr);
  return out;
}

beforeAll(async () => {
  // MKROOTFS_TEST_KERNEL: boot another vmlinux than the guest cache's (e.g. while the guest is being rebuilt).
  kernel = process.env.MKROOTFS_TEST_KERNEL ?? await guestVar('kernel', { build: false });
  image = buildImage('tiny', true);
});

describe('boot: a tiny init on the bundled emulator', () => {
  it('types a line into the guest, which writes it; without --write the image file is untouched', () => {
    const img = join(work, 'cow.img');
    copyFileSync(image, img);
    const before = sha256(img);
    const r = boot([img, ...SCRIPT]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('TINYINIT: hello');
    expect(r.stdout).toContain('type> written-by-the-guest');
    expect(sha256(img)).toBe(before);
    expect(run('debugfs', ['-R', 'stat /hello.txt', img]).stderr).toMatch(/File not found/);
  });

  it('with --write the file the guest wrote is in the image (debugfs) and the file system is clean (e2fsck)', () => {
    const img = join(work, 'rw.img');
    copyFileSync(image, img);
    const r = boot([img, '--write', ...SCRIPT]);
    expect(r.code, r.stderr).toBe(0);
    expect(run('debugfs', ['-R', 'cat /hello.txt', img]).stdout).toBe('written-by-the-guest\n');
    const fsck = run('e2fsck', ['-fn', img]);
    expect(fsck.code, fsck.stdout).toBe(0);
  });

  it('two boots give byte-identical transcripts and instruction counts', () => {
    const a = boot([image, '--json', ...SCRIPT]);
    const b = boot([image, '--json', ...SCRIPT]);
    expect(a.code, a.stderr).toBe(0);
    // --json: the console is on stderr, the result on stdout.
    expect(b.stderr).toBe(a.stderr);
    const ja = JSON.parse(a.stdout);
    const jb = JSON.parse(b.stdout);
    // The power-off's printk time: how long the boot takes depends on the kernel build, so only its bounds are checked.
    const off = /^\[\s*(\d+\.\d{6})\] reboot: Power down/m.exec(a.stderr);
    expect(off, a.stderr.slice(-2000)).not.toBeNull();
    expect(Number(off![1])).toBeGreaterThan(0);
    expect(Number(off![1])).toBeLessThanOrEqual(ja.guestSeconds);
    expect(ja.instructions).toBe(jb.instructions);
    expect(ja.guestSeconds).toBe(jb.guestSeconds);
    expect(readFileSync(join(work, 'tiny.boot.log'), 'latin1')).toBe(b.stderr);
  });

  it('a missing init is a kernel panic: exit 4 with the panic line', () => {
    const img = buildImage('empty', false);
    const r = boot([img, '--expect', 'never printed']);
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(/guest panic: \[\s*[\d.]+\] Kernel panic - not syncing: No working init found/);
  });

  it('QEMU boots the same image to the same user-visible result', () => {
    const img = join(work, 'qemu.img');
    copyFileSync(image, img);
    // Input typed before the guest opens its console would be dropped: give QEMU time to boot first.
    const qemu = ['qemu-system-or1k', '-M', 'virt', '-cpu', 'any', '-m', '128', '-kernel', kernel,
      '-append', "'console=ttyS0 root=/dev/vda rw'", '-drive', `if=none,file=${img},format=raw,id=hd0`,
      '-device', 'virtio-blk-device,drive=hd0', '-display', 'none', '-serial', 'stdio', '-monitor', 'none', '-no-reboot'];
    const q = spawnSync('sh', ['-c', `(sleep 8; echo written-by-the-guest) | ${qemu.join(' ')}`], { encoding: 'latin1', timeout: 120_000 });
    const ours = boot([image, ...SCRIPT]);
    const key = (s: string) => s.split(/\r?\n/).map((l) => l.replace(/^\[\s*[\d.]+\] /, ''))
      .filter((l) => /^(virtio_blk|EXT4-fs \(vda\)|Run \/sbin\/init|TINYINIT|reboot:)/.test(l));
    expect(key(q.stdout)).toContain('TINYINIT: wrote');
    expect(key(ours.stdout)).toEqual(key(q.stdout));
    expect(run('debugfs', ['-R', 'cat /hello.txt', img]).stdout).toBe('written-by-the-guest\n');
  });
});
