/**
 * `programs`: sources (relative to the recipe) go to the compiler with their
 * cflags and the result lands at `path` with `mode`. The compiler is injected
 * here (a recorder that writes a marker file); the real guest toolchain is
 * exercised by the guest's own tests and recipes/hello.yml.
 */
import { describe, expect, it } from 'vitest';
import { writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildFromRecipe, type CompileStatic } from '../../src/pipeline.ts';
import { project, listImage } from './helpers.ts';
import { debugfsCat, dumpe2fsHeader, e2fsckClean } from '../helpers/oracles.ts';

describe('programs', () => {
  it('compiles each program from sources relative to the recipe, and installs it', async () => {
    const dir = project({
      'r/recipe.yml': 'programs:\n  - { path: /usr/bin/hello, sources: [src/hello.c, src/util.c], cflags: [-O2, -DX=1] }\n  - { path: /sbin/tiny, sources: [src/tiny.c], mode: "0700" }\n',
      'r/src/hello.c': 'int main(){return 0;}\n',
      'r/src/util.c': '/* util */\n',
      'r/src/tiny.c': 'int main(){return 1;}\n',
    });
    const calls: { sources: string[]; cflags?: string[] }[] = [];
    const compile: CompileStatic = async (a) => {
      calls.push({ sources: a.sources, cflags: a.cflags });
      writeFileSync(a.output, `ELF(${a.sources.map((s) => readFileSync(s, 'utf8').trim()).join('|')})`);
    };
    const img = join(dir, 'p.img');
    await buildFromRecipe({ recipePath: 'r/recipe.yml', cwd: dir, output: img, compile, env: {} });
    e2fsckClean(img);
    expect(calls).toEqual([
      { sources: [join(dir, 'r/src/hello.c'), join(dir, 'r/src/util.c')], cflags: ['-O2', '-DX=1'] },
      { sources: [join(dir, 'r/src/tiny.c')], cflags: [] },
    ]);
    const list = listImage(img);
    expect(list.get('/usr/bin/hello')!.mode & 0o7777).toBe(0o755);
    expect(list.get('/sbin/tiny')!.mode & 0o7777).toBe(0o700);
    expect(debugfsCat(img, '/usr/bin/hello').toString()).toBe('ELF(int main(){return 0;}|/* util */)');
  });

  it('a compile failure names the program', async () => {
    const dir = project({ 'recipe.yml': 'programs: [{ path: /bin/x, sources: [x.c] }]\n', 'x.c': 'oops' });
    const compile: CompileStatic = async () => { throw new Error('x.c:1: syntax error'); };
    await expect(buildFromRecipe({ recipePath: 'recipe.yml', cwd: dir, output: join(dir, 'x.img'), compile })).rejects.toThrow('x.c:1: syntax error (while compiling /bin/x)');
  });

  it('a missing source is reported before compiling', async () => {
    const dir = project({ 'recipe.yml': 'programs:\n  - path: /bin/x\n    sources: [gone.c]\n' });
    await expect(buildFromRecipe({ recipePath: 'recipe.yml', cwd: dir, output: join(dir, 'x.img'), compile: async () => {} }))
      .rejects.toMatchObject({ code: 'RECIPE_SOURCE_MISSING', issues: [expect.objectContaining({ pos: { file: 'recipe.yml', line: 3, col: 15 } })] });
  });
});

describe('command-line image overrides', () => {
  it('--size, --block-size, --label override the recipe image section', async () => {
    const dir = project({ 'recipe.yml': 'image: { size: 8M, blockSize: 4096, label: recipe }\nhostname: a\n' });
    const s = await buildFromRecipe({ recipePath: 'recipe.yml', cwd: dir, output: join(dir, 'o.img'), image: { size: '2M', blockSize: 1024, label: 'flag' } });
    if (s.format !== 'ext2') throw new Error(`expected an ext2 build, got ${s.format}`);
    expect([s.bytes, s.blockSize]).toEqual([2 * 1024 * 1024, 1024]);
    expect(dumpe2fsHeader(join(dir, 'o.img')).get('Filesystem volume name')).toBe('flag');
  });
});
