/**
 * `${name}` substitution in every string of a merged recipe.
 *
 * - `vars: { name: "value" }` or `vars: { name: { env: VAR, default: "x" } }`;
 *   a value comes from `--set name=value`, else the named environment variable
 *   (only variables a recipe names are read), else the value/default.
 * - Values may refer to other variables; a loop is an error.
 * - `${guest.KEY}` asks the guest builder (kernel, busybox, cc, sysroot...),
 *   only when a recipe uses it.
 * - `$${` writes a literal `${`.
 */
import type { RecipeIssue, SourcePos } from './recipe-error.ts';
import { posAt } from './recipe-error.ts';
import type { PNode } from './yaml-source.ts';
import { suggestion } from './did-you-mean.ts';

export type GuestResolver = (key: string) => Promise<string>;

export interface VarContext {
  sets: ReadonlyMap<string, string>;
  env: Record<string, string | undefined>;
  guest: GuestResolver;
  sources: ReadonlyMap<string, string>;
}

const REF = /\$\$\{|\$\{([^}]*)\}/g;

/** Longest string substitution may produce: a variable's value, or a recipe string with its references replaced. */
export const MAX_SUBSTITUTED_LENGTH = 1 << 20;
/** Most characters substitution may produce over the whole recipe (values referring to values can double at each step). */
export const MAX_SUBSTITUTED_TOTAL = 16 << 20;
/** Deepest chain of variables referring to variables. */
export const MAX_VAR_DEPTH = 64;

/** Characters substitution has produced so far, across the recipe. */
interface Budget { used: number; reported: boolean }
const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const GUEST = /^guest\.([A-Za-z0-9_-]+)$/;

interface VarDef { raw: string | undefined; node: PNode | undefined; pos: SourcePos | undefined; origin: string }

/** Substitutes variables in place (returns a new tree) and reports every problem. */
export async function substituteVars(root: PNode, ctx: VarContext): Promise<{ root: PNode; issues: RecipeIssue[]; values: Map<string, string> }> {
  const issues: RecipeIssue[] = [];
  const defs = collectDefs(root, ctx, issues);

  // ${guest.*} keys used anywhere (including var values) are resolved once, up front.
  const guestKeys = new Set<string>();
  scanStrings(root, (s) => { for (const m of s.matchAll(REF)) { const g = m[1] !== undefined ? GUEST.exec(m[1].trim()) : null; if (g) guestKeys.add(g[1]!); } });
  for (const [, d] of defs) if (d.raw !== undefined) for (const m of d.raw.matchAll(REF)) { const g = m[1] !== undefined ? GUEST.exec(m[1].trim()) : null; if (g) guestKeys.add(g[1]!); }
  const guestValues = new Map<string, string>();
  const guestErrors = new Map<string, string>();
  for (const key of [...guestKeys].sort()) {
    try {
      guestValues.set(key, await ctx.guest(key));
    } catch (err) {
      guestErrors.set(key, (err as Error)?.message ?? String(err));
    }
  }

  const values = new Map<string, string>();
  const resolving = new Set<string>();
  const budget: Budget = { used: 0, reported: false };
  const resolveVar = (name: string, at: () => SourcePos | undefined): string | undefined => {
    const known = values.get(name);
    if (known !== undefined) return known;
    const d = defs.get(name);
    if (!d) return undefined;
    if (d.raw === undefined) return undefined;
    if (resolving.has(name)) {
      issues.push({ code: 'RECIPE_VAR_CYCLE', message: `variable "${name}" refers to itself (through ${[...resolving].join(' → ')})`, hint: 'break the loop between the variables', pos: d.pos ?? at() });
      return '';
    }
    if (resolving.size >= MAX_VAR_DEPTH) {
      issues.push({ code: 'RECIPE_VAR_TOO_DEEP', message: `variable "${name}" is reached through a chain of more than ${MAX_VAR_DEPTH} variables`, hint: 'refer to values more directly', pos: d.pos ?? at() });
      values.set(name, '');
      return '';
    }
    resolving.add(name);
    const v = expand(d.raw, d.node, ctx, (n, p) => resolveVar(n, p), guestValues, guestErrors, issues, defs, budget, () => d.pos ?? at());
    resolving.delete(name);
    values.set(name, v);
    return v;
  };
  for (const name of [...defs.keys()].sort()) resolveVar(name, () => defs.get(name)?.pos);

  const walk = (node: PNode, inVars: boolean): PNode => {
    if (node.kind === 'map') {
      return { ...node, entries: node.entries.map((e) => ({ ...e, value: inVars ? e.value : walk(e.value, false) })) };
    }
    if (node.kind === 'seq') return { ...node, items: node.items.map((n) => walk(n, false)) };
    if (typeof node.value !== 'string' || !node.value.includes('$')) return node;
    const lead = /^\$\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}/.exec(node.value);
    const origin = lead ? defs.get(lead[1]!)?.origin : undefined;
    const cwdRelative = origin === '--set' || (origin?.startsWith('env ') && !origin.endsWith('(unset)')) || undefined;
    const value = expand(node.value, node, ctx, (n, p) => resolveVar(n, p), guestValues, guestErrors, issues, defs, budget, () => node.pos);
    return { ...node, value, ...(cwdRelative ? { cwdRelative } : {}) };
  };
  let out: PNode = root;
  if (root.kind === 'map') {
    out = {
      ...root,
      entries: root.entries.map((e) => {
        if (e.key !== 'vars') return { ...e, value: walk(e.value, false) };
        // The vars section shows the values in effect.
        if (e.value.kind !== 'map') return e;
        return { ...e, value: { ...e.value, entries: e.value.entries.map((v) => ({ ...v, value: varValueNode(v.value, values.get(v.key)) })) } };
      }),
    };
  }
  return { root: out, issues, values };
}

