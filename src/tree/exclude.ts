/**
 * Layer excludes: glob patterns naming entries of a layer (a host directory or
 * a tar archive) that never reach the image. The rules follow rsync's
 * `--exclude`, which Buildroot uses for its overlays:
 *
 *  - a pattern matches an entry's path relative to the layer root at any
 *    depth: `.git` and `*~` match names anywhere, `ssh/*_key` matches
 *    `etc/ssh/host_key` and `ssh/a_key` (the pattern must match whole
 *    components at the end of the path);
 *  - a leading "/" anchors it at the layer root (`/build` is only the
 *    top-level `build`);
 *  - a trailing "/" matches directories only (`cache/`);
 *  - `*` matches any bytes except "/", `**` any bytes including "/", `?` one
 *    byte except "/", `[abc]` `[a-z]` `[!a-z]` one byte of (or not of) a set;
 *    `\` makes the next character literal;
 *  - excluding a directory excludes everything under it.
 *
 * Names are compared as bytes (the staging tree's binary strings), so `?`
 * matches one byte: one ASCII character. Node's path.matchesGlob is not used:
 * it is experimental on Node 20 (and absent before 20.17), and its rules are
 * those of shell globs, not rsync's name-at-any-depth rule.
 */
import { usageError } from '../errors.ts';
import { toBinary } from './tree.ts';

/**
 * Buildroot's overlay rule (RSYNC_VCS_EXCLUSIONS plus `.empty` and `*~`):
 * version-control directories, the `.empty` placeholders that keep empty
 * directories in git, and editor backup files.
 */
export const DEFAULT_EXCLUDES: readonly string[] = ['.git', '.svn', '.hg', '.bzr', 'CVS', '.empty', '*~'];

export interface ExcludeMatcher {
  /** The patterns, as given. */
  readonly patterns: readonly string[];
  /**
   * Whether the entry at `path` (a binary string relative to the layer root,
   * without a leading "/") is excluded. Callers skip an excluded directory's
   * contents; excludesAny also checks the parents, for archives that list a
   * file without its directories.
   */
  excludes(path: string, isDir: boolean): boolean;
  /** Whether `parts` or any of its parent directories is excluded. */
  excludesAny(parts: readonly string[], isDir: boolean): boolean;
}

/**
 * `base`: the pattern can only match a whole last component (unanchored, and
 * nothing in it can match '/'), so it is tested on that component alone;
 * `literal`: such a pattern without wildcards, compared as a string.
 * Matching every entry of a 20k-file tree against the whole path cost more
 * than its lstat.
 */
interface Compiled { re: RegExp; dirOnly: boolean; base: boolean; literal: string | null }

/** Compiles exclude patterns; `where` names their origin (a flag or a recipe field) in errors. Returns undefined for none. */
export function compileExcludes(patterns: readonly string[], where: string): ExcludeMatcher | undefined {
  if (patterns.length === 0) return undefined;
  const compiled = patterns.map((p) => compileOne(p, where));
  const excludes = (path: string, isDir: boolean): boolean => {
    let last: string | undefined;
    for (const c of compiled) {
      if (c.dirOnly && !isDir) continue;
      if (c.base) {
        last ??= path.slice(path.lastIndexOf('/') + 1);
        if (c.literal !== null ? last === c.literal : c.re.test(last)) return true;
      } else if (c.re.test(path)) return true;
    }
    return false;
  };
  return {
    patterns: [...patterns],
    excludes,
    excludesAny(parts, isDir) {
      let path = '';
      for (let i = 0; i < parts.length; i++) {
        path = i === 0 ? parts[0]! : `${path}/${parts[i]}`;
        if (excludes(path, i < parts.length - 1 || isDir)) return true;
      }
      return false;
    },
  };
}

function compileOne(pattern: string, where: string): Compiled {
  const bad = (why: string) => usageError('BAD_EXCLUDE', `${where}: exclude pattern ${JSON.stringify(pattern)} ${why}`,
    'write a glob such as "*.o", ".git", "etc/ssh/*_key" or "cache/" (escape a literal *, ?, [ or \\ with \\)', { pattern, where });
  let p = toBinary(pattern);
  const dirOnly = p.length > 1 && p.endsWith('/');
  if (dirOnly) p = p.replace(/\/+$/, '');
  const anchored = p.startsWith('/');
  if (anchored) p = p.replace(/^\/+/, '');
  if (p === '') throw bad('matches nothing');
  let re = '';
  for (let i = 0; i < p.length; i++) {
    const c = p[i]!;
    if (c === '\\') {
      if (i + 1 >= p.length) throw bad('ends with a lone \\');
      re += escapeRe(p[++i]!);
    } else if (c === '*') {
      if (p[i + 1] === '*') { i++; re += '[^]*'; } else re += '[^/]*';
    } else if (c === '?') {
      re += '[^/]';
    } else if (c === '[') {
      const end = p.indexOf(']', i + 2);
      if (end < 0) throw bad('has a "[" without its "]"');
      let body = p.slice(i + 1, end);
      const negate = body.startsWith('!') || body.startsWith('^');
      if (negate) body = body.slice(1);
      re += `[${negate ? '^/' : ''}${body.replace(/[\\\]^]/g, '\\$&')}]`;
      i = end;
    } else {
      re += escapeRe(c);
    }
  }
  // Unanchored: whole components at the end of the path.
  const base = !anchored && !p.includes('/') && !p.includes('**') && !p.includes('[');
  const literal = base && !/[*?\\]/.test(p) ? p : null;
  return { re: new RegExp(`${anchored || base ? '^' : '(?:^|/)'}${re}$`), dirOnly, base, literal };
}

function escapeRe(c: string): string {
  return c.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
}
