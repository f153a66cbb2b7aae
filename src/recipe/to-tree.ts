/**
 * Recipe → staging tree. Pure apart from the injected host file system (and
 * the injected directory importer); no clock: every node made here gets
 * `epoch` as its time, and every time in the finished tree is clamped to it.
 *
 * Order (later steps override earlier ones at the same path):
 *  1. layers, in order;
 *  2. generated /etc files (passwd, group, shadow, fstab, inittab, rcS, hostname);
 *  3. dirs, mount points, users' home directories;
 *  4. files, programs, symlinks, devices, device-table rows;
 *  5. hard links (their targets may come from any step above).
 */
import { relative } from 'node:path';
import { MkrootfsError, ioFailure, ioFailureCode } from '../errors.ts';
import {
  lookup, mkdirp, newTree, setNode, splitPath, toBinary, walk,
  type Node, type NodeAttrs, type Tree,
} from '../tree/tree.ts';
import { constants } from 'node:fs';
import { importTar, type ImportOwner, type OwnerNames } from '../tree/tar-import.ts';
import type { ContentSink } from '../tree/tar/content-sink.ts';
import { fileChunks } from '../tree/tar/file-chunks.ts';
import type { Recipe } from './schema.ts';
import { RecipeError, type RecipeIssue, type SourceTexts } from './recipe-error.ts';
import type { Locate } from './check.ts';
import type { PathKey } from './yaml-source.ts';
import { notRegularError, readBytes, readRegularText, type HostFs } from './host-fs.ts';
import { etcFiles, userGroups } from './etc-files.ts';
import { parseDeviceTable } from './device-table.ts';
import { DEFAULT_EXCLUDES, compileExcludes, type ExcludeMatcher } from '../tree/exclude.ts';

/** Largest device table read. */
const MAX_DEVICE_TABLE_BYTES = 4 << 20;

/** Copies a host directory into the tree (src/tree/import-dir.ts in production). */
export type DirImporter = (args: { tree: Tree; hostPath: string; dest: string; owner: ImportOwner; exclude?: ExcludeMatcher }) => Promise<unknown>;

export interface RecipeToTreeArgs {
  recipe: Recipe;
  locate: Locate;
  sources: SourceTexts;
  fs: HostFs;
  importDir: DirImporter;
  /** SOURCE_DATE_EPOCH: the time of everything made here and the clamp for all times. */
  epoch: number;
  /** Host paths of the compiled `programs`, by index. */
  programs?: ReadonlyMap<number, string>;
  /** Shows host paths in problems relative to this directory (default: absolute). */
  cwd?: string;
  /** Where tar layers' file contents go as the archive streams by (see importTar); default in memory. */
  tarSink?: ContentSink;
}

