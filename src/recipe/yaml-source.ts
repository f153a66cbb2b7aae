/**
 * YAML → a small positioned tree (PNode): every map key, map, list and scalar
 * remembers file:line:col, so problems found after include merging and
 * variable substitution still point at the text the user wrote.
 */
import { parseDocument, LineCounter, Lexer, CST, isMap, isSeq, isScalar, isAlias, type Node as YamlNode, type Document } from 'yaml';
import type { RecipeIssue, SourcePos } from './recipe-error.ts';

/** Deepest nesting of maps and lists a recipe may have (a real one has fewer than 10). */
export const MAX_NESTING = 64;
/**
 * Most nodes aliases may add to a document, counted as they are expanded (the
 * role of the yaml library's `maxAliasCount`, which only guards its toJS()).
 * Nine levels of nine aliases ("billion laughs") would otherwise expand to
 * 387 million nodes and exhaust the heap.
 */
export const MAX_ALIAS_NODES = 100_000;

export type Scalar = string | number | boolean | null;

export type PNode =
  | { kind: 'map'; entries: PEntry[]; pos: SourcePos }
  | { kind: 'seq'; items: PNode[]; pos: SourcePos }
  /** `raw` is the scalar as written (quotes included), for fix-it hints. */
  | {
    kind: 'scalar'; value: Scalar; raw: string; pos: SourcePos; offset: number;
    /** Set when the value starts with a variable given on the command line or by the environment: a relative host path in it is relative to the current directory. */
    cwdRelative?: boolean;
  };

export interface PEntry { key: string; keyPos: SourcePos; value: PNode }

export interface ParsedYaml {
  root: PNode | undefined;
  issues: RecipeIssue[];
}

/** Parses one YAML file. Syntax errors (including duplicate keys) become issues. */
export function parseYaml(file: string, text: string): ParsedYaml {
  const deep = nestingProblem(file, text);
  if (deep) return { root: undefined, issues: [deep] };
  const lc = new LineCounter();
  // Duplicate keys are found in convert(): the library's own check (uniqueKeys) compares every
  // key with every other, which takes seconds on a map of 20,000 keys.
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: false });
  const issues: RecipeIssue[] = [];
  const at = (offset: number): SourcePos => {
    const { line, col } = lc.linePos(offset);
    return { file, line, col };
  };
  for (const e of doc.errors) {
    issues.push({
      code: e.code === 'DUPLICATE_KEY' ? 'RECIPE_DUPLICATE_KEY' : 'RECIPE_YAML_SYNTAX',
      message: e.code === 'DUPLICATE_KEY' ? 'duplicate key in a map' : `YAML: ${firstLine(e.message)}`,
      hint: e.code === 'DUPLICATE_KEY' ? 'remove one of the two entries' : 'fix the YAML syntax',
      pos: at(e.pos[0]),
    });
  }
  if (issues.length > 0) return { root: undefined, issues };
  const ctx: ConvertContext = { doc, at, text, issues, aliasNodes: 0 };
  const root = doc.contents ? convert(ctx, doc.contents as YamlNode, 0, false) : undefined;
  return { root, issues };
}

/**
 * The yaml parser needs time and memory far beyond linear in the nesting depth
 * (a 200 KB line of "- - - ..." exhausts the heap): its lexer, stopped at the
 * first excess, measures flow nesting and compact block indicators per line first.
 */
function nestingProblem(file: string, text: string): RecipeIssue | undefined {
  let flow = 0;
  let onLine = 0;
  let offset = 0;
  for (const token of new Lexer().lex(text)) {
    const type = CST.tokenType(token);
    if (type === 'flow-seq-start' || type === 'flow-map-start') flow++;
    else if (type === 'flow-seq-end' || type === 'flow-map-end') flow = Math.max(0, flow - 1);
    else if (type === 'newline') onLine = 0;
    else if (flow === 0 && (type === 'seq-item-ind' || type === 'explicit-key-ind' || type === 'map-value-ind')) onLine++;
    if (flow > MAX_NESTING || onLine > MAX_NESTING) {
      const { line, col } = new LineCounterAt(text).at(offset);
      return {
        code: 'RECIPE_TOO_DEEP',
        message: `the document nests more than ${MAX_NESTING} levels deep`,
        hint: 'a recipe needs a few levels of maps and lists; check for unbalanced brackets',
        pos: { file, line, col },
      };
    }
    if (type !== 'doc-mode' && type !== 'scalar' && type !== 'flow-error-end') offset += token.length;
  }
  return undefined;
}

/** Line and column of an offset, computed only for the one position reported. */
class LineCounterAt {
  constructor(private readonly text: string) {}
  at(offset: number): { line: number; col: number } {
    let line = 1;
    let last = -1;
    for (let i = this.text.indexOf('\n'); i >= 0 && i < offset; i = this.text.indexOf('\n', i + 1)) { line++; last = i; }
    return { line, col: offset - last };
  }
}

