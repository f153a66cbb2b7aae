/**
 * Loading a recipe: read it and its includes, merge, substitute variables,
 * validate against the schema, resolve host paths, check. Every problem found
 * along the way is reported at once as one RecipeError (exit code 2).
 */
import { dirname, isAbsolute, resolve } from 'node:path';
import type { Recipe } from './schema.ts';
import { RecipeError, type RecipeIssue, type SourcePos } from './recipe-error.ts';
import { loadWithIncludes } from './include.ts';
import { substituteVars, type GuestResolver } from './vars.ts';
import { validateRecipe } from './validate.ts';
import { checkRecipe } from './check.ts';
import { nodeAt, toPlain, type PNode, type PathKey } from './yaml-source.ts';
import type { HostFs } from './host-fs.ts';

export interface LoadRecipeOptions {
  /** The recipe file, as the user named it (relative to `cwd` or absolute). */
  recipePath: string;
  /** `--set name=value` pairs. */
  sets?: Record<string, string> | ReadonlyMap<string, string>;
  /** Environment: only variables a recipe names under `vars:` are read. */
  env?: Record<string, string | undefined>;
  cwd: string;
  fs: HostFs;
  /** Resolves `${guest.KEY}`; called only when a recipe uses one. */
  guestVar?: GuestResolver;
  /** Skip host-path existence checks (e.g. for --print-recipe). Default false. */
  skipPathChecks?: boolean;
}

export interface LoadedRecipe {
  /** The resolved recipe: includes merged, variables substituted, defaults applied, host paths absolute. */
  recipe: Recipe;
  recipePath: string;
  /** Every file merged, in merge order (display paths). */
  files: string[];
  /** Display path → text, for code frames. */
  sources: Map<string, string>;
  /** Variable values in effect. */
  vars: Map<string, string>;
  /** Where a recipe value was written. */
  locate(path: PathKey): SourcePos | undefined;
}

const NO_GUEST: GuestResolver = async (key) => {
  throw new Error(`no guest builder available for \${guest.${key}}`);
};

export async function loadRecipe(opts: LoadRecipeOptions): Promise<LoadedRecipe> {
  const { fs, cwd } = opts;
  const inc = await loadWithIncludes(opts.recipePath, fs, cwd);
  const sources = inc.sources;
  const fail = (issues: RecipeIssue[]): never => { throw new RecipeError(issues, sources); };
  if (inc.issues.length > 0 || !inc.root) fail(inc.issues.length ? inc.issues : [{ code: 'RECIPE_EMPTY', message: `${opts.recipePath} is empty` }]);

  let root = withoutKey(inc.root!, 'include');
  const sets = opts.sets instanceof Map ? opts.sets : new Map(Object.entries(opts.sets ?? {}));
  const sub = await substituteVars(root, { sets, env: opts.env ?? {}, guest: opts.guestVar ?? NO_GUEST, sources });
  root = sub.root;
  const plain = toPlain(root) as Record<string, unknown>;
  // A section left empty (`files:` with every entry commented out) means "none".
  for (const [k, v] of Object.entries(plain)) if (v === null) delete plain[k];
  const { recipe, partial, issues } = validateRecipe(root, plain);
  const all = [...sub.issues, ...issues];

  const locate = (path: PathKey): SourcePos | undefined => {
    const { node, keyPos } = nodeAt(root, path);
    return node?.kind === 'scalar' && node.value === null ? keyPos ?? node.pos : node?.pos ?? keyPos;
  };
  resolveHostPaths(partial, root, cwd);
  if (!opts.skipPathChecks) all.push(...await checkRecipe(partial, locate, fs));
  if (all.length > 0 || !recipe) fail(all);
  return { recipe: recipe!, recipePath: opts.recipePath, files: inc.files, sources, vars: sub.values, locate };
}

function withoutKey(node: PNode, key: string): PNode {
  return node.kind === 'map' ? { ...node, entries: node.entries.filter((e) => e.key !== key) } : node;
}

/** Makes host paths absolute, each relative to the directory of the file it was written in. */
function resolveHostPaths(recipe: Recipe, root: PNode, cwd: string): void {
  const fix = (value: string, at: PathKey): string => {
    if (isAbsolute(value)) return value;
    const node = nodeAt(root, at).node;
    if (node?.kind === 'scalar' && node.cwdRelative) return resolve(cwd, value);
    const written = node?.pos.file;
    return resolve(cwd, written ? dirname(written) : '.', value);
  };
  recipe.layers.forEach((l, i) => { l.source = fix(l.source, ['layers', i, 'source']); });
  recipe.files.forEach((f, i) => { if (f.source !== undefined) f.source = fix(f.source, ['files', i, 'source']); });
  recipe.programs.forEach((p, i) => { p.sources = p.sources.map((s, j) => fix(s, ['programs', i, 'sources', j])); });
  if (recipe.deviceTable !== undefined) recipe.deviceTable = fix(recipe.deviceTable, ['deviceTable']);
  if (recipe.boot?.kernel !== undefined) recipe.boot.kernel = fix(recipe.boot.kernel, ['boot', 'kernel']);
  if (recipe.boot?.initrd !== undefined) recipe.boot.initrd = fix(recipe.boot.initrd, ['boot', 'initrd']);
}