function varValueNode(node: PNode, value: string | undefined): PNode {
  if (value === undefined || node.kind !== 'scalar') return node;
  return { ...node, value };
}

function collectDefs(root: PNode, ctx: VarContext, issues: RecipeIssue[]): Map<string, VarDef> {
  const defs = new Map<string, VarDef>();
  const varsNode = root.kind === 'map' ? root.entries.find((e) => e.key === 'vars')?.value : undefined;
  if (varsNode?.kind === 'map') {
    for (const e of varsNode.entries) {
      const v = e.value;
      if (v.kind === 'scalar') {
        defs.set(e.key, { raw: v.value === null ? undefined : String(v.value), node: v, pos: e.keyPos, origin: 'recipe' });
      } else if (v.kind === 'map') {
        const envName = v.entries.find((x) => x.key === 'env')?.value;
        const dflt = v.entries.find((x) => x.key === 'default')?.value;
        const envKey = envName?.kind === 'scalar' && typeof envName.value === 'string' ? envName.value : undefined;
        const envVal = envKey !== undefined ? ctx.env[envKey] : undefined;
        if (envVal !== undefined) defs.set(e.key, { raw: envVal, node: undefined, pos: e.keyPos, origin: `env ${envKey}` });
        else if (dflt?.kind === 'scalar' && dflt.value !== null) defs.set(e.key, { raw: String(dflt.value), node: dflt, pos: dflt.pos, origin: 'default' });
        else defs.set(e.key, { raw: undefined, node: undefined, pos: e.keyPos, origin: envKey ? `env ${envKey} (unset)` : 'none' });
      }
    }
  }
  for (const [name, value] of ctx.sets) {
    if (!NAME.test(name)) {
      issues.push({ code: 'RECIPE_BAD_SET', message: `--set ${name}=...: "${name}" is not a variable name`, hint: 'use --set name=value with letters, digits and "_"' });
      continue;
    }
    if (!defs.has(name)) {
      const hint = suggestion(name, defs.keys());
      issues.push({ code: 'RECIPE_UNKNOWN_VAR', message: `--set ${name}=...: the recipe declares no variable "${name}"`, hint: hint ?? 'declare it under vars: in the recipe' });
      continue;
    }
    defs.set(name, { raw: value, node: undefined, pos: defs.get(name)!.pos, origin: '--set' });
  }
  return defs;
}

