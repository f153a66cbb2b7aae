/**
 * Schema validation with positions: runs the zod schema on the merged,
 * substituted recipe and turns every zod issue into a positioned RecipeIssue
 * with a hint (did-you-mean for unknown keys, a fix-it for bare octal modes).
 */
import type { z } from 'zod';
import { Recipe } from './schema.ts';
import type { RecipeIssue, SourcePos } from './recipe-error.ts';
import { nodeAt, displayPath, type PNode, type PathKey } from './yaml-source.ts';
import { suggestion } from './did-you-mean.ts';

export interface Validated {
  /** Set when the whole recipe is valid. */
  recipe?: Recipe;
  /** Always set: the valid parts (invalid sections defaulted, invalid list entries left as holes) for further checks. */
  partial: Recipe;
  issues: RecipeIssue[];
}

export function validateRecipe(root: PNode, plain: unknown): Validated {
  const result = Recipe.safeParse(plain);
  if (result.success) return { recipe: result.data, partial: result.data, issues: [] };
  const issues: RecipeIssue[] = [];
  for (const zi of result.error.issues) toIssues(root, zi, [], issues);
  return { partial: partialRecipe(plain), issues: dedupe(issues) };
}

/** Parses each section, and each list entry, on its own, keeping what is valid. */
function partialRecipe(plain: unknown): Recipe {
  const input = (plain && typeof plain === 'object' ? plain : {}) as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [key, schema] of Object.entries(Recipe.shape) as [string, AnySchema][]) {
    const whole = safeParse(schema, input[key]);
    if (whole.ok) { out[key] = whole.value; continue; }
    const inner = unwrap(schema);
    const def = inner?._zod.def as unknown as { type: string; element?: AnySchema };
    if (def?.type === 'array' && def.element && Array.isArray(input[key])) {
      const items = input[key] as unknown[];
      const arr: unknown[] = new Array(items.length);
      items.forEach((item, i) => { const r = safeParse(def.element!, item); if (r.ok) arr[i] = r.value; });
      out[key] = arr;
    } else {
      const dflt = safeParse(schema, undefined);
      out[key] = dflt.ok ? dflt.value : undefined;
    }
  }
  return out as Recipe;
}

function safeParse(schema: AnySchema, value: unknown): { ok: true; value: unknown } | { ok: false } {
  const r = (schema as unknown as z.ZodType).safeParse(value);
  return r.success ? { ok: true, value: r.data } : { ok: false };
}

type ZodIssue = z.core.$ZodIssue;

function toIssues(root: PNode, zi: ZodIssue, prefix: PathKey, out: RecipeIssue[]): void {
  const path = [...prefix, ...(zi.path as PathKey)];
  const { node, keyPos, parent } = nodeAt(root, path);
  const here = (): SourcePos | undefined => node?.pos ?? keyPos ?? parent?.pos ?? root.pos;
  switch (zi.code) {
    case 'unrecognized_keys': {
      const known = knownKeys(path);
      for (const key of zi.keys) {
        const at = nodeAt(root, [...path, key]);
        out.push({
          code: 'RECIPE_UNKNOWN_KEY',
          message: `unknown key "${key}" in ${displayPath(path)}`,
          hint: suggestion(key, known) ?? (known.length ? `known keys: ${known.join(', ')}` : undefined),
          pos: at.keyPos ?? here(),
        });
      }
      return;
    }
    case 'invalid_union': {
      // Report the branch that got furthest: one whose problems are not "wrong type here".
      const branches = zi.errors.filter((b) => !b.every((e) => e.code === 'invalid_type' && e.path.length === 0));
      const best = branches.length ? branches.reduce((a, b) => (b.length < a.length ? b : a)) : undefined;
      if (best) { for (const e of best) toIssues(root, e, path, out); return; }
      out.push({ code: 'RECIPE_INVALID_VALUE', message: `${displayPath(path)}: ${describeValue(node)} is not allowed here`, hint: expectedHint(path), pos: here() });
      return;
    }
    case 'invalid_type': {
      const last = path[path.length - 1];
      if (node === undefined || (node.kind === 'scalar' && node.value === null && zi.expected !== 'null')) {
        if (node === undefined) {
          out.push({
            code: 'RECIPE_MISSING_KEY',
            message: `missing required key "${String(last)}" in ${displayPath(path.slice(0, -1))}`,
            hint: `add ${String(last)}: ...`,
            pos: parent?.pos ?? root.pos,
          });
          return;
        }
      }
      if (node?.kind === 'scalar' && typeof node.value === 'number' && last === 'mode') {
        const digits = /^[0-7]+$/.test(node.raw) ? node.raw.padStart(4, '0') : `0${node.raw}`;
        out.push({
          code: 'RECIPE_BARE_OCTAL',
          message: `mode ${node.raw} is a number: YAML reads it as decimal ${node.value}, not octal`,
          hint: `write mode: "${digits}" (quoted)`,
          pos: node.pos,
        });
        return;
      }
      out.push({
        code: 'RECIPE_INVALID_TYPE',
        message: `${displayPath(path)}: expected ${zi.expected}, got ${describeValue(node)}`,
        hint: expectedHint(path),
        pos: here(),
      });
      return;
    }
    case 'invalid_value': {
      const allowed = zi.values.filter((v): v is string => typeof v === 'string');
      const got = node?.kind === 'scalar' && typeof node.value === 'string' ? node.value : undefined;
      const hint = got !== undefined ? suggestion(got, allowed) : undefined;
      out.push({
        code: 'RECIPE_INVALID_VALUE',
        message: `${displayPath(path)}: ${describeValue(node)} is not one of ${zi.values.map((v) => JSON.stringify(v)).join(', ')}`,
        hint: hint ?? expectedHint(path),
        pos: here(),
      });
      return;
    }
    default: {
      out.push({ code: 'RECIPE_INVALID_VALUE', message: `${displayPath(path)}: ${zi.message}`, hint: expectedHint(path), pos: here() });
    }
  }
}

