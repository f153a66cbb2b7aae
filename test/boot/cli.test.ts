import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../src/cli/main.ts';
import { captureIo } from '../helpers/cli.ts';

function fakeIo(cwd: string) {
  const c = captureIo(cwd);
  return { io: c.io, out: () => c.stdout(), err: () => c.stderr() };
}

const dir = mkdtempSync(join(tmpdir(), 'boot-cli-'));
writeFileSync(join(dir, 'tiny.img'), Buffer.alloc(4096));
writeFileSync(join(dir, 'kernel.elf'), Buffer.from('not really'));

describe('mkrootfs boot (argument handling, before any guest runs)', () => {
  it('--help explains steps, time and exit codes', async () => {
    const f = fakeIo(dir);
    expect(await main(['boot', '--help'], f.io)).toBe(0);
    expect(f.out()).toMatch(/--expect <text>/);
    expect(f.out()).toMatch(/Exit codes: 0 ok/);
    expect(f.out()).toMatch(/headless boot uses virtual time/);
    expect(f.out()).toMatch(/interactive session runs free/);
    expect(f.out()).toMatch(/--log <file>/);
    expect(f.out()).toMatch(/--junit <file>/);
    expect(f.out()).toMatch(/Piped stdin \(not a terminal\) is typed into the guest console/);
    expect(f.out()).toMatch(/out\/rootfs\.img -> out\/rootfs\.boot\.log/);
  });

  it.each([
    [['boot'], /BOOT_NO_TARGET/],
    [['boot', 'missing.img', '--kernel', 'kernel.elf'], /disk image not found: .*missing\.img/],
    [['boot', 'tiny.img', '--kernel', 'nope.elf'], /kernel not found: .*nope\.elf/],
    [['boot', '--kernel', 'kernel.elf', '--memory', '3G'], /BOOT_BAD_MEMORY/],
    [['boot', '--kernel', 'kernel.elf', '--timeout', '-1'], /not a positive number/],
    [['boot', '--kernel', 'kernel.elf', '--device', 'virtio-blk-device,oops'], /'oops' is not prop=value/],
    [['boot', '--kernel', 'kernel.elf', '--expect', 're:('], /invalid regular expression/],
    [['boot', 'missing.yml'], /recipe not found/],
  ])('%j is a usage error (exit 2) with a clear message', async (argv, msg) => {
    const f = fakeIo(dir);
    expect(await main(argv, f.io)).toBe(2);
    expect(f.err()).toMatch(msg);
    expect(f.out()).toBe('');
  });
});
