/**
 * Hostile and unusual recipe inputs (issue 11): each measured failure is a
 * fixture here. Every one must end quickly with a coded error and exit 2 —
 * never "internal error", a hang, or a heap exhausted. The cases that could
 * hang or exhaust memory run as real processes with a time limit.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadRecipe } from '../../src/recipe/load.ts';
import { parseYaml, MAX_ALIAS_NODES } from '../../src/recipe/yaml-source.ts';
import { MAX_SUBSTITUTED_LENGTH } from '../../src/recipe/vars.ts';
import { MAX_RECIPE_BYTES } from '../../src/recipe/include.ts';
import { buildIn, project, recipeIssues, spawnCli } from './helpers.ts';

const codes = (err: { issues: readonly { code: string }[] }): string[] => err.issues.map((i) => i.code);

/** Nine levels of nine aliases: 9^9 = 387 million nodes if expanded. */
const ALIAS_BOMB = ['a: &a ["x","x","x","x","x","x","x","x","x"]',
  ...'bcdefghi'.split('').map((l, i) => `${l}: &${l} [${Array(9).fill(`*${'abcdefghi'[i]}`).join(',')}]`)].join('\n') + '\n';

/** Forty variables, each twice the one before: 16 × 2^39 characters. */
const VAR_DOUBLING = ['vars:', '  v0: "xxxxxxxxxxxxxxxx"', ...Array.from({ length: 39 }, (_, i) => `  v${i + 1}: "\${v${i}}\${v${i}}"`), 'hostname: ${v39}'].join('\n') + '\n';

function expectCoded(r: { status: number | null; signal: string | null; stderr: string }, code: string): void {
  expect(r.signal, r.stderr).toBeNull();
  expect(r.stderr).not.toContain('internal error');
  expect(r.stderr).toContain(`[${code}]`);
  expect(r.stderr).toContain('hint:');
  expect(r.status, r.stderr).toBe(2);
}

describe('YAML that would exhaust time or memory', () => {
  it('an alias bomb stops at the alias budget (was 198 s, then out of heap)', async () => {
    const t0 = performance.now();
    const parsed = parseYaml('bomb.yml', ALIAS_BOMB);
    expect(performance.now() - t0).toBeLessThan(10_000);
    expect(parsed.issues.map((i) => i.code)).toEqual(['RECIPE_ALIAS_LIMIT']);
    expect(parsed.issues[0]!.message).toContain(String(MAX_ALIAS_NODES));
    const dir = project({ 'recipe.yml': ALIAS_BOMB });
    const r = spawnCli(['build', 'recipe.yml', '-o', 'x.img'], { cwd: dir, timeoutMs: 30_000, nodeArgs: ['--max-old-space-size=256'] });
    expectCoded(r, 'RECIPE_ALIAS_LIMIT');
  });

  it('aliases within the budget still expand', async () => {
    const dir = project({ 'recipe.yml': 'dirs:\n  - &d { path: /a, mode: "0700" }\n  - *d\n' });
    const err = await recipeIssues(() => buildIn(dir));
    expect(codes(err)).toEqual(['RECIPE_DUPLICATE_PATH']); // the alias expanded to a second /a
  });

  it('deep flow and compact block nesting are refused before the parser sees them', () => {
    for (const text of [
      `a: ${'['.repeat(100_000)}${']'.repeat(100_000)}`,
      `a: ${'{b: '.repeat(50_000)}x${'}'.repeat(50_000)}`,
      `a:\n  ${'- '.repeat(100_000)}x`,
      `${'? '.repeat(100_000)}x`,
    ]) {
      const t0 = performance.now();
      const parsed = parseYaml('deep.yml', text);
      expect(performance.now() - t0).toBeLessThan(5_000);
      expect(parsed.issues.map((i) => i.code)).toEqual(['RECIPE_TOO_DEEP']);
      expect(parsed.issues[0]!.pos?.line).toBeGreaterThan(0);
    }
    // Long flat flow collections on one line are fine.
    const wide = parseYaml('wide.yml', `vars: {${Array.from({ length: 500 }, (_, i) => `k${i}: "${i}"`).join(', ')}}`);
    expect(wide.issues).toEqual([]);
  });

  it('a map of 40,000 keys is read in linear time (the YAML library\'s duplicate check is quadratic: 7 s for 20,000)', async () => {
    const text = `vars:\n${Array.from({ length: 40_000 }, (_, i) => `  k${i}: "${i}"`).join('\n')}\nhostname: h\n`;
    const t0 = performance.now();
    const parsed = parseYaml('big.yml', text);
    expect(performance.now() - t0).toBeLessThan(5_000);
    expect(parsed.issues).toEqual([]);
    const dup = parseYaml('dup.yml', `${text}hostname: again\n`);
    expect(dup.issues.map((i) => `${i.code} ${i.pos?.line}`)).toEqual(['RECIPE_DUPLICATE_KEY 40003']);
  });

  it('a recipe file over the size limit is refused without parsing', async () => {
    const dir = project({ 'recipe.yml': `hostname: a\n# ${'x'.repeat(MAX_RECIPE_BYTES)}\n` });
    const err = await recipeIssues(() => buildIn(dir));
    expect(codes(err)).toEqual(['RECIPE_INPUT_TOO_LARGE']);
  });
});

