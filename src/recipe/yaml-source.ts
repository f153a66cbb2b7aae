/**
 * YAML → a small positioned tree (PNode): every map key, map, list and scalar
 * remembers file:line:col, so problems found after include merging and
 * variable substitution still point at the text the user wrote.
 */
import { parseDocument, LineCounter, isMap, isSeq, isScalar, isAlias, type Node as YamlNode, type Document } from 'yaml';
import type { RecipeIssue, SourcePos } from './recipe-error.ts';

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
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: true });
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
  const root = doc.contents ? convert(doc, doc.contents as YamlNode, at, text, issues, 0) : undefined;
  return { root, issues };
}

function convert(doc: Document, node: YamlNode, at: (o: number) => SourcePos, text: string, issues: RecipeIssue[], depth: number): PNode {
  const start = node.range?.[0] ?? 0;
  if (depth > 64) {
    issues.push({ code: 'RECIPE_TOO_DEEP', message: 'the document nests too deeply (alias loop?)', pos: at(start) });
    return { kind: 'scalar', value: null, raw: '', pos: at(start), offset: start };
  }
  if (isAlias(node)) {
    const target = node.resolve(doc);
    if (!target) {
      issues.push({ code: 'RECIPE_YAML_SYNTAX', message: `unknown alias *${node.source}`, pos: at(start) });
      return { kind: 'scalar', value: null, raw: '', pos: at(start), offset: start };
    }
    return convert(doc, target as YamlNode, at, text, issues, depth + 1);
  }
  if (isMap(node)) {
    const entries: PEntry[] = [];
    for (const pair of node.items) {
      const k = pair.key as YamlNode | null;
      const keyStart = k?.range?.[0] ?? start;
      const key = isScalar(k) ? String(k.value) : k ? String(k) : '';
      const value: PNode = pair.value
        ? convert(doc, pair.value as YamlNode, at, text, issues, depth + 1)
        : { kind: 'scalar', value: null, raw: '', pos: at(keyStart), offset: keyStart };
      entries.push({ key, keyPos: at(keyStart), value });
    }
    return { kind: 'map', entries, pos: at(start) };
  }
  if (isSeq(node)) {
    return { kind: 'seq', items: node.items.map((n) => convert(doc, n as YamlNode, at, text, issues, depth + 1)), pos: at(start) };
  }
  if (isScalar(node)) {
    const v = node.value;
    const value: Scalar = typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' || v === null ? v
      : typeof v === 'bigint' ? Number(v) : String(v);
    const end = node.range?.[1] ?? start;
    return { kind: 'scalar', value, raw: text.slice(start, end), pos: at(start), offset: start };
  }
  return { kind: 'scalar', value: null, raw: '', pos: at(start), offset: start };
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
