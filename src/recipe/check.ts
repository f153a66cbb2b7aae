/**
 * Checks a schema-valid recipe for problems the schema cannot see: host paths
 * that do not exist, two entries for one path, names longer than ext2 allows,
 * owners that name no user or group, device numbers missing. Every problem is
 * reported (with its position), not only the first.
 */
import type { Recipe } from './schema.ts';
import type { RecipeIssue, SourcePos } from './recipe-error.ts';
import { formatPos } from './recipe-error.ts';
import type { PathKey } from './yaml-source.ts';
import { describeKind, statOrUndefined, type HostFs, type HostStats } from './host-fs.ts';
import { suggestion } from './did-you-mean.ts';
import { splitPath, toBinary } from '../tree/tree.ts';

export type Locate = (path: PathKey) => SourcePos | undefined;

/** Sections whose entries each create one path; two entries for one path is an error. */
const PATH_SECTIONS = ['dirs', 'files', 'symlinks', 'hardlinks', 'devices', 'programs'] as const;

/** Works on a partially valid recipe too (entries that failed the schema are holes in the lists). */
export async function checkRecipe(recipe: Recipe, locate: Locate, fs: HostFs): Promise<RecipeIssue[]> {
  const issues: RecipeIssue[] = [];

  // Paths: duplicates and name lengths.
  const seen = new Map<string, { at: PathKey }>();
  for (const section of PATH_SECTIONS) {
    const list = recipe[section] as { path: string }[];
    list.forEach((entry, i) => {
      const at: PathKey = [section, i, 'path'];
      checkNames(entry.path, at, locate, issues);
      const norm = '/' + splitPath(entry.path).join('/');
      const prev = seen.get(norm);
      if (prev) {
        const prevPos = locate(prev.at);
        issues.push({
          code: 'RECIPE_DUPLICATE_PATH',
          message: `${norm} is defined twice (first at ${prevPos ? formatPos(prevPos) : prev.at.join('.')})`,
          hint: 'keep one entry for each path',
          pos: locate(at),
        });
      } else {
        seen.set(norm, { at });
      }
    });
  }
  recipe.mounts.forEach((m, i) => checkNames(m.path, ['mounts', i, 'path'], locate, issues));
  recipe.layers.forEach((l, i) => checkNames(l.dest, ['layers', i, 'dest'], locate, issues));

  // Owners by name (users and groups that failed the schema are holes in the lists: skipped).
  const users = present(recipe.users);
  const groups = present(recipe.groups);
  const userNames = new Set(users.map((u) => u.name));
  const groupNames = new Set([...groups.map((g) => g.name), ...users.map((u) => u.name)]);
  const checkOwner = (value: number | string, which: 'uid' | 'gid', at: PathKey): void => {
    if (typeof value === 'number') return;
    const names = which === 'uid' ? userNames : groupNames;
    if (names.has(value)) return;
    const hint = suggestion(value, names);
    issues.push({
      code: 'RECIPE_UNKNOWN_OWNER',
      message: `${which} "${shorten(value)}" is not a ${which === 'uid' ? 'user' : 'group'} defined in this recipe`,
      hint: hint ?? `define it under ${which === 'uid' ? 'users' : 'groups'}:, or use a number`,
      pos: locate(at),
    });
  };
  for (const section of ['dirs', 'files', 'symlinks', 'devices'] as const) {
    (recipe[section] as { uid: number | string; gid: number | string }[]).forEach((e, i) => {
      checkOwner(e.uid, 'uid', [section, i, 'uid']);
      checkOwner(e.gid, 'gid', [section, i, 'gid']);
    });
  }

  // Users and groups: unique names, known groups.
  const dupNames = (list: { name: string }[], section: string): void => {
    const first = new Map<string, number>();
    list.forEach((e, i) => {
      if (first.has(e.name)) {
        issues.push({ code: 'RECIPE_DUPLICATE_NAME', message: `${section.slice(0, -1)} "${e.name}" is defined twice`, hint: 'keep one entry per name', pos: locate([section, i, 'name']) });
      } else first.set(e.name, i);
    });
  };
  dupNames(recipe.users, 'users');
  dupNames(recipe.groups, 'groups');
  const definedGroups = new Set(groups.map((g) => g.name));
  recipe.users.forEach((u, i) => {
    if (typeof u.gid === 'string' && !definedGroups.has(u.gid)) {
      issues.push({ code: 'RECIPE_UNKNOWN_OWNER', message: `group "${shorten(u.gid)}" of user "${u.name}" is not defined`, hint: suggestion(u.gid, definedGroups) ?? 'define it under groups:', pos: locate(['users', i, 'gid']) });
    }
    u.groups.forEach((g, j) => {
      if (!definedGroups.has(g)) {
        issues.push({ code: 'RECIPE_UNKNOWN_OWNER', message: `group "${shorten(g)}" of user "${u.name}" is not defined`, hint: suggestion(g, definedGroups) ?? 'define it under groups:', pos: locate(['users', i, 'groups', j]) });
      }
    });
  });

  // Files: exactly one of content and source.
  recipe.files.forEach((f, i) => {
    if ((f.content === undefined) === (f.source === undefined)) {
      issues.push({
        code: 'RECIPE_FILE_CONTENT',
        message: f.content === undefined ? `file ${f.path} has neither content nor source` : `file ${f.path} has both content and source`,
        hint: 'give exactly one of content: (inline text) and source: (a host file)',
        pos: locate(['files', i, 'path']),
      });
    }
  });

  // Devices: char/block need numbers, fifos take none.
  recipe.devices.forEach((d, i) => {
    if (d.type !== 'fifo' && (d.major === undefined || d.minor === undefined)) {
      issues.push({ code: 'RECIPE_DEVICE_NUMBERS', message: `${d.type} device ${d.path} needs major and minor numbers`, hint: 'add major: N and minor: N', pos: locate(['devices', i, 'type']) });
    }
    if (d.type === 'fifo' && (d.major !== undefined || d.minor !== undefined)) {
      issues.push({ code: 'RECIPE_DEVICE_NUMBERS', message: `fifo ${d.path} takes no major/minor numbers`, hint: 'remove major and minor', pos: locate(['devices', i, 'type']) });
    }
  });

  // Host paths that must exist.
  const must = async (path: string | undefined, at: PathKey, kind: 'file' | 'any'): Promise<void> => {
    if (path === undefined) return;
    const shown = shorten(path);
    if (path.includes('\0')) {
      issues.push({ code: 'RECIPE_BAD_PATH', message: `host path ${JSON.stringify(shown)} contains a NUL byte`, hint: 'remove the NUL from the path', pos: locate(at) });
      return;
    }
    let st: HostStats | undefined;
    try {
      st = await statOrUndefined(fs, path);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException)?.code;
      issues.push({
        code: 'RECIPE_SOURCE_UNREADABLE',
        message: `cannot read ${shown}: ${code ?? (err as Error)?.message ?? String(err)}`,
        hint: code === 'ENAMETOOLONG' ? 'shorten the path (a name is at most 255 bytes)' : code === 'ELOOP' ? 'fix the symbolic link loop' : 'check the path and its permissions',
        pos: locate(at),
      });
      return;
    }
    if (!st) {
      issues.push({ code: 'RECIPE_SOURCE_MISSING', message: `${shown} does not exist`, hint: 'paths in a recipe are relative to the recipe file\'s directory', pos: locate(at) });
    } else if (kind === 'file' && !st.isFile()) {
      issues.push({ code: 'RECIPE_SOURCE_NOT_FILE', message: `${shown} is ${describeKind(st)}, not a regular file`, hint: 'point source at a regular file; pipes, devices and sockets are never read', pos: locate(at) });
    } else if (kind === 'any' && !st.isFile() && !st.isDirectory()) {
      issues.push({ code: 'RECIPE_SOURCE_NOT_REGULAR', message: `${shown} is ${describeKind(st)}; a layer is a directory or a tar archive`, hint: 'point source at a directory or a tar file; pipes, devices and sockets are never read', pos: locate(at) });
    }
  };
  // (forEach: a partially valid recipe has holes where entries failed the schema.)
  const pending: Promise<void>[] = [];
  recipe.layers.forEach((l, i) => pending.push(must(l.source, ['layers', i, 'source'], 'any')));
  recipe.files.forEach((f, i) => pending.push(must(f.source, ['files', i, 'source'], 'file')));
  recipe.programs.forEach((p, i) => p.sources.forEach((s, j) => pending.push(must(s, ['programs', i, 'sources', j], 'file'))));
  pending.push(must(recipe.deviceTable, ['deviceTable'], 'file'));
  await Promise.all(pending);
  return issues;
}

/** The entries of a list that passed the schema. */
function present<T>(list: readonly (T | undefined)[]): T[] {
  return list.filter((x): x is T => x !== undefined);
}

/** A value quoted in a message, cut short when long. */
function shorten(text: string): string {
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

function checkNames(path: string, at: PathKey, locate: Locate, issues: RecipeIssue[]): void {
  for (const part of splitPath(toBinary(path))) {
    if (part.length > 255) {
      issues.push({
        code: 'RECIPE_NAME_TOO_LONG',
        message: `a name in ${path.length > 60 ? path.slice(0, 57) + '...' : path} is ${part.length} bytes; ext2 names are at most 255 bytes`,
        hint: 'shorten the name',
        pos: locate(at),
      });
    } else if (part === '..') {
      issues.push({ code: 'RECIPE_BAD_PATH', message: `${path} contains ".."`, hint: 'write the path without ".." components', pos: locate(at) });
    }
  }
}