describe('variables that would exhaust memory', () => {
  it('doubling vars stop at the length limit (was internal error: Invalid string length)', async () => {
    const dir = project({ 'recipe.yml': VAR_DOUBLING });
    const err = await recipeIssues(() => buildIn(dir));
    expect(codes(err)).toContain('RECIPE_VAR_TOO_LONG');
    const tooLong = err.issues.find((i) => i.code === 'RECIPE_VAR_TOO_LONG')!;
    expect(tooLong.message).toContain(String(MAX_SUBSTITUTED_LENGTH));
    expect(tooLong.pos?.file).toBe('recipe.yml');
    expect(err.message.length).toBeLessThan(20_000);
    const r = spawnCli(['build', 'recipe.yml', '-o', 'x.img'], { cwd: dir, timeoutMs: 30_000, nodeArgs: ['--max-old-space-size=256'] });
    expectCoded(r, 'RECIPE_INVALID');
    expect(r.stderr).toContain('longer than');
  });

  it('many references to a large value stop at the total limit', async () => {
    const big = 'y'.repeat(900_000);
    const text = `vars:\n  big: "${big}"\nfiles:\n${Array.from({ length: 40 }, (_, i) => `  - { path: /f${i}, content: "\${big}" }`).join('\n')}\n`;
    const dir = project({ 'recipe.yml': text });
    const err = await recipeIssues(() => buildIn(dir));
    expect(codes(err)).toEqual(['RECIPE_VAR_TOO_LONG']);
    expect(err.issues[0]!.message).toContain('in all');
  });

  it('a long chain of variables is an error, not a stack overflow', async () => {
    const n = 20_000;
    const text = `vars:\n${Array.from({ length: n }, (_, i) => `  v${i}: "${i === n - 1 ? 'end' : `\${v${i + 1}}`}"`).join('\n')}\nhostname: \${v0}\n`;
    const dir = project({ 'recipe.yml': text });
    const err = await recipeIssues(() => buildIn(dir));
    expect(codes(err)).toContain('RECIPE_VAR_TOO_DEEP');
    expect(err.message).not.toContain('Maximum call stack');
  });

  it('an unknown variable with a huge name gets a short message and no suggestion', async () => {
    const dir = project({ 'recipe.yml': `vars: { a: "1" }\nhostname: "\${${'b'.repeat(200_000)}}"\n` });
    const t0 = performance.now();
    const err = await recipeIssues(() => buildIn(dir));
    expect(performance.now() - t0).toBeLessThan(5_000);
    expect(codes(err)).toContain('RECIPE_UNKNOWN_VAR');
  });
});