interface ConvertContext {
  doc: Document;
  at: (offset: number) => SourcePos;
  text: string;
  issues: RecipeIssue[];
  /** Nodes added by alias expansion so far (see MAX_ALIAS_NODES). */
  aliasNodes: number;
}

function convert(ctx: ConvertContext, node: YamlNode, depth: number, viaAlias: boolean): PNode {
  const { doc, at, text, issues } = ctx;
  const start = node.range?.[0] ?? 0;
  const nothing = (): PNode => ({ kind: 'scalar', value: null, raw: '', pos: at(start), offset: start });
  if (depth > MAX_NESTING) {
    issues.push({ code: 'RECIPE_TOO_DEEP', message: `the document nests more than ${MAX_NESTING} levels deep (alias loop?)`, pos: at(start) });
    return nothing();
  }
  if (viaAlias && ++ctx.aliasNodes > MAX_ALIAS_NODES) {
    if (ctx.aliasNodes === MAX_ALIAS_NODES + 1) {
      issues.push({
        code: 'RECIPE_ALIAS_LIMIT',
        message: `aliases expand to more than ${MAX_ALIAS_NODES} nodes`,
        hint: 'a recipe needs few aliases; an alias of an alias of ... multiplies the document (a "billion laughs" attack)',
        pos: at(start),
      });
    }
    return nothing();
  }
  if (isAlias(node)) {
    const target = node.resolve(doc);
    if (!target) {
      issues.push({ code: 'RECIPE_YAML_SYNTAX', message: `unknown alias *${node.source}`, pos: at(start) });
      return nothing();
    }
    return convert(ctx, target as YamlNode, depth + 1, true);
  }
  if (isMap(node)) {
    const entries: PEntry[] = [];
    const seen = new Set<string>();
    for (const pair of node.items) {
      const k = pair.key as YamlNode | null;
      const keyStart = k?.range?.[0] ?? start;
      const key = isScalar(k) ? String(k.value) : k ? String(k) : '';
      if (seen.has(key)) {
        // Reported where it is written, not again for each alias of the map.
        if (!viaAlias) issues.push({ code: 'RECIPE_DUPLICATE_KEY', message: 'duplicate key in a map', hint: 'remove one of the two entries', pos: at(keyStart) });
        continue;
      }
      seen.add(key);
      const value: PNode = pair.value
        ? convert(ctx, pair.value as YamlNode, depth + 1, viaAlias)
        : { kind: 'scalar', value: null, raw: '', pos: at(keyStart), offset: keyStart };
      entries.push({ key, keyPos: at(keyStart), value });
    }
    return { kind: 'map', entries, pos: at(start) };
  }
  if (isSeq(node)) {
    return { kind: 'seq', items: node.items.map((n) => convert(ctx, n as YamlNode, depth + 1, viaAlias)), pos: at(start) };
  }
  if (isScalar(node)) {
    const v = node.value;
    const value: Scalar = typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' || v === null ? v
      : typeof v === 'bigint' ? Number(v) : String(v);
    const end = node.range?.[1] ?? start;
    return { kind: 'scalar', value, raw: text.slice(start, end), pos: at(start), offset: start };
  }
  return nothing();
}

function firstLine(s: string): string {
  return s.split('\n')[0]!;
}

/** Plain JS value of a PNode. */
export function toPlain(node: PNode | undefined): unknown {
  if (!node) return undefined;
  if (node.kind === 'scalar') return node.value;
  if (node.kind === 'seq') return node.items.map(toPlain);
  const out: Record<string, unknown> = {};
  for (const e of node.entries) out[e.key] = toPlain(e.value);
  return out;
}

export type PathKey = (string | number)[];

/** Finds the node at a path, and the position of the last map key on it. */
export function nodeAt(root: PNode | undefined, path: PathKey): { node?: PNode; keyPos?: SourcePos; parent?: PNode } {
  let node = root;
  let keyPos: SourcePos | undefined;
  let parent: PNode | undefined;
  for (const part of path) {
    if (!node) return { parent };
    parent = node;
    if (node.kind === 'map' && typeof part === 'string') {
      const e = node.entries.find((x) => x.key === part);
      keyPos = e?.keyPos;
      node = e?.value;
    } else if (node.kind === 'seq' && typeof part === 'number') {
      node = node.items[part];
      keyPos = undefined;
    } else {
      return { parent };
    }
  }
  return { node, keyPos, parent };
}

/** `files[2].mode` style display of a path. */
export function displayPath(path: PathKey): string {
  let s = '';
  for (const p of path) s += typeof p === 'number' ? `[${p}]` : s === '' ? p : `.${p}`;
  return s || '(top level)';
}
