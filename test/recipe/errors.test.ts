/**
 * Recipe errors: exact file:line:col positions, code frames, hints, every
 * problem at once, exit code 2 from the CLI. Uses memfs for the host fs.
 */
import { describe, expect, it } from 'vitest';
import { Volume } from 'memfs';
import { loadRecipe } from '../../src/recipe/load.ts';
import type { HostFs } from '../../src/recipe/host-fs.ts';
import { RecipeError } from '../../src/recipe/recipe-error.ts';
import { codeFrame } from '../../src/recipe/code-frame.ts';
import { didYouMean } from '../../src/recipe/did-you-mean.ts';
import { main } from '../../src/cli/main.ts';
import { recipeIssues, project } from './helpers.ts';
import { Writable, Readable } from 'node:stream';

function memfs(files: Record<string, string>): HostFs {
  return Volume.fromJSON(files, '/p').promises as unknown as HostFs;
}

async function issuesOf(files: Record<string, string>, entry = 'recipe.yml') {
  const err = await recipeIssues(() => loadRecipe({ recipePath: entry, cwd: '/p', fs: memfs(files) }));
  return err;
}

const at = (err: RecipeError, code: string) => err.issues.filter((i) => i.code === code).map((i) => `${i.pos?.file}:${i.pos?.line}:${i.pos?.col}`);

