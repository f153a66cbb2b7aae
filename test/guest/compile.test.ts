/**
 * The real cross compiler: static hello programs built with the guest's
 * or1k-linux-musl-gcc (and compileStatic) run under qemu-or1k, the
 * independent oracle. Needs the guest build (cached → instant; a cold cache
 * builds it, which takes minutes).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildGuest, type GuestResult } from '../../src/guest/index.ts';
import { compileStatic } from '../../src/guest/compile.ts';
import { MkrootfsError } from '../../src/errors.ts';

let guest: GuestResult;
const work = mkdtempSync(join(tmpdir(), 'guest-compile-'));
const sha256 = (p: string): string => createHash('sha256').update(readFileSync(p)).digest('hex');

beforeAll(async () => {
  guest = await buildGuest();
});

const HELLO = `#include <stdio.h>
#include <string.h>
#include <stdlib.h>
int main(int argc, char **argv) {
  char *s = strdup(argc > 1 ? argv[1] : "nobody");
  printf("hello, %s (%d args)\\n", s, argc);
  free(s);
  return 42;
}
`;

describe('or1k-linux-musl-gcc', () => {
  it('builds a static program that qemu-or1k runs (stdout, argv, exit status)', () => {
    writeFileSync(join(work, 'hello.c'), HELLO);
    const cc = spawnSync(guest.cc, ['-O2', '-Wall', '-o', join(work, 'hello'), join(work, 'hello.c')], { encoding: 'utf8' });
    expect(cc.stderr).toBe('');
    expect(cc.status).toBe(0);
    const run = spawnSync('qemu-or1k', [join(work, 'hello'), 'world'], { encoding: 'utf8', timeout: 30_000 });
    expect(run.stdout).toBe('hello, world (2 args)\n');
    expect(run.status).toBe(42);
  });

  it('links for Linux: entry at _start, first PT_LOAD maps the ELF headers, no interpreter, no exec stack', () => {
    const out = join(work, 'hello-elf');
    writeFileSync(join(work, 'hello.c'), HELLO);
    expect(spawnSync(guest.cc, ['-o', out, join(work, 'hello.c')]).status).toBe(0);
    const hdr = spawnSync('or1k-elf-readelf', ['-h', '-l', '-s', '-W', out], { encoding: 'utf8' }).stdout;
    const entry = /Entry point address:\s+(0x[0-9a-f]+)/.exec(hdr)![1]!;
    const start = /\s([0-9a-f]{8})\s+\d+\s+(?:FUNC|NOTYPE)\s+GLOBAL\s+DEFAULT\s+\d+\s+_start$/m.exec(hdr)![1]!;
    expect(Number(entry)).toBe(parseInt(start, 16));
    expect(Number(entry)).toBeGreaterThanOrEqual(0x2000);
    const firstLoad = /^\s+LOAD\s+(0x[0-9a-f]+)\s+(0x[0-9a-f]+)/m.exec(hdr)!;
    expect(Number(firstLoad[1])).toBe(0);
    expect(Number(firstLoad[2])).toBe(0x2000);
    expect(hdr).not.toMatch(/INTERP|DYNAMIC/);
    expect(hdr).toMatch(/GNU_STACK\s+\S+\s+\S+\s+\S+\s+\S+\s+\S+\s+RW\s/);
  });

  it('defines __linux__ and __unix__ and finds the Linux UAPI headers', () => {
    const src = join(work, 'os.c');
    writeFileSync(src, '#include <linux/kd.h>\n#include <stdio.h>\n#if !defined(__linux__) || !defined(__unix__)\n#error not linux\n#endif\nint main(void){printf("KDGKBTYPE=%#x\\n", KDGKBTYPE);return 0;}\n');
    expect(spawnSync(guest.cc, ['-o', join(work, 'os'), src], { encoding: 'utf8' }).stderr).toBe('');
    expect(spawnSync('qemu-or1k', [join(work, 'os')], { encoding: 'utf8' }).stdout).toBe('KDGKBTYPE=0x4b33\n');
  });
});

describe('compileStatic', () => {
  it('compiles sources with cflags into a reproducible program at the output path', async () => {
    writeFileSync(join(work, 'msg.c'), '#include <stdio.h>\nint main(void){puts(MSG);return 0;}\n');
    await compileStatic({ sources: ['msg.c'], output: 'msg1', cflags: ['-DMSG="compiled"'], cwd: work });
    await compileStatic({ sources: [join(work, 'msg.c')], output: join(work, 'msg2'), cflags: ['-DMSG="compiled"'], cwd: work });
    expect(spawnSync('qemu-or1k', [join(work, 'msg1')], { encoding: 'utf8' }).stdout).toBe('compiled\n');
    expect(sha256(join(work, 'msg1'))).toBe(sha256(join(work, 'msg2')));
  });

  it('reports compiler errors as GUEST_COMPILE_FAILED (exit 2) with the diagnostics, and writes nothing', async () => {
    writeFileSync(join(work, 'bad.c'), 'int main(void) { return undeclared_thing; }\n');
    let err: unknown;
    try {
      await compileStatic({ sources: ['bad.c'], output: 'bad', cwd: work });
    } catch (e) { err = e; }
    expect(err).toBeInstanceOf(MkrootfsError);
    const e = err as MkrootfsError;
    expect(e.code).toBe('GUEST_COMPILE_FAILED');
    expect(e.exitCode).toBe(2);
    expect(e.message).toContain('bad.c:1');
    expect(e.message).toContain('undeclared_thing');
    expect(existsSync(join(work, 'bad'))).toBe(false);
  });
});
