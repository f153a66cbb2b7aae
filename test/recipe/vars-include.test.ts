/**
 * Variables (${name}, env only where named, --set, nesting, ${guest.*} lazily)
 * and include merging (maps deep, lists concatenated in include order,
 * scalars: later wins, diamonds merged once).
 */
import { describe, expect, it } from 'vitest';
import { Volume } from 'memfs';
import { loadRecipe, type LoadRecipeOptions } from '../../src/recipe/load.ts';
import type { HostFs } from '../../src/recipe/host-fs.ts';
import { recipeIssues } from './helpers.ts';

function load(files: Record<string, string>, opts: Partial<LoadRecipeOptions> = {}) {
  const fs = Volume.fromJSON(files, '/p').promises as unknown as HostFs;
  return loadRecipe({ recipePath: 'recipe.yml', cwd: '/p', fs, ...opts });
}

describe('vars', () => {
  it('substitutes ${name} in every string, with $${ as a literal', async () => {
    const r = await load({ 'recipe.yml': 'vars: { name: box, v: "2" }\nhostname: ${name}\nfiles:\n  - { path: "/etc/${name}-v${v}", content: "cost $${HOME} ${v}" }\n' });
    expect(r.recipe.hostname).toBe('box');
    expect(r.recipe.files[0]).toMatchObject({ path: '/etc/box-v2', content: 'cost ${HOME} 2' });
  });

  it('reads only the environment variables a recipe names; --set wins over env, env over default', async () => {
    const files = { 'recipe.yml': 'vars:\n  ver: { env: VERSION, default: "1" }\nhostname: h${ver}\nfiles: [{ path: /x, content: "${ver}" }]\n' };
    expect((await load(files)).recipe.hostname).toBe('h1');
    expect((await load(files, { env: { VERSION: '7', HOSTNAME: 'leak' } })).recipe.hostname).toBe('h7');
    expect((await load(files, { env: { VERSION: '7' }, sets: { ver: '9' } })).recipe.hostname).toBe('h9');
    // An unnamed environment variable is never substituted.
    const err = await recipeIssues(() => load({ 'recipe.yml': 'hostname: ${HOSTNAME}\n' }, { env: { HOSTNAME: 'leak' } }));
    expect(err.issues[0]!.code).toBe('RECIPE_UNKNOWN_VAR');
  });

  it('an env variable without a default must be set when used', async () => {
    const files = { 'recipe.yml': 'vars:\n  key: { env: KEY }\nhostname: ${key}\n' };
    const err = await recipeIssues(() => load(files));
    expect(err.issues[0]).toMatchObject({ code: 'RECIPE_VAR_UNSET', pos: { line: 3, col: 11 } });
    expect((await load(files, { env: { KEY: 'k' } })).recipe.hostname).toBe('k');
  });

  it('variables may use variables; loops are errors', async () => {
    const r = await load({ 'recipe.yml': 'vars: { a: "x", b: "${a}y", c: "${b}z" }\nhostname: ${c}\n' });
    expect(r.recipe.hostname).toBe('xyz');
    expect(r.vars.get('c')).toBe('xyz');
    const err = await recipeIssues(() => load({ 'recipe.yml': 'vars: { a: "${b}", b: "${a}" }\nhostname: ${a}\n' }));
    expect(err.issues.some((i) => i.code === 'RECIPE_VAR_CYCLE')).toBe(true);
  });

  it('--set of an undeclared variable is an error with a suggestion', async () => {
    const err = await recipeIssues(() => load({ 'recipe.yml': 'vars: { version: "1" }\n' }, { sets: { verison: '2' } }));
    expect(err.issues[0]).toMatchObject({ code: 'RECIPE_UNKNOWN_VAR', hint: 'did you mean "version"?' });
  });

  it('${guest.*} asks the guest resolver only when used, once per key', async () => {
    const asked: string[] = [];
    const guestVar = async (k: string) => { asked.push(k); return `/cache/${k}`; };
    await load({ 'recipe.yml': 'hostname: plain\n' }, { guestVar, skipPathChecks: true });
    expect(asked).toEqual([]);
    const r = await load({ 'recipe.yml': 'vars:\n  bb: { env: BB, default: "${guest.busybox}" }\nlayers: [{ source: "${bb}" }, { source: "${guest.busybox}" }]\nboot: { kernel: "${guest.kernel}" }\n' },
      { guestVar, skipPathChecks: true });
    expect(asked).toEqual(['busybox', 'kernel']);
    expect(r.recipe.layers.map((l) => l.source)).toEqual(['/cache/busybox', '/cache/busybox']);
    expect(r.recipe.boot?.kernel).toBe('/cache/kernel');
    // Overridden: the guest is not consulted for it.
    asked.length = 0;
    await load({ 'recipe.yml': 'vars:\n  bb: { env: BB, default: "${guest.busybox}" }\nlayers: [{ source: "${bb}" }]\n' }, { guestVar, skipPathChecks: true, sets: { bb: '/mine' } });
    expect(asked).toEqual([]);
  });

  it('a guest failure is reported at the reference', async () => {
    const err = await recipeIssues(() => load({ 'recipe.yml': 'layers:\n  - source: ${guest.busybox}\n' }, { guestVar: async () => { throw new Error('guest not built'); } }));
    expect(err.issues[0]).toMatchObject({ code: 'RECIPE_GUEST_VAR', pos: { line: 2, col: 13 } });
    expect(err.issues[0]!.message).toContain('guest not built');
  });

  it('relative host paths: from the recipe file that wrote them, or from the cwd when a --set value starts them', async () => {
    const files = { 'recipes/recipe.yml': 'vars: { tree: "rootfs" }\nlayers: [{ source: "${tree}" }]\nfiles: [{ path: /a, source: a.txt }]\n' };
    const r = await load(files, { recipePath: 'recipes/recipe.yml', skipPathChecks: true });
    expect(r.recipe.layers[0]!.source).toBe('/p/recipes/rootfs');
    expect(r.recipe.files[0]!.source).toBe('/p/recipes/a.txt');
    const s = await load(files, { recipePath: 'recipes/recipe.yml', skipPathChecks: true, sets: { tree: 'build/_install' } });
    expect(s.recipe.layers[0]!.source).toBe('/p/build/_install');
  });
});