describe('inputs that are not regular files', () => {
  const fifoProject = (recipe: string): string => {
    const dir = project({ 'recipe.yml': recipe, 'ok.yml': 'hostname: ok\n' });
    execFileSync('mkfifo', [join(dir, 'fifo')]);
    return dir;
  };

  it.each([
    ['a FIFO as a layer (was a hang)', 'layers:\n  - source: fifo\n', 'RECIPE_SOURCE_NOT_REGULAR', 'FIFO'],
    ['/dev/zero as a layer (was 14 GB and growing)', 'layers:\n  - source: /dev/zero\n', 'RECIPE_SOURCE_NOT_REGULAR', 'character device'],
    ['a FIFO as an include', 'include: [fifo]\nhostname: a\n', 'RECIPE_SOURCE_NOT_REGULAR', 'FIFO'],
    ['/dev/zero as an include', 'include: [/dev/zero]\nhostname: a\n', 'RECIPE_SOURCE_NOT_REGULAR', 'character device'],
    ['a FIFO as a file source', 'files:\n  - { path: /a, source: fifo }\n', 'RECIPE_SOURCE_NOT_FILE', 'FIFO'],
    ['/dev/zero as a file source', 'files:\n  - { path: /a, source: /dev/zero }\n', 'RECIPE_SOURCE_NOT_FILE', 'character device'],
    ['/dev/zero as the device table', 'deviceTable: /dev/zero\n', 'RECIPE_SOURCE_NOT_FILE', 'character device'],
    ['a directory as an include', 'include: [sub]\nhostname: a\n', 'RECIPE_SOURCE_NOT_REGULAR', 'directory'],
  ])('%s: a coded error at its position, exit 2, never read', (_name, recipe, code, kind) => {
    const dir = fifoProject(recipe);
    execFileSync('mkdir', [join(dir, 'sub')]);
    const r = spawnCli(['build', 'recipe.yml', '-o', 'x.img'], { cwd: dir, timeoutMs: 30_000 });
    expectCoded(r, code);
    expect(r.stderr).toContain(kind);
    expect(r.stderr).toMatch(/recipe\.yml:\d+:\d+/);
  });

  it('a FIFO or device named as the recipe itself', () => {
    const dir = fifoProject('hostname: a\n');
    for (const path of ['fifo', '/dev/zero']) {
      const r = spawnCli(['build', path, '-o', 'x.img'], { cwd: dir, timeoutMs: 30_000 });
      expectCoded(r, 'RECIPE_SOURCE_NOT_REGULAR');
    }
  });

  it('the loader checks the opened handle too (memfs has no FIFOs: a stat that lies stands in for a swapped path)', async () => {
    const { Volume } = await import('memfs');
    const vol = Volume.fromJSON({ '/p/recipe.yml': 'hostname: a\n' });
    const real = vol.promises;
    const fs = {
      readFile: real.readFile.bind(real),
      stat: real.stat.bind(real),
      open: async (path: string, flags: number) => {
        const fh = await real.open(path, flags);
        return { read: fh.read.bind(fh), close: fh.close.bind(fh), stat: async () => ({ isFile: () => false, isDirectory: () => false, isFIFO: () => true, size: 0 }) };
      },
    };
    const err = await recipeIssues(() => loadRecipe({ recipePath: 'recipe.yml', cwd: '/p', fs: fs as never }));
    expect(codes(err)).toEqual(['RECIPE_SOURCE_NOT_REGULAR']);
  });
});

describe('partly valid recipes', () => {
  it('a user without a name plus an unknown owner (was internal error: reading \'toLowerCase\')', async () => {
    const dir = project({ 'recipe.yml': 'users:\n  - uid: 5\nfiles:\n  - path: /a\n    content: x\n    uid: bob\n' });
    const err = await recipeIssues(() => buildIn(dir));
    expect(codes(err).sort()).toEqual(['RECIPE_MISSING_KEY', 'RECIPE_UNKNOWN_OWNER']);
    const r = spawnCli(['build', 'recipe.yml', '-o', 'x.img'], { cwd: dir });
    expectCoded(r, 'RECIPE_INVALID');
  });

  it('groups with holes, and owners with huge names', async () => {
    const huge = 'g'.repeat(100_000);
    const dir = project({ 'recipe.yml': `groups:\n  - gid: 1\n  - { name: wheel, gid: 10 }\nusers:\n  - { name: u, uid: 1, gid: nogroup, groups: [whel, "${huge}"] }\nfiles:\n  - { path: /a, content: x, gid: "${huge}" }\n` });
    const t0 = performance.now();
    const err = await recipeIssues(() => buildIn(dir));
    expect(performance.now() - t0).toBeLessThan(5_000);
    expect(codes(err)).toContain('RECIPE_UNKNOWN_OWNER');
    expect(err.issues.find((i) => i.message.includes('whel'))?.hint).toBe('did you mean "wheel"?');
    expect(err.message.length).toBeLessThan(20_000);
  });
});

describe('sizes', () => {
  it('--size beyond what ext2 can address is a coded error', () => {
    const dir = project({ 'recipe.yml': 'hostname: a\n' });
    for (const size of ['100000T', '17T', '99999999999999999999']) {
      const r = spawnCli(['build', 'recipe.yml', '-o', 'x.img', '--size', size], { cwd: dir });
      expect(r.stderr).not.toContain('internal error');
      expect(r.status, `${size}: ${r.stderr}`).toBe(2);
    }
    writeFileSync(join(dir, 'image.yml'), 'image: { size: "17T" }\n');
    const r = spawnCli(['build', 'image.yml', '-o', 'x.img'], { cwd: dir });
    expectCoded(r, 'EXT2_IMAGE_TOO_LARGE');
  });
});
