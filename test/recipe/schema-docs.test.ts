/**
 * One schema, many outputs: the JSON Schema (`mkrootfs schema`) describes
 * every field, validates the shipped recipes' shape, and recipes/README.md is
 * exactly what the generator makes from it.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Writable, Readable } from 'node:stream';
import { parse } from 'yaml';
import { recipeJsonSchema, Recipe } from '../../src/recipe/schema.ts';
import { recipeReadme } from '../../src/recipe/docs.ts';
import { main } from '../../src/cli/main.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

type Json = Record<string, unknown>;

/** Every property in the schema, with its JSON path. */
function properties(node: Json, path: string, out: [string, Json][]): [string, Json][] {
  for (const [k, v] of Object.entries((node.properties ?? {}) as Record<string, Json>)) {
    out.push([`${path}.${k}`, v]);
    properties(v, `${path}.${k}`, out);
  }
  if (node.items) properties(node.items as Json, `${path}[]`, out);
  for (const alt of (node.anyOf ?? []) as Json[]) properties(alt, path, out);
  if (node.additionalProperties && typeof node.additionalProperties === 'object') properties(node.additionalProperties as Json, `${path}.*`, out);
  return out;
}

describe('recipe schema outputs', () => {
  it('every field has a description', () => {
    const props = properties(recipeJsonSchema(), '', []);
    expect(props.length).toBeGreaterThan(80);
    const undocumented = props.filter(([, p]) => typeof p.description !== 'string' || p.description.length < 8).map(([k]) => k);
    expect(undocumented).toEqual([]);
  });

  it('recipes/README.md is the generated reference', () => {
    const committed = readFileSync(join(ROOT, 'recipes/README.md'), 'utf8');
    expect(committed, 'run: node bin/mkrootfs.js schema --markdown > recipes/README.md').toBe(recipeReadme());
    for (const key of Object.keys(Recipe.shape)) expect(committed).toContain(`### \`${key}\``);
  });

  it('mkrootfs schema prints the JSON Schema; --markdown the README', async () => {
    const run = async (args: string[]) => {
      let out = '';
      const stdout = new Writable({ write(c, _e, cb) { out += String(c); cb(); } });
      const code = await main(args, { stdout, stderr: stdout, stdin: Readable.from([]), env: {}, cwd: ROOT });
      return { code, out };
    };
    const js = await run(['schema']);
    expect(js.code).toBe(0);
    const schema = JSON.parse(js.out);
    expect(schema.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
    expect(schema.additionalProperties).toBe(false);
    expect(Object.keys(schema.properties)).toEqual(Object.keys(Recipe.shape));
    expect((await run(['schema', '--markdown'])).out).toBe(recipeReadme());
  });

  it('the shipped recipes match the schema', () => {
    for (const f of readdirSync(join(ROOT, 'recipes')).filter((n) => n.endsWith('.yml'))) {
      const r = Recipe.safeParse(parse(readFileSync(join(ROOT, 'recipes', f), 'utf8')));
      expect(r.success, `${f}: ${r.success ? '' : JSON.stringify(r.error.issues)}`).toBe(true);
    }
  });
});