function expand(
  text: string, node: PNode | undefined, ctx: VarContext,
  resolveVar: (name: string, at: () => SourcePos | undefined) => string | undefined,
  guestValues: Map<string, string>, guestErrors: Map<string, string>, issues: RecipeIssue[], defs: Map<string, VarDef>,
  budget: Budget, where: () => SourcePos | undefined,
): string {
  // Built piece by piece so that an oversized result is refused before it is ever allocated.
  const parts: string[] = [];
  let length = 0;
  let last = 0;
  for (const m of text.matchAll(REF)) {
    const piece = text.slice(last, m.index) + replacement(m[0], m[1], m.index);
    last = m.index + m[0].length;
    length += piece.length;
    budget.used += piece.length;
    if (length > MAX_SUBSTITUTED_LENGTH || budget.used > MAX_SUBSTITUTED_TOTAL) return tooLong(length > MAX_SUBSTITUTED_LENGTH);
    parts.push(piece);
  }
  if (last === 0) return text;
  parts.push(text.slice(last));
  length += text.length - last;
  if (length > MAX_SUBSTITUTED_LENGTH) return tooLong(true);
  return parts.join('');

  function tooLong(single: boolean): string {
    if (single) {
      issues.push({
        code: 'RECIPE_VAR_TOO_LONG',
        message: `substituting variables here makes a string longer than ${MAX_SUBSTITUTED_LENGTH} characters`,
        hint: 'variables that repeat other variables grow fast; put large content in a host file (files: source:)',
        pos: where(),
      });
    } else if (!budget.reported) {
      budget.reported = true;
      issues.push({
        code: 'RECIPE_VAR_TOO_LONG',
        message: `substituting variables makes more than ${MAX_SUBSTITUTED_TOTAL} characters in all`,
        hint: 'variables that repeat other variables grow fast; put large content in a host file (files: source:)',
        pos: where(),
      });
    }
    return '';
  }

  function replacement(match: string, inner: string | undefined, index: number): string {
    if (inner === undefined) return '${';
    const at = (): SourcePos | undefined => refPos(node, match, index, ctx.sources);
    const name = inner.trim();
    const g = GUEST.exec(name);
    if (g) {
      const v = guestValues.get(g[1]!);
      if (v !== undefined) return v;
      issues.push({ code: 'RECIPE_GUEST_VAR', message: `cannot resolve \${${name}}: ${guestErrors.get(g[1]!) ?? 'unknown guest key'}`, hint: 'build the guest with `mkrootfs guest`, or check the key (kernel, busybox, cc, sysroot)', pos: at() });
      return '';
    }
    if (!NAME.test(name)) {
      issues.push({ code: 'RECIPE_BAD_VAR', message: `"\${${inner.length > 40 ? `${inner.slice(0, 37)}...` : inner}}" is not a variable reference`, hint: 'write ${name} with letters, digits and "_", or $${ for a literal ${', pos: at() });
      return '';
    }
    const d = defs.get(name);
    if (!d) {
      const hint = suggestion(name, [...defs.keys()]);
      issues.push({ code: 'RECIPE_UNKNOWN_VAR', message: `unknown variable "${name}"`, hint: hint ?? `declare it under vars: (e.g. vars: { ${name}: "value" })`, pos: at() });
      return '';
    }
    const v = resolveVar(name, at);
    if (v === undefined) {
      issues.push({ code: 'RECIPE_VAR_UNSET', message: `variable "${name}" has no value (${d.origin})`, hint: `set it with --set ${name}=value${d.origin.startsWith('env') ? ' or the environment variable' : ''}, or give it a default`, pos: at() });
      return '';
    }
    return v;
  }
}

/** Position of a reference inside a scalar: exact when the reference appears verbatim in the source text. */
function refPos(node: PNode | undefined, match: string, index: number, sources: ReadonlyMap<string, string>): SourcePos | undefined {
  if (!node || node.kind !== 'scalar') return node?.pos;
  const text = sources.get(node.pos.file);
  let at = node.raw.indexOf(match);
  if (at < 0 || text === undefined) return node.pos;
  // Prefer the occurrence matching the index when the reference repeats.
  const nth = node.raw.indexOf(match, Math.max(0, index));
  if (nth >= 0 && nth - index < 4) at = nth;
  return posAt(node.pos.file, text, node.offset + at);
}

function scanStrings(node: PNode, visit: (s: string) => void): void {
  if (node.kind === 'map') for (const e of node.entries) { if (e.key !== 'vars') scanStrings(e.value, visit); }
  else if (node.kind === 'seq') for (const n of node.items) scanStrings(n, visit);
  else if (typeof node.value === 'string') visit(node.value);
}
