/**
 * `include:` — recipe files merged under the including file.
 *
 * Merge rules (deterministic, documented in the schema and README):
 * - the included files are merged first, in the order listed, depth first;
 *   then the including file is merged on top;
 * - maps merge key by key; lists concatenate (earlier files' items first);
 *   scalars and mismatched kinds: the later file wins;
 * - a file reached twice (diamond) is merged once, at its first occurrence;
 * - a file that includes itself, directly or not, is an error (cycle).
 * Include paths are relative to the including file and take no ${vars}.
 */
import { dirname, join, resolve, isAbsolute } from 'node:path';
import type { RecipeIssue, SourcePos } from './recipe-error.ts';
import { parseYaml, type PNode } from './yaml-source.ts';
import { readRegularText, type HostFs } from './host-fs.ts';
import { ExitCode, MkrootfsError } from '../errors.ts';

/** Largest recipe file read (a hand-written recipe is a few kilobytes; the YAML parser is not linear in every input). */
export const MAX_RECIPE_BYTES = 1 << 20;

export interface IncludeResult {
  root: PNode | undefined;
  /** Display path → text of every file read (for code frames). */
  sources: Map<string, string>;
  /** Display paths of the files merged, in merge order. */
  files: string[];
  issues: RecipeIssue[];
}

/** Reads `file` and everything it includes, returning the merged document. `cwd` resolves relative paths for the fs. */
export async function loadWithIncludes(file: string, fs: HostFs, cwd: string): Promise<IncludeResult> {
  const state: State = { fs, cwd, sources: new Map(), files: [], issues: [], done: new Set() };
  const root = await loadOne(state, file, [], undefined);
  return { root, sources: state.sources, files: state.files, issues: state.issues };
}

interface State {
  fs: HostFs;
  cwd: string;
  sources: Map<string, string>;
  files: string[];
  issues: RecipeIssue[];
  done: Set<string>;
}

async function loadOne(state: State, file: string, chain: string[], from: SourcePos | undefined): Promise<PNode | undefined> {
  const abs = resolve(state.cwd, file);
  let text: string;
  try {
    text = await readRegularText(state.fs, abs, from ? 'included recipe' : 'recipe file', MAX_RECIPE_BYTES);
  } catch (err) {
    if (err instanceof MkrootfsError && err.exitCode === ExitCode.usage) {
      state.issues.push({ code: err.code, message: err.message, hint: err.hint, pos: from });
      return undefined;
    }
    const code = (err as NodeJS.ErrnoException)?.code;
    state.issues.push({
      code: 'RECIPE_NOT_FOUND',
      message: code === 'ENOENT' ? `recipe file ${file} does not exist` : `cannot read recipe file ${file}: ${(err as Error).message}`,
      hint: from ? 'fix the include path (it is relative to the including file)' : 'check the path',
      pos: from,
    });
    return undefined;
  }
  state.done.add(abs);
  state.sources.set(file, text);
  const parsed = parseYaml(file, text);
  state.issues.push(...parsed.issues);
  const root = parsed.root;
  if (!root) {
    if (parsed.issues.length === 0) state.files.push(file);
    return parsed.issues.length === 0 ? { kind: 'map', entries: [], pos: { file, line: 1, col: 1 } } : undefined;
  }
  if (root.kind !== 'map') {
    state.issues.push({ code: 'RECIPE_NOT_A_MAP', message: 'a recipe is a YAML map (key: value lines) at the top level', pos: root.pos });
    return undefined;
  }
  let merged: PNode | undefined;
  const inc = root.entries.find((e) => e.key === 'include');
  if (inc) {
    const items = inc.value.kind === 'seq' ? inc.value.items : inc.value.kind === 'scalar' && typeof inc.value.value === 'string' ? [inc.value] : [];
    if (inc.value.kind === 'map') {
      state.issues.push({ code: 'RECIPE_BAD_INCLUDE', message: 'include is a list of recipe file paths', pos: inc.value.pos });
    }
    for (const item of items) {
      if (item.kind !== 'scalar' || typeof item.value !== 'string' || item.value === '') {
        state.issues.push({ code: 'RECIPE_BAD_INCLUDE', message: 'an include entry is a file path string', pos: item.pos });
        continue;
      }
      const target = isAbsolute(item.value) ? item.value : join(dirname(file), item.value);
      const targetAbs = resolve(state.cwd, target);
      const chainAbs = [...chain, abs];
      const cycleAt = chainAbs.indexOf(targetAbs);
      if (cycleAt >= 0) {
        const names = [...chainAbs.slice(cycleAt), targetAbs].map((p) => displayOf(state, p));
        state.issues.push({
          code: 'RECIPE_INCLUDE_CYCLE',
          message: `include cycle: ${names.join(' → ')}`,
          hint: 'remove one of the includes that form the cycle',
          pos: item.pos,
        });
        continue;
      }
      if (state.done.has(targetAbs)) continue;
      const sub = await loadOne(state, target, chainAbs, item.pos);
      if (sub) merged = merged ? mergeNodes(merged, sub) : sub;
    }
  }
  state.files.push(file);
  return merged ? mergeNodes(merged, root) : root;
}

function displayOf(state: State, abs: string): string {
  for (const f of state.sources.keys()) if (resolve(state.cwd, f) === abs) return f;
  return abs;
}

/** Merges `over` on top of `base` (see the module comment). */
export function mergeNodes(base: PNode, over: PNode): PNode {
  if (base.kind === 'map' && over.kind === 'map') {
    const entries = base.entries.map((e) => {
      const o = over.entries.find((x) => x.key === e.key);
      return o ? { key: e.key, keyPos: o.keyPos, value: mergeNodes(e.value, o.value) } : e;
    });
    for (const o of over.entries) if (!base.entries.some((e) => e.key === o.key)) entries.push(o);
    return { kind: 'map', entries, pos: over.pos };
  }
  if (base.kind === 'seq' && over.kind === 'seq') {
    return { kind: 'seq', items: [...base.items, ...over.items], pos: over.pos };
  }
  return over;
}
