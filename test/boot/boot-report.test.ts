import { describe, expect, it } from 'vitest';
import { PassThrough } from 'node:stream';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultBootLogPath, PipedInput } from '../../src/cli/commands/boot-report.ts';
import { main } from '../../src/cli/main.ts';
import type { CliIo } from '../../src/cli/io.ts';
import { validateJunitFile, xpath } from '../helpers/junit-oracle.ts';

describe('defaultBootLogPath', () => {
  it('is named after the image, beside it; in outputDir when configured; after the kernel without a disk', () => {
    expect(defaultBootLogPath({ image: '/w/out/rootfs.img', kernel: '/k/vmlinux', cwd: '/w' })).toBe('/w/out/rootfs.boot.log');
    expect(defaultBootLogPath({ image: '/w/a.ext2', kernel: '/k/vmlinux', cwd: '/w' })).toBe('/w/a.boot.log');
    expect(defaultBootLogPath({ image: '/w/disk', kernel: '/k/vmlinux', cwd: '/w' })).toBe('/w/disk.boot.log');
    expect(defaultBootLogPath({ image: '/w/out/rootfs.img', kernel: '/k/vmlinux', outputDir: '/logs', cwd: '/w' })).toBe('/logs/rootfs.boot.log');
    expect(defaultBootLogPath({ kernel: '/x/test.elf', cwd: '/w' })).toBe('/w/out/test.boot.log');
  });
});

describe('PipedInput', () => {
  it('queues bytes as they arrive, hands them over once, and stops reading on close', async () => {
    const s = new PassThrough();
    const p = new PipedInput(s);
    s.write('uname -a\n');
    s.write(Buffer.from([0xc3, 0xa9, 0x0a]));
    await new Promise((r) => setImmediate(r));
    expect(Buffer.from(p.take()).toString('latin1')).toBe('uname -a\n\xc3\xa9\n');
    expect(p.take()).toHaveLength(0);
    p.close();
    expect(s.destroyed).toBe(true);
  });
});

describe('boot --junit when the boot cannot start', () => {
  it('writes a report whose one testcase fails with the usage error (exit 2)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'boot-junit-'));
    const err: string[] = [];
    const stderr = new PassThrough();
    stderr.on('data', (d) => err.push(String(d)));
    const io: CliIo = { stdout: new PassThrough(), stderr, stdin: new PassThrough(), env: {}, cwd: dir };
    expect(await main(['boot', 'missing.img', '--kernel', 'k.elf', '--junit', 'r/boot.xml'], io)).toBe(2);
    const p = join(dir, 'r/boot.xml');
    validateJunitFile(p);
    expect(xpath(p, 'string(//testcase/failure/@type)')).toBe('BOOT_FILE_MISSING');
    expect(xpath(p, 'string(//testcase/failure/@message)')).toMatch(/disk image not found: .*missing\.img/);
    expect(readFileSync(p, 'utf8')).toContain('<testsuite name="boot missing.img"');
    expect(err.join('')).not.toContain('::error'); // not in GitHub Actions
  });
});