describe('include', () => {
  const files = {
    'recipe.yml': [
      'include: [base.yml, extra/more.yml]',
      'image: { size: 16M }',
      'hostname: top',
      'files: [{ path: /top, content: t }]',
    ].join('\n') + '\n',
    'base.yml': [
      'include: [common.yml]',
      'image: { size: 8M, label: base }',
      'hostname: base',
      'files: [{ path: /base, content: b }]',
      'boot: { append: "console=ttyS0", expect: [base-banner] }',
    ].join('\n') + '\n',
    'common.yml': 'files: [{ path: /common, content: c }]\nvars: { who: common }\n',
    'extra/more.yml': [
      'include: [../common.yml]', // diamond: already merged, skipped
      'files: [{ path: /more, source: more.txt }]',
      'boot: { expect: [more-banner], memory: 64M }',
      'vars: { who: more }',
    ].join('\n') + '\n',
    'extra/more.txt': 'm',
  };

  it('maps merge deeply, lists concatenate in include order, scalars: later wins, each file once', async () => {
    const r = await load(files);
    expect(r.files).toEqual(['common.yml', 'base.yml', 'extra/more.yml', 'recipe.yml']);
    expect(r.recipe.image).toMatchObject({ size: '16M', label: 'base' });
    expect(r.recipe.hostname).toBe('top');
    expect(r.recipe.files.map((f) => f.path)).toEqual(['/common', '/base', '/more', '/top']);
    expect(r.recipe.boot).toMatchObject({ append: 'console=ttyS0', expect: ['base-banner', 'more-banner'], memory: '64M' });
    expect(r.vars.get('who')).toBe('more');
    // Paths are relative to the file that wrote them.
    expect(r.recipe.files[2]!.source).toBe('/p/extra/more.txt');
    // Positions still point into the file that wrote each value.
    expect(r.locate(['files', 2, 'source'])).toEqual({ file: 'extra/more.yml', line: 2, col: 32 });
    expect(r.locate(['image', 'label'])).toEqual({ file: 'base.yml', line: 2, col: 27 });
  });
});
