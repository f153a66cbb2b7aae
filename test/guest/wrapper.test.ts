/** The or1k-linux-musl-gcc wrapper text: placeholders filled, valid sh, the flags the traps need. */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { renderWrapper } from '../../src/guest/toolchain.ts';
import { ASSETS_DIR } from '../../src/guest/index.ts';
import { MkrootfsError } from '../../src/errors.ts';

const template = readFileSync(join(ASSETS_DIR, 'or1k-linux-musl-gcc.in'), 'utf8');
const facts = { gcc: '/opt/x/or1k-elf-gcc', libgcc: '/opt/x/libgcc.a', gccInclude: '/opt/x/include' };

describe('renderWrapper', () => {
  const text = renderWrapper(template, facts);

  it('fills every placeholder with the compiler paths', () => {
    expect(text).not.toMatch(/@[A-Z_]+@/);
    expect(text).toContain("gcc='/opt/x/or1k-elf-gcc'");
    expect(text).toContain("libgcc='/opt/x/libgcc.a'");
    expect(text).toContain("gccinc='/opt/x/include'");
  });

  it('is a valid POSIX shell script', () => {
    const dir = mkdtempSync(join(tmpdir(), 'wrapper-'));
    writeFileSync(join(dir, 'w'), text);
    const r = spawnSync('sh', ['-n', join(dir, 'w')], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it('carries the fixes for the three bare-metal traps and the musl startup files', () => {
    expect(text).toContain('-Wl,--entry=_start');
    expect(text).toContain('or1k-linux-musl.ld');
    expect(text).toContain('-D__linux__=1');
    expect(text).toContain('-z,noexecstack');
    expect(text).toMatch(/crt1\.o.*crti\.o[\s\S]*"\$@"[\s\S]*-lc "\$libgcc"[\s\S]*crtn\.o/);
  });

  it('prints the command lines it runs (checked by running it against a fake gcc)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'wrapper-'));
    const fake = join(dir, 'fake-gcc');
    writeFileSync(fake, '#!/bin/sh\nfor a in "$@"; do printf "%s\\n" "$a"; done\n', { mode: 0o755 });
    const w = join(dir, 'bin', 'or1k-linux-musl-gcc');
    spawnSync('mkdir', ['-p', join(dir, 'bin')]);
    writeFileSync(w, renderWrapper(template, { ...facts, gcc: fake }), { mode: 0o755 });
    const link = spawnSync(w, ['-O2', '-o', 'p', 'p.c'], { encoding: 'utf8' }).stdout.split('\n');
    expect(link).toContain('-static');
    expect(link).toContain('-nostdlib');
    expect(link).toContain(`${dir}/bin/../sysroot/lib/crt1.o`);
    expect(link.indexOf('p.c')).toBeLessThan(link.indexOf('-lc'));
    const compile = spawnSync(w, ['-c', 'p.c'], { encoding: 'utf8' }).stdout.split('\n');
    expect(compile).toContain('-nostdinc');
    expect(compile).not.toContain('-static');
    expect(compile.some((a) => a.endsWith('crt1.o'))).toBe(false);
    // A partial link (busybox's built-in.o) must not get crt1.o or libc.
    const partial = spawnSync(w, ['-nostdlib', '-r', '-o', 'built-in.o', 'a.o', 'b.o'], { encoding: 'utf8' }).stdout.split('\n');
    expect(partial.some((a) => /crt[1in]\.o$/.test(a))).toBe(false);
    expect(partial).not.toContain('-lc');
    expect(partial.some((a) => a.includes('--entry'))).toBe(false);
    const nostart = spawnSync(w, ['-nostartfiles', '-o', 'x', 'x.o'], { encoding: 'utf8' }).stdout.split('\n');
    expect(nostart.some((a) => /crt1\.o$/.test(a))).toBe(false);
    expect(nostart).toContain('-lc');
    const version = spawnSync(w, ['--version'], { encoding: 'utf8' }).stdout;
    expect(version).toBe('--version\n');
  });

  it('refuses a path that cannot be single-quoted', () => {
    expect(() => renderWrapper(template, { ...facts, gcc: "/it's/gcc" })).toThrow(MkrootfsError);
  });
});
