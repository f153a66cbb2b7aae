/**
 * `mkrootfs boot --kernel PROGRAM` end to end on the real emulator, with tiny
 * bare-metal or1k programs (test/boot/fixtures/console.c) built by
 * or1k-elf-gcc: exit codes, scripted input, transcripts and the console log
 * (out/KERNEL.boot.log for a boot without a disk).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runCli } from '../helpers/cli.ts';

const fixtures = join(dirname(fileURLToPath(import.meta.url)), 'fixtures');
const dir = mkdtempSync(join(tmpdir(), 'boot-bare-'));
const hasGcc = spawnSync('or1k-elf-gcc', ['--version']).status === 0;
const elf = (mode: number) => join(dir, `mode${mode}.elf`);

const boot = (args: string[]) => runCli(['boot', ...args], dir, {}, { encoding: 'latin1' });

describe.skipIf(!hasGcc)('mkrootfs boot --kernel (bare-metal programs)', () => {
  beforeAll(() => {
    for (const mode of [1, 2, 3, 4, 5]) {
      const r = spawnSync('or1k-elf-gcc', ['-O2', '-nostdlib', '-ffreestanding', `-DMODE=${mode}`, '-T', join(fixtures, 'link.ld'),
        '-o', elf(mode), join(fixtures, 'start.S'), join(fixtures, 'console.c')], { encoding: 'utf8' });
      if (r.status !== 0) throw new Error(r.stderr);
    }
  });

  it('a program that prints and powers off: exit 0, console on stdout and in out/mode1.boot.log', async () => {
    const r = await boot(['--kernel', elf(1)]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('hello from bare metal\r\nBANNER-OK\r\n');
    expect(readFileSync(join(dir, 'out/mode1.boot.log'), 'latin1')).toBe(r.stdout);
    expect(r.stderr).toMatch(/boot: ok — guest powered off/);
  });

  it('an expectation met ends the boot with exit 0; one never printed before power-off is exit 3', async () => {
    expect((await boot(['--kernel', elf(1), '--expect', 'BANNER-OK'])).code).toBe(0);
    const r = await boot(['--kernel', elf(1), '--expect', 'BANNER-OK', '--expect', 'NOT-PRINTED']);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/guest powered off before step 2 \(expect "NOT-PRINTED"\)/);
    expect(r.stderr).toMatch(/\| BANNER-OK/);
  });

  it('a --fail text is exit 3 as soon as it shows', async () => {
    const r = await boot(['--kernel', elf(1), '--fail', 'hello', '--expect', 'BANNER-OK']);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/BOOT_FAIL_PATTERN.*"hello"/);
  });

  it('a panic line is exit 4 while the guest still runs', async () => {
    const r = await boot(['--kernel', elf(2), '--expect', 'never']);
    expect(r.code).toBe(4);
    expect(r.stderr).toContain('guest panic: [    1.000000] Kernel panic - not syncing: test panic');
  });

  it('a guest that never finishes is exit 124 after --timeout seconds of guest time', async () => {
    const r = await boot(['--kernel', elf(3), '--timeout', '0.2']);
    expect(r.code).toBe(124);
    expect(r.stderr).toMatch(/timed out after 0\.2 s of guest time/);
    const j = await boot(['--kernel', elf(3), '--timeout', '0.2', '--json']);
    expect(j.code).toBe(124);
    const result = JSON.parse(j.stdout);
    expect(result).toMatchObject({ status: 'timeout', exitCode: 124 });
    expect(result.guestSeconds).toBeGreaterThanOrEqual(0.2);
    expect(result.guestSeconds).toBeLessThan(0.3);
  });

  it('types --send lines into the console in order, and a trailing send waits for power-off', async () => {
    const r = await boot(['--kernel', elf(4), '--expect', '> ', '--send', 'hello there', '--expect', 'got: hello there',
      '--expect', '> ', '--send', 'x\\x41y', '--expect', 'got: xAy', '--expect', '> ', '--send', 'off']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('> got: hello there\r\n> got: xAy\r\n> ');
    expect(r.stderr).toMatch(/guest powered off/);
  });

  it('runs are reproducible: same transcript, instruction count and guest time', async () => {
    const args = ['--kernel', elf(4), '--json', '--expect', '> ', '--send', 'one', '--expect', '> ', '--send', 'two', '--expect', 'got: two'];
    const a = await boot(args);
    const b = await boot(args);
    const ja = JSON.parse(a.stdout);
    const jb = JSON.parse(b.stdout);
    expect(ja.status).toBe('ok');
    expect(ja.instructions).toBe(jb.instructions);
    expect(ja.guestSeconds).toBe(jb.guestSeconds);
    expect(a.stderr.replace(/wall.*/g, '')).toBe(b.stderr.replace(/wall.*/g, ''));
  });

  it('SIGTERM stops a headless boot between slices, keeps the log, and ends the process by the signal', async () => {
    const sub = join(dir, 'sig');
    mkdirSync(sub, { recursive: true });
    const child = spawn(process.execPath, [join(fixtures, '../../../bin/boot.js'), '--kernel', elf(3), '--timeout', '100000'], { cwd: sub });
    let err = '';
    child.stderr.on('data', (d) => {
      err += String(d);
      if (err.includes('headless')) setTimeout(() => child.kill('SIGTERM'), 300);
    });
    const [code, signal] = await new Promise<[number | null, string | null]>((res) => child.on('close', (c, s) => res([c, s])));
    expect(signal ?? code).toBe('SIGTERM');
    expect(err).toMatch(/boot: stopped by SIGTERM at guest [\d.]+ s/);
    expect(existsSync(join(sub, 'out/mode3.boot.log'))).toBe(true);
  });

  it('a failure code through the syscon is exit 1', async () => {
    const r = await boot(['--kernel', elf(5)]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/failure with code 3/);
  });

  it('--print-machine shows the composition tree without running', async () => {
    const r = await boot(['--kernel', elf(1), '--print-machine']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/\/machine \(virt-machine\)/);
    expect(r.stdout).toMatch(/append = "console=ttyS0"/);
    expect(r.stdout).not.toContain('BANNER-OK');
  });

  it('a bad --device is exit 2 before the guest starts', async () => {
    const r = await boot(['--kernel', elf(1), '--device', 'virtio-blk-device,drive=hd9']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/no drive with id 'hd9'/);
    expect(r.stdout).toBe('');
    const u = await boot(['--kernel', elf(1), '--device', 'virtio-blk-devise,drive=hd0']);
    expect(u.code).toBe(2);
    expect(u.stderr).toMatch(/did you mean 'virtio-blk-device'/);
  });
});