function describeValue(node: PNode | undefined): string {
  if (!node) return 'nothing';
  if (node.kind === 'map') return 'a map';
  if (node.kind === 'seq') return 'a list';
  if (node.value === null) return 'an empty value';
  return `${typeof node.value} ${JSON.stringify(node.value)}`;
}

function dedupe(issues: RecipeIssue[]): RecipeIssue[] {
  const seen = new Set<string>();
  return issues.filter((i) => {
    const k = `${i.pos?.file}:${i.pos?.line}:${i.pos?.col}:${i.message}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

// ---- schema navigation (for did-you-mean and descriptions) ----

type AnySchema = z.core.$ZodType;

/** The zod schema describing the value at `path`, unwrapping optional/default. */
export function schemaAt(path: PathKey, unwrapLast = true): AnySchema | undefined {
  let s: AnySchema | undefined = Recipe as unknown as AnySchema;
  for (const part of path) {
    s = unwrap(s);
    if (!s) return undefined;
    const def = s._zod.def as unknown as Record<string, unknown>;
    if (def.type === 'object' && typeof part === 'string') s = (def.shape as Record<string, AnySchema>)[part];
    else if (def.type === 'array') s = def.element as AnySchema;
    else if (def.type === 'record') s = def.valueType as AnySchema;
    else if (def.type === 'union') {
      const opts = (def.options as AnySchema[]).map(unwrap).filter((o) => o && (o._zod.def as { type: string }).type === 'object');
      s = opts.length ? (opts[0]!._zod.def as unknown as { shape: Record<string, AnySchema> }).shape[String(part)] : undefined;
    } else return undefined;
  }
  return unwrapLast ? unwrap(s) : s;
}

function unwrap(s: AnySchema | undefined): AnySchema | undefined {
  let cur = s;
  for (let i = 0; cur && i < 8; i++) {
    const def = cur._zod.def as unknown as { type: string; innerType?: AnySchema };
    if ((def.type === 'optional' || def.type === 'default' || def.type === 'nullable' || def.type === 'prefault') && def.innerType) cur = def.innerType;
    else break;
  }
  return cur;
}

function knownKeys(path: PathKey): string[] {
  const s = schemaAt(path);
  if (!s) return [];
  const def = s._zod.def as unknown as { type: string; shape?: Record<string, unknown>; options?: AnySchema[] };
  if (def.type === 'object' && def.shape) return Object.keys(def.shape);
  if (def.type === 'union' && def.options) {
    for (const o of def.options) {
      const od = unwrap(o)?._zod.def as unknown as { type: string; shape?: Record<string, unknown> };
      if (od?.type === 'object' && od.shape) return Object.keys(od.shape);
    }
  }
  return [];
}

function expectedHint(path: PathKey): string | undefined {
  const outer = schemaAt(path, false);
  const d = outer ? ((outer as unknown as { description?: string }).description ?? (unwrap(outer) as unknown as { description?: string }).description) : undefined;
  return d ? `${displayPath(path)}: ${d}` : undefined;
}
