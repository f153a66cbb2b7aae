/**
 * Full boots on the bundled emulator: recipes built by mkrootfs, booted by
 * `node bin/boot.js` as a user would, checked against the console transcript,
 * the exit code, and the image file (sha256, debugfs).
 * Run: npx vitest run --project e2e test/e2e/boot.test.ts
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
// @ts-expect-error plain JavaScript launcher code, without types
import { pickBuild } from '../../bin/build-stamp.js';
import { guestVar } from '../../src/guest/vars.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const BUSYBOX = join(ROOT, 'recipes/busybox.yml');
const work = mkdtempSync(join(tmpdir(), 'boot-e2e-'));

interface Run { code: number | null; stdout: string; stderr: string }

function node(script: string, args: string[], cwd = work, env: NodeJS.ProcessEnv = process.env): Run {
  const r = spawnSync(process.execPath, [join(ROOT, script), ...args], { cwd, env, encoding: 'latin1', maxBuffer: 64 << 20, timeout: 900_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
// MKROOTFS_TEST_KERNEL: boot another vmlinux than the guest cache's (e.g. while the guest is being rebuilt);
// MKROOTFS_BUSYBOX (a recipes/busybox.yml variable) likewise points the recipes at another busybox tree.
const kernelArgs = process.env.MKROOTFS_TEST_KERNEL ? ['--kernel', process.env.MKROOTFS_TEST_KERNEL] : [];
const boot = (args: string[], env?: NodeJS.ProcessEnv): Run => node('bin/boot.js', [...args, ...kernelArgs], work, env);
const sha256 = (p: string): string => createHash('sha256').update(readFileSync(p)).digest('hex');

/** Writes a recipe in the work dir that includes recipes/busybox.yml and adds `extra` (YAML text). */
function recipeOverBusybox(name: string, extra: string): string {
  const p = join(work, `${name}.yml`);
  writeFileSync(p, `include: [${JSON.stringify(relative(work, BUSYBOX))}]\nimage:\n  output: ${name}.img\n${extra}`);
  return p;
}

function build(recipe: string): string {
  const r = node('bin/mkrootfs.js', [recipe]);
  if (r.code !== 0) throw new Error(`building ${recipe} failed (exit ${r.code}):\n${r.stderr}`);
  return join(work, `${recipe.replace(/^.*\//, '').replace(/\.yml$/, '')}.img`);
}

/** A recipe with a console shell and a marker echoed by rcS, for scripted sessions. */
const SHELL_RECIPE = `init:
  rcS: |
    #!/bin/sh
    mount -t proc proc /proc
    echo "rcS-DONE"
  shell: respawn
`;