describe('recipe errors', () => {
  it('unknown key: position of the key, did-you-mean hint', async () => {
    const err = await issuesOf({ 'recipe.yml': 'files:\n  - path: /etc/motd\n    content: hi\n    mdoe: "0644"\n' });
    expect(err.issues).toHaveLength(1);
    const i = err.issues[0]!;
    expect(i.code).toBe('RECIPE_UNKNOWN_KEY');
    expect(i.pos).toEqual({ file: 'recipe.yml', line: 4, col: 5 });
    expect(i.hint).toBe('did you mean "mode"?');
    expect(err.message).toContain('recipe.yml:4:5: unknown key "mdoe" in files[0]');
    expect(err.message).toContain('    3 |     content: hi\n  > 4 |     mdoe: "0644"\n      |     ^\n  hint: did you mean "mode"?');
    expect(err.exitCode).toBe(2);
  });

  it('unknown top-level key suggests the section', async () => {
    const err = await issuesOf({ 'recipe.yml': 'image:\n  size: 8M\nmount:\n  - { device: proc, path: /proc, type: proc }\n' });
    expect(at(err, 'RECIPE_UNKNOWN_KEY')).toEqual(['recipe.yml:3:1']);
    expect(err.issues[0]!.hint).toBe('did you mean "mounts"?');
  });

  it('bare octal mode: rejected with the quoted fix', async () => {
    const err = await issuesOf({ 'recipe.yml': 'dirs:\n  - path: /x\n    mode: 0755\n' });
    expect(err.issues[0]!.code).toBe('RECIPE_BARE_OCTAL');
    expect(err.issues[0]!.pos).toEqual({ file: 'recipe.yml', line: 3, col: 11 });
    expect(err.issues[0]!.hint).toBe('write mode: "0755" (quoted)');
  });

  it('missing source, duplicate path, long name, unknown owner: all reported at once in position order', async () => {
    const long = 'n'.repeat(256);
    const err = await issuesOf({
      'recipe.yml': [
        'files:',
        '  - { path: /etc/a, source: nope.txt }', // 2
        '  - { path: /etc/b, content: x, uid: rooot }', // 3
        '  - { path: /etc/a, content: y }', // 4
        `  - { path: /etc/${long}, content: z }`, // 5
        'users:',
        '  - { name: root, uid: 0 }',
      ].join('\n') + '\n',
    });
    expect(err.issues.map((i) => i.code)).toEqual(['RECIPE_SOURCE_MISSING', 'RECIPE_UNKNOWN_OWNER', 'RECIPE_DUPLICATE_PATH', 'RECIPE_NAME_TOO_LONG']);
    expect(at(err, 'RECIPE_SOURCE_MISSING')).toEqual(['recipe.yml:2:29']);
    expect(at(err, 'RECIPE_UNKNOWN_OWNER')).toEqual(['recipe.yml:3:38']);
    expect(err.issues[1]!.hint).toBe('did you mean "root"?');
    expect(at(err, 'RECIPE_DUPLICATE_PATH')).toEqual(['recipe.yml:4:13']);
    expect(err.issues[2]!.message).toContain('first at recipe.yml:2:13');
    expect(at(err, 'RECIPE_NAME_TOO_LONG')).toEqual(['recipe.yml:5:13']);
    expect(err.message.startsWith('4 problems in the recipe:')).toBe(true);
  });

  it('schema problems and semantic problems are reported together', async () => {
    const err = await issuesOf({ 'recipe.yml': 'files:\n  - { path: /a, content: x, mode: 644 }\n  - { path: /b, source: gone }\n' });
    expect(err.issues.map((i) => `${i.code}@${i.pos?.line}:${i.pos?.col}`)).toEqual(['RECIPE_BARE_OCTAL@2:35', 'RECIPE_SOURCE_MISSING@3:25']);
  });

  it('include cycle: reported at the include entry that closes it, naming the chain', async () => {
    const err = await issuesOf({
      'recipe.yml': 'include: [a.yml]\n',
      'a.yml': 'include:\n  - sub/b.yml\n',
      'sub/b.yml': 'hostname: x\ninclude: [../a.yml]\n',
    });
    expect(err.issues).toHaveLength(1);
    expect(err.issues[0]!.code).toBe('RECIPE_INCLUDE_CYCLE');
    expect(err.issues[0]!.pos).toEqual({ file: 'sub/b.yml', line: 2, col: 11 });
    expect(err.issues[0]!.message).toBe('include cycle: a.yml → sub/b.yml → a.yml');
  });

  it('errors inside included files point into those files', async () => {
    const err = await issuesOf({ 'recipe.yml': 'include: [base.yml]\nhostname: ok\n', 'base.yml': 'image:\n  sise: 8M\n' });
    expect(at(err, 'RECIPE_UNKNOWN_KEY')).toEqual(['base.yml:2:3']);
    expect(err.message).toContain('> 2 |   sise: 8M');
  });

  it('missing include file: positioned at the include entry', async () => {
    const err = await issuesOf({ 'recipe.yml': 'include:\n  - nothere.yml\n' });
    expect(err.issues[0]!.code).toBe('RECIPE_NOT_FOUND');
    expect(err.issues[0]!.pos).toEqual({ file: 'recipe.yml', line: 2, col: 5 });
  });

  it('unknown variable: column of the reference inside the string', async () => {
    const err = await issuesOf({ 'recipe.yml': 'vars: { version: "1" }\nhostname: "host-${verison}"\n' });
    expect(err.issues[0]!.code).toBe('RECIPE_UNKNOWN_VAR');
    expect(err.issues[0]!.pos).toEqual({ file: 'recipe.yml', line: 2, col: 17 });
    expect(err.issues[0]!.hint).toBe('did you mean "version"?');
  });

  it('YAML syntax errors and duplicate keys have positions', async () => {
    const dup = await issuesOf({ 'recipe.yml': 'hostname: a\nhostname: b\n' });
    expect(dup.issues[0]!.code).toBe('RECIPE_DUPLICATE_KEY');
    expect(dup.issues[0]!.pos?.line).toBe(2);
    const bad = await issuesOf({ 'recipe.yml': 'files:\n  - path: "/x\n' });
    expect(bad.issues[0]!.code).toBe('RECIPE_YAML_SYNTAX');
    expect(bad.issues[0]!.pos?.file).toBe('recipe.yml');
  });

  it('a wrong type names what was expected and where', async () => {
    const err = await issuesOf({ 'recipe.yml': 'image:\n  inodes: lots\n' });
    expect(err.issues[0]!.code).toBe('RECIPE_INVALID_TYPE');
    expect(err.issues[0]!.message).toBe('image.inodes: expected number, got string "lots"');
    expect(err.issues[0]!.pos).toEqual({ file: 'recipe.yml', line: 2, col: 11 });
  });

  it('a missing required key points at its map', async () => {
    const err = await issuesOf({ 'recipe.yml': 'symlinks:\n  - target: busybox\n' });
    expect(err.issues[0]!.code).toBe('RECIPE_MISSING_KEY');
    expect(err.issues[0]!.message).toBe('missing required key "path" in symlinks[0]');
    expect(err.issues[0]!.pos).toEqual({ file: 'recipe.yml', line: 2, col: 5 });
  });

  it('enum values get a did-you-mean; an empty section means none', async () => {
    const err = await issuesOf({ 'recipe.yml': 'files:\ndevices:\n  - { path: /dev/x, type: chr, major: 1, minor: 1 }\n' });
    expect(err.issues).toHaveLength(1);
    expect(err.issues[0]).toMatchObject({ code: 'RECIPE_INVALID_VALUE', hint: 'did you mean "char"?', pos: { line: 3, col: 27 } });
    expect(err.issues[0]!.message).toBe('devices[0].type: string "chr" is not one of "char", "block", "fifo"');
  });

  it('a typo inside a variable definition is found in the right branch', async () => {
    const err = await issuesOf({ 'recipe.yml': 'vars:\n  v: { env: X, defualt: "1" }\n' });
    expect(err.issues[0]).toMatchObject({ code: 'RECIPE_UNKNOWN_KEY', hint: 'did you mean "default"?', pos: { line: 2, col: 16 } });
  });

  it('the CLI prints every problem with code frames and exits 2', async () => {
    const dir = project({ 'recipe.yml': 'files:\n  - { path: /a, content: x, mode: 0644 }\nimage: { sise: 8M }\n' });
    const out: string[] = [];
    const err: string[] = [];
    const sink = (arr: string[]) => new Writable({ write(c, _e, cb) { arr.push(String(c)); cb(); } });
    const code = await main(['recipe.yml'], { stdout: sink(out), stderr: sink(err), stdin: Readable.from([]), env: {}, cwd: dir });
    expect(code).toBe(2);
    const text = err.join('');
    expect(text).toContain('recipe.yml:2:35: mode 0644 is a number');
    expect(text).toContain('recipe.yml:3:10: unknown key "sise" in image');
    expect(text).toContain('hint: did you mean "size"?');
    expect(out.join('')).toBe('');
  });
});

describe('code frames and suggestions', () => {
  it('frames the line with context and a caret at the column', () => {
    expect(codeFrame('a\nbb\nccc\ndddd\n', 3, 2, 1)).toBe('  2 | bb\n> 3 | ccc\n    |  ^\n  4 | dddd');
  });
  it('suggests only close matches, counting transpositions as one edit', () => {
    expect(didYouMean('mdoe', ['mode', 'path'])).toBe('mode');
    expect(didYouMean('xyzzy', ['mode', 'path'])).toBeUndefined();
    expect(didYouMean('hardlink', ['hardlinks', 'symlinks'])).toBe('hardlinks');
  });
});
