/**
 * The JSON Schema ships with the package (schema/recipe.schema.json), so the
 * shipped recipes validate in editors as shipped: the committed file is
 * exactly what `mkrootfs schema` prints (they cannot drift), the package
 * includes it, every shipped recipe's `$schema` comment resolves to it, and
 * every shipped recipe validates against it with an independent validator
 * (Python's jsonschema, reading the YAML with PyYAML), which also rejects a
 * broken recipe.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Readable, Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const SCHEMA = join(ROOT, 'schema/recipe.schema.json');
const RECIPES = readdirSync(join(ROOT, 'recipes')).filter((n) => n.endsWith('.yml')).map((n) => join(ROOT, 'recipes', n));

/** Validates YAML files against a JSON Schema with python3-jsonschema (draft 2020-12); prints one JSON result per file. */
const VALIDATE = `
import json, sys, yaml
from jsonschema import Draft202012Validator
schema = json.load(open(sys.argv[1]))
Draft202012Validator.check_schema(schema)
v = Draft202012Validator(schema)
for f in sys.argv[2:]:
    errors = sorted(e.message for e in v.iter_errors(yaml.safe_load(open(f))))
    print(json.dumps({"file": f, "errors": errors}))
`;

function validate(files: string[]): { file: string; errors: string[] }[] {
  const r = spawnSync('python3', ['-c', VALIDATE, SCHEMA, ...files], { encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  return r.stdout.trim().split('\n').map((l) => JSON.parse(l));
}

describe('the shipped recipe schema', () => {
  it('schema/recipe.schema.json is exactly what `mkrootfs schema` prints', async () => {
    let out = '';
    const stdout = new Writable({ write(c, _e, cb) { out += String(c); cb(); } });
    const code = await main(['schema'], { stdout, stderr: stdout, stdin: Readable.from([]), env: {}, cwd: ROOT });
    expect(code).toBe(0);
    expect(readFileSync(SCHEMA, 'utf8'), 'regenerate it: node bin/mkrootfs.js schema -o schema/recipe.schema.json').toBe(out);
    // -o writes the same text to a file.
    const dir = mkdtempSync(join(tmpdir(), 'mkrootfs-schema-'));
    const w = await main(['schema', '-o', 'out.json'], { stdout, stderr: stdout, stdin: Readable.from([]), env: {}, cwd: dir });
    expect(w).toBe(0);
    expect(readFileSync(join(dir, 'out.json'), 'utf8')).toBe(out);
    expect(await main(['schema', '-o', 'missing/dir/out.json'], { stdout, stderr: stdout, stdin: Readable.from([]), env: {}, cwd: dir })).toBe(2);
  });

  it('is in the package, with the recipes', () => {
    const r = spawnSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: ROOT, encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const files = (JSON.parse(r.stdout) as { files: { path: string }[] }[])[0]!.files.map((f) => f.path);
    expect(files).toContain('schema/recipe.schema.json');
    for (const f of RECIPES) expect(files).toContain(`recipes/${f.split('/').pop()}`);
  });

  it('every shipped recipe points $schema at it by a relative path that exists in the repo and the package', () => {
    expect(RECIPES.length).toBeGreaterThan(0);
    for (const f of RECIPES) {
      const m = /^# yaml-language-server: \$schema=(\S+)$/m.exec(readFileSync(f, 'utf8'));
      expect(m, `${f} has no $schema comment`).not.toBeNull();
      expect(resolve(dirname(f), m![1]!), f).toBe(SCHEMA);
      expect(existsSync(resolve(dirname(f), m![1]!))).toBe(true);
    }
  });

  it('every shipped recipe validates against it (Python jsonschema); a broken recipe does not', () => {
    for (const r of validate(RECIPES)) expect(r.errors, r.file).toEqual([]);
    const broken = join(ROOT, 'test/fixtures/schema-broken-recipe.yml');
    const [bad] = validate([broken]);
    expect(bad!.errors.length).toBeGreaterThanOrEqual(3);
    expect(bad!.errors.join('\n')).toMatch(/Additional properties are not allowed \('colour' was unexpected\)/);
  });
});