describe('mkrootfs boot on the bundled emulator', () => {
  let shellImage: string;

  beforeAll(() => {
    shellImage = build(recipeOverBusybox('shell', SHELL_RECIPE));
  });

  it('recipes/busybox.yml: built, booted, reaches the rcS banner and powers off (exit 0)', () => {
    const r = boot([BUSYBOX]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/boot: building .* from /);
    expect(r.stdout).toContain('Run /sbin/init as init process');
    // The recipe's rcS banner, then the power-off its boot section waits for.
    const banner = r.stdout.indexOf('mkrootfs: boot OK');
    expect(banner).toBeGreaterThan(0);
    expect(r.stdout.indexOf('reboot: Power down')).toBeGreaterThan(banner);
    expect(r.stderr).toMatch(/boot: ok .* all 2 boot steps completed/);
  });

  it('recipes/hello.yml: a C program cross-compiled into the image runs under our emulator', () => {
    const r = boot([join(ROOT, 'recipes/hello.yml')]);
    expect(r.code, r.stderr).toBe(0);
    // 6.12: the series of Debian's linux-source-6.12 package the guest is built from; any point release matches.
    expect(r.stdout).toMatch(/Hello from mkrootfs: Linux 6\.12\.\d+ on openrisc/);
  });

  it('runs a scripted shell session and checks the output of each command', () => {
    const img = join(work, 'session.img');
    copyFileSync(shellImage, img);
    const r = boot([img, '--expect', 'rcS-DONE',
      '--expect', '# ', '--send', 'ls /',
      '--expect', 'proc', '--expect', '# ', '--send', 'cat /proc/mounts',
      '--expect', '/dev/root / ext', '--expect', '# ', '--send', 'echo hello-from-guest > /root/hello.txt; sync; echo WROTE-$?',
      '--expect', 'WROTE-0', '--expect', '# ', '--send', 'cat /root/hello.txt',
      '--expect', 'hello-from-guest\r\n', '--expect', '# ', '--send', 'poweroff -f',
      '--expect', 'reboot: Power down']);
    expect(r.code, r.stderr).toBe(0);
    // ls / shows the image's top-level directories (the echo of the command is excluded by the expect order).
    // eslint-disable-next-line no-control-regex
    const afterLs = r.stdout.slice(r.stdout.indexOf('ls /')).replace(/\x1b\[[0-9;]*m/g, ''); // ls colours its output
    for (const d of ['bin', 'dev', 'etc', 'proc', 'sbin']) expect(afterLs).toMatch(new RegExp(`\\b${d}\\b`));
    expect(r.stdout).toMatch(/\/dev\/root \/ ext[234] rw/);
    expect(r.stdout).toMatch(/proc \/proc proc/);
  });

  it('a second disk (--device virtio-blk,drive=FILE) takes the next slot, appears as /dev/vdb and mounts', () => {
    const img = join(work, 'twodisks.img');
    copyFileSync(shellImage, img);
    const dataDir = mkdtempSync(join(work, 'data-'));
    writeFileSync(join(dataDir, 'marker.txt'), 'second-disk-content\n');
    const data = join(work, 'data.img');
    const b = node('bin/mkrootfs.js', ['build', '--from-dir', dataDir, '-o', data, '--size', '1M']);
    expect(b.code, b.stderr).toBe(0);
    const r = boot([img, '--device', 'virtio-blk,drive=data.img,serial=data0', '--expect', 'rcS-DONE',
      '--expect', '# ', '--send', 'mkdir -p /root/d && mount -t ext2 /dev/vdb /root/d && cat /root/d/marker.txt',
      '--expect', 'second-disk-content\r\n', '--expect', '# ', '--send', 'poweroff -f',
      '--expect', 'reboot: Power down']);
    expect(r.code, r.stderr + r.stdout.slice(-2000)).toBe(0);
    // Slot 7 (the image) is probed first → vda; the data disk on slot 6 → vdb, 1 MiB = 2048 sectors.
    expect(r.stdout).toMatch(/virtio_blk virtio\d: \[vda\]/);
    expect(r.stdout).toMatch(/virtio_blk virtio\d: \[vdb\] 2048 512-byte logical blocks/);
  });

  it('a missing init panics the kernel: exit 4 as it happens, with the panic line', () => {
    const p = join(work, 'noinit.yml');
    writeFileSync(p, 'image:\n  output: noinit.img\n  size: 8M\nfiles:\n  - path: /etc/motd\n    content: "no init here\\n"\n');
    const img = build(p);
    const r = boot([img, '--expect', 'never printed']);
    expect(r.code).toBe(4);
    expect(r.stdout).toContain('Kernel panic - not syncing: No working init found');
    expect(r.stderr).toMatch(/guest panic: .*Kernel panic - not syncing: No working init found/);
    expect(r.stderr).toMatch(/last \d+ console line/);
  });

  it('never modifies the image without --write; with --write the guest\'s file is on disk (debugfs)', () => {
    const img = join(work, 'cow.img');
    copyFileSync(shellImage, img);
    const before = sha256(img);
    const script = ['--expect', 'rcS-DONE', '--expect', '# ', '--send', 'echo persisted-$((6*7)) > /root/note.txt; sync; echo SYNC""ED',
      '--expect', 'SYNCED', '--expect', '# ', '--send', 'poweroff -f', '--expect', 'reboot: Power down'];
    const cow = boot([img, ...script]);
    expect(cow.code, cow.stderr).toBe(0);
    expect(sha256(img)).toBe(before);

    const rw = boot([img, '--write', ...script]);
    expect(rw.code, rw.stderr).toBe(0);
    expect(sha256(img)).not.toBe(before);
    const cat = spawnSync('debugfs', ['-R', 'cat /root/note.txt', img], { encoding: 'utf8' });
    expect(cat.stdout).toBe('persisted-42\n');
    const fsck = spawnSync('e2fsck', ['-fn', img], { encoding: 'utf8' });
    expect(fsck.status, fsck.stdout + fsck.stderr).toBe(0);
  });

  it('two boots print identical transcripts, printk timestamps included', () => {
    const img = join(work, 'twice.img');
    copyFileSync(shellImage, img);
    const args = [img, '--expect', 'rcS-DONE', '--expect', '# ', '--send', 'cat /proc/uptime; poweroff -f', '--expect', 'reboot: Power down'];
    const a = boot(args);
    const b = boot(args);
    expect(a.code, a.stderr).toBe(0);
    expect(b.code).toBe(0);
    expect(a.stdout).toMatch(/\[\s+\d+\.\d{6}\]/);
    expect(b.stdout).toBe(a.stdout);
    expect(readFileSync(join(work, 'twice.boot.log'), 'latin1')).toBe(b.stdout);
  });

  it('translated code (cold, and restored from the translation cache) and --no-jit print the same transcript for a compute-heavy session (md5sum of 4 MiB)', async () => {
    const img = join(work, 'jit.img');
    copyFileSync(shellImage, img);
    const args = [img, '--expect', 'rcS-DONE', '--expect', '# ', '--send', 'dd if=/dev/zero bs=1024 count=4096 2>/dev/null | md5sum; cat /proc/uptime; poweroff -f', '--expect', 'reboot: Power down'];
    // A cache root of its own: the first boot translates, the second restores
    // those pages from the translation cache (the compiled CLI's, under the root).
    expect(pickBuild(ROOT), 'dist/ is older than the sources: run `npm run build`').toBe('dist');
    // (That root has no guest: the kernel is named.)
    const env = { ...process.env, MKROOTFS_CACHE_DIR: mkdtempSync(join(tmpdir(), 'boot-e2e-cache-')), MKROOTFS_NO_CODE_CACHE: '', MKROOTFS_NO_TRANSLATION_CACHE: '' };
    const kernel = kernelArgs.length > 0 ? [] : ['--kernel', await guestVar('kernel', { env: process.env, build: false })];
    const jit = boot([...args, ...kernel, '--json'], env);
    const warm = boot([...args, ...kernel, '--json'], env);
    const interp = boot([...args, '--json', '--no-jit']);
    expect(jit.code, jit.stderr).toBe(0);
    expect(warm.code, warm.stderr).toBe(0);
    expect(interp.code, interp.stderr).toBe(0);
    const zeros = createHash('md5').update(Buffer.alloc(4 << 20)).digest('hex');
    expect(jit.stderr).toContain(`${zeros}  -`);
    // With --json the console goes to stderr: the same bytes, timestamps and all.
    expect(jit.stderr).toBe(interp.stderr);
    expect(warm.stderr).toBe(interp.stderr);
    type Report = { instructions: number; jit: { enabled: boolean; translations: number; restoredPages: number; retiredTranslated: number } };
    const [j, w, i] = [jit, warm, interp].map((r) => JSON.parse(r.stdout) as Report);
    expect(j!.instructions).toBe(i!.instructions);
    expect(w!.instructions).toBe(i!.instructions);
    expect(j!.jit).toMatchObject({ enabled: true, restoredPages: 0 });
    expect(j!.jit.translations).toBeGreaterThan(0);
    expect(w!.jit.restoredPages).toBeGreaterThan(0);
    expect(w!.jit.translations).toBeLessThan(j!.jit.translations);
    expect(i!.jit).toMatchObject({ enabled: false, translations: 0, restoredPages: 0, retiredTranslated: 0 });
    // The md5sum loop runs translated: most of the boot's instructions, more of the warm one's.
    expect(j!.jit.retiredTranslated).toBeGreaterThan(j!.instructions / 2);
    expect(w!.jit.retiredTranslated).toBeGreaterThan(j!.jit.retiredTranslated);
    expect(w!.jit.retiredTranslated).toBeLessThan(w!.instructions);
  });
});