export async function recipeToTree(args: RecipeToTreeArgs): Promise<Tree> {
  const { recipe, locate, fs, epoch } = args;
  const issues: RecipeIssue[] = [];
  const sources = new Map(args.sources);
  const tree = newTree({ perm: 0o755, uid: 0, gid: 0, mtime: epoch });
  const parentAttrs: NodeAttrs = { perm: 0o755, uid: 0, gid: 0, mtime: epoch };

  const attempt = async (at: PathKey, what: string, fn: () => unknown): Promise<void> => {
    try {
      await fn();
    } catch (err) {
      if (err instanceof RecipeError) { issues.push(...err.issues); return; }
      // A full disk is not a problem of the recipe: exit 1, not a recipe issue (exit 2).
      if (ioFailureCode(err) !== undefined) throw ioFailure(err, what);
      const e = err instanceof MkrootfsError ? err : undefined;
      issues.push({
        code: e?.code ?? 'RECIPE_BUILD',
        message: `${what}: ${(err as Error)?.message ?? String(err)}`,
        hint: e?.hint,
        pos: locate(at),
      });
    }
  };

  const { gids: primaryGids, groups } = userGroups(recipe.users, recipe.groups);
  const uidOf = (v: number | string): number => typeof v === 'number' ? v : recipe.users.find((u) => u.name === v)?.uid ?? 0;
  const gidOf = (v: number | string): number => typeof v === 'number' ? v : groups.find((g) => g.name === v)?.gid ?? 0;
  const attrs = (mode: string, uid: number | string, gid: number | string): NodeAttrs =>
    ({ perm: parseInt(mode, 8) & 0o7777, uid: uidOf(uid), gid: gidOf(gid), mtime: epoch });
  const put = (path: string, node: Node): void => { setNode(tree, toBinary(path), node, parentAttrs); };

  // With owner: keep, a tar member's uname/gname that names one of the image's
  // users or groups wins over its numeric id, as GNU tar does with the target
  // system's user database; other names keep the numeric ids (host-free).
  const ownerNames: OwnerNames = {
    uid: (name) => recipe.users.find((u) => u.name === name)?.uid,
    gid: (name) => groups.find((g) => g.name === name)?.gid,
  };

  // 1. Layers.
  for (const [i, layer] of recipe.layers.entries()) {
    const owner: ImportOwner = layer.owner === 'root' || layer.owner === 'keep' ? layer.owner
      : { uid: Number(layer.owner.split(':')[0]), gid: Number(layer.owner.split(':')[1]) };
    let exclude: ExcludeMatcher | undefined;
    await attempt(['layers', i, 'exclude'], `layer ${layer.source}`, () => {
      exclude = compileExcludes(layer.exclude ?? DEFAULT_EXCLUDES, `layers[${i}].exclude`);
    });
    await attempt(['layers', i, 'source'], `layer ${layer.source}`, async () => {
      const st = await fs.stat(layer.source);
      if (!st.isDirectory() && !st.isFile()) throw notRegularError(layer.source, st, 'layer source', 'a directory or a tar archive');
      if (st.isDirectory()) {
        await args.importDir({ tree, hostPath: layer.source, dest: layer.dest, owner, exclude });
      } else {
        const tar = { dest: layer.dest, owner, ownerNames, name: layer.source, sink: args.tarSink, maxRatio: layer.maxRatio, destAttrs: parentAttrs, exclude };
        if (!fs.open) {
          await importTar({ tree, archive: await readBytes(fs, layer.source), ...tar });
          return;
        }
        // Streamed: read once, in order, whatever the size. O_NONBLOCK: a path that became a FIFO does not block the open.
        const fh = await fs.open(layer.source, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
        try {
          const opened = await fh.stat();
          if (!opened.isFile()) throw notRegularError(layer.source, opened, 'layer source', 'a directory or a tar archive');
          await importTar({ tree, archive: { chunks: fileChunks(fh), size: Number(opened.size) }, ...tar });
        } finally {
          await fh.close();
        }
      }
    });
  }

  // 2. Generated /etc files.
  for (const f of etcFiles(recipe)) {
    await attempt(etcOrigin(f.path), `writing ${f.path}`, () =>
      put(f.path, { type: 'file', content: { kind: 'bytes', data: new TextEncoder().encode(f.text) }, perm: f.perm, uid: f.uid, gid: f.gid, mtime: epoch }));
  }

  // 3. Directories.
  const dir = (path: string, a: NodeAttrs): void => {
    const existing = lookup(tree, toBinary(path));
    if (existing && existing.type !== 'dir') put(path, { type: 'dir', entries: new Map(), ...a });
    else Object.assign(mkdirp(tree, toBinary(path), parentAttrs), a);
  };
  for (const [i, d] of recipe.dirs.entries()) {
    await attempt(['dirs', i, 'path'], `directory ${d.path}`, () => dir(d.path, attrs(d.mode, d.uid, d.gid)));
  }
  for (const [i, m] of recipe.mounts.entries()) {
    await attempt(['mounts', i, 'path'], `mount point ${m.path}`, () => {
      if (!lookup(tree, toBinary(m.path))) dir(m.path, attrs(m.mode, 0, 0));
    });
  }
  for (const [i, u] of recipe.users.entries()) {
    if (splitPath(u.home).length === 0) continue;
    await attempt(['users', i, 'home'], `home directory ${u.home}`, () => {
      if (!lookup(tree, toBinary(u.home))) dir(u.home, { perm: 0o700, uid: u.uid, gid: primaryGids.get(u.name) ?? 0, mtime: epoch });
    });
  }

  // 4. Files, programs, symlinks, devices, device table.
  for (const [i, f] of recipe.files.entries()) {
    await attempt(['files', i, 'path'], `file ${f.path}`, async () => {
      const a = attrs(f.mode, f.uid, f.gid);
      if (f.content !== undefined) {
        put(f.path, { type: 'file', content: { kind: 'bytes', data: new TextEncoder().encode(f.content) }, ...a });
      } else {
        const st = await fs.stat(f.source!);
        if (!st.isFile()) throw notRegularError(f.source!, st, 'file source', 'a regular file');
        put(f.path, { type: 'file', content: { kind: 'host', path: f.source!, size: Number(st.size) }, ...a });
      }
    });
  }
  for (const [i, p] of recipe.programs.entries()) {
    const host = args.programs?.get(i);
    await attempt(['programs', i, 'path'], `program ${p.path}`, async () => {
      if (host === undefined) throw new MkrootfsError({ code: 'RECIPE_PROGRAM_NOT_BUILT', message: 'was not compiled' });
      const st = await fs.stat(host);
      put(p.path, { type: 'file', content: { kind: 'host', path: host, size: Number(st.size) }, ...attrs(p.mode, 0, 0) });
    });
  }
  for (const [i, s] of recipe.symlinks.entries()) {
    await attempt(['symlinks', i, 'path'], `symbolic link ${s.path}`, () =>
      put(s.path, { type: 'symlink', target: new TextEncoder().encode(s.target), ...attrs('0777', s.uid, s.gid) }));
  }
  for (const [i, d] of recipe.devices.entries()) {
    await attempt(['devices', i, 'path'], `device ${d.path}`, () => {
      const a = attrs(d.mode, d.uid, d.gid);
      put(d.path, d.type === 'fifo' ? { type: 'fifo', ...a } : { type: d.type, major: d.major ?? 0, minor: d.minor ?? 0, ...a });
    });
  }
  if (recipe.deviceTable !== undefined) {
    await attempt(['deviceTable'], `device table ${recipe.deviceTable}`, async () => {
      const text = await readRegularText(fs, recipe.deviceTable!, 'device table', MAX_DEVICE_TABLE_BYTES);
      const shown = args.cwd !== undefined ? relative(args.cwd, recipe.deviceTable!) : recipe.deviceTable!;
      sources.set(shown, text);
      applyDeviceTable(tree, shown, text, epoch, parentAttrs, issues);
    });
  }

  // 5. Hard links.
  for (const [i, h] of recipe.hardlinks.entries()) {
    await attempt(['hardlinks', i, 'target'], `hard link ${h.path}`, () => {
      const target = lookup(tree, toBinary(h.target));
      if (!target) throw new MkrootfsError({ code: 'RECIPE_LINK_TARGET', message: `target ${h.target} does not exist`, hint: 'hard links point at a file from a layer or another section' });
      if (target.type === 'dir') throw new MkrootfsError({ code: 'RECIPE_LINK_TARGET', message: `target ${h.target} is a directory`, hint: 'directories cannot be hard-linked' });
      put(h.path, target);
    });
  }

  if (issues.length > 0) throw new RecipeError(issues, sources);
  clampTimes(tree, epoch);
  return tree;
}

/** SOURCE_DATE_EPOCH semantics: no time in the image is later than `epoch`. */
export function clampTimes(tree: Tree, epoch: number): void {
  walk(tree, (_path, node) => { if (node.mtime > epoch) node.mtime = epoch; });
}

function etcOrigin(path: string): PathKey {
  if (path === '/etc/fstab') return ['mounts'];
  if (path === '/etc/hostname') return ['hostname'];
  if (path === '/etc/inittab' || path === '/etc/init.d/rcS') return ['init'];
  return ['users'];
}

function applyDeviceTable(tree: Tree, file: string, text: string, epoch: number, parentAttrs: NodeAttrs, issues: RecipeIssue[]): void {
  const parsed = parseDeviceTable(file, text);
  issues.push(...parsed.issues);
  for (const e of parsed.entries) {
    const path = toBinary(e.path);
    const a: NodeAttrs = { perm: e.mode, uid: e.uid, gid: e.gid, mtime: epoch };
    const fail = (message: string, hint: string): void => {
      issues.push({ code: 'DEVICE_TABLE_INVALID', message: `${e.path}: ${message}`, hint, pos: { file, line: e.line, col: 1 } });
    };
    try {
      switch (e.type) {
        case 'd': Object.assign(mkdirp(tree, path, parentAttrs), a); break;
        case 'c': case 'b': setNode(tree, path, { type: e.type === 'c' ? 'char' : 'block', major: e.major, minor: e.minor, ...a }, parentAttrs); break;
        case 'p': setNode(tree, path, { type: 'fifo', ...a }, parentAttrs); break;
        case 'f': {
          const n = lookup(tree, path);
          if (!n || n.type !== 'file') { fail('type f needs an existing regular file', 'add the file (files:, a layer) or use another type'); break; }
          Object.assign(n, { perm: a.perm, uid: a.uid, gid: a.gid });
          break;
        }
        case 'r': {
          const n = lookup(tree, path);
          if (!n || n.type !== 'dir') { fail('type r needs an existing directory', 'create the directory first'); break; }
          walk({ root: n }, (_p, child) => { Object.assign(child, { perm: a.perm, uid: a.uid, gid: a.gid }); });
          break;
        }
      }
    } catch (err) {
      fail((err as Error).message, (err as MkrootfsError).hint ?? 'fix the device table');
    }
  }
}
