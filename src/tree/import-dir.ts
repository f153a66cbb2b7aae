/**
 * Imports a host directory into the staging tree, like `mke2fs -d`: lstat
 * only (symlinks are never followed), fifos and sockets are never opened,
 * file contents stay on the host (read later by the writer), hard links are
 * recognised by (dev, ino) and become one shared node. Names are taken as raw
 * bytes. Owners are root (the default, as Buildroot does), kept, or fixed.
 *
 * Trees deeper than PATH_MAX are walked relative to open directories: once a
 * directory's path grows past ANCHOR_AT bytes (or ANCHOR_LEVELS levels) it is
 * opened (O_DIRECTORY, O_NOFOLLOW) and everything under it is named `/proc/self/fd/N/...`
 * (dir-handles.ts). The walk is iterative (no recursion per level) and yields
 * to the event loop now and then, so a signal handler can run.
 */
import * as nodeFs from 'node:fs';
import { ExitCode, MkrootfsError } from '../errors.ts';
import { bytesToBinary, displayName, isValidName, mkdirp, validateName, type DirNode, type Node, type NodeAttrs, type Tree } from './tree.ts';
import { DirHandles, FD_DIR } from './dir-handles.ts';
import type { ExcludeMatcher } from './exclude.ts';

export type Owner = 'root' | 'keep' | { uid: number; gid: number };

/**
 * What importDir needs of the host file system (node:fs and memfs satisfy it).
 * Synchronous on purpose: a tree walk is tens of thousands of tiny metadata
 * calls, and the synchronous forms cost several times less per call than the
 * thread-pool round trips of their promise forms.
 */
export interface ImportFs {
  lstatSync(path: Buffer): HostStat;
  readdirSync(path: Buffer, options: { encoding: 'buffer' }): Buffer[];
  readlinkSync(path: Buffer, options: { encoding: 'buffer' }): Buffer;
  readFileSync(path: Buffer): Buffer;
  /** Opens a directory of a deep tree (node:fs has it; without it, paths past PATH_MAX fail). */
  openSync?(path: Buffer, flags: number): number;
  closeSync?(fd: number): void;
}

export interface HostStat {
  dev: number; ino: number; mode: number; nlink: number; uid: number; gid: number; rdev: number; size: number; mtimeMs: number;
  isFile(): boolean; isDirectory(): boolean; isSymbolicLink(): boolean; isCharacterDevice(): boolean;
  isBlockDevice(): boolean; isFIFO(): boolean; isSocket(): boolean;
}

export interface ImportDirArgs {
  tree: Tree;
  hostPath: string;
  /** Directory in the tree that receives the host directory's contents. */
  dest?: string;
  owner?: Owner;
  fs?: ImportFs;
  /**
   * Keeps open the directories through which files deeper than PATH_MAX are
   * named, until the caller has written the image (then it calls close()).
   * Without it such files are read into memory during the walk.
   */
  handles?: DirHandles;
  /** The image being written, when it already exists: meeting it in the tree is an error (it would be copied into itself, then replaced). */
  output?: { dev: number; ino: number; path: string };
  /** Entries (by path relative to `hostPath`) left out, with everything under them (exclude.ts). */
  exclude?: ExcludeMatcher;
}

export interface ImportSummary { entries: number; bytes: number; excluded: number }

/** Linux's split of a dev_t into major (12+ bits) and minor (20 bits). */
export function splitDev(rdev: number): { major: number; minor: number } {
  const hi = Math.floor(rdev / 2 ** 32);
  const lo = rdev >>> 0;
  const major = ((lo >>> 8) & 0xfff) | ((hi & 0xfffff000) >>> 0);
  const minor = (lo & 0xff) | ((lo >>> 12) & 0xfff00);
  return { major, minor };
}

/** A directory whose access path is longer than this is opened, and what is under it named relative to it. */
export const ANCHOR_AT = 3072;
/** ... or that many levels below the last opened one: the kernel walks every component of a path on each call, so a chain of 20,000 one-letter names would cost quadratic time. */
export const ANCHOR_LEVELS = 256;
/** Entries between turns of the event loop. */
const YIELD_ENTRIES = 2048;

function unreadable(err: unknown, path: Buffer, what: string): MkrootfsError {
  const e = err as NodeJS.ErrnoException;
  const shown = displayName(bytesToBinary(path));
  return new MkrootfsError({
    code: 'HOST_UNREADABLE',
    message: `cannot ${what} ${shown}: ${e?.code ?? ''} ${e?.message ?? String(err)}`.replace(/\s+/g, ' ').trim(),
    hint: e?.code === 'EACCES' ? 'make it readable by this user (or run with the needed permissions)' : 'check that the path exists and is readable',
    data: { path: shown, errno: e?.code },
    cause: err,
  });
}

export async function importDir(args: ImportDirArgs): Promise<ImportSummary> {
  const fs: ImportFs = args.fs ?? (nodeFs as unknown as ImportFs);
  const owner = args.owner ?? 'root';
  const ownerOf = (st: HostStat): { uid: number; gid: number } =>
    owner === 'root' ? { uid: 0, gid: 0 } : owner === 'keep' ? { uid: st.uid, gid: st.gid } : owner;
  const attrsOf = (st: HostStat): NodeAttrs => ({ perm: st.mode & 0o7777, ...ownerOf(st), mtime: Math.floor(st.mtimeMs / 1000) });
  const links = new Map<string, Promise<Node>>(); // promises: a node may still be in the making
  const summary: ImportSummary = { entries: 0, bytes: 0, excluded: 0 };
  const utf8 = new TextDecoder('utf-8', { fatal: true });
  const slash = Buffer.from('/');

  const rootPath = Buffer.from(args.hostPath);
  let rootStat: HostStat;
  try {
    rootStat = fs.lstatSync(rootPath);
  } catch (err) {
    throw unreadable(err, rootPath, 'read directory');
  }
  if (!rootStat.isDirectory()) {
    throw new MkrootfsError({ code: 'HOST_NOT_A_DIRECTORY', message: `${args.hostPath} is not a directory`, hint: 'pass a directory to --from-dir', data: { path: args.hostPath }, exitCode: 2 });
  }
  const destDir = mkdirp(args.tree, args.dest ?? '/', attrsOf(rootStat));
  Object.assign(destDir, attrsOf(rootStat));

  /** A directory opened because its path grew long; `refs` counts pending directories named through it. */
  interface Anchor { fd: number; refs: number; filesUnder: boolean }
  /** A directory still to read: `access` is the (short) path to use, `shown` its real path (for messages). */
  interface Pending { dir: DirNode; access: Buffer; shown: Buffer; treePath: string; rel: string; anchor: Anchor | undefined; levels: number }
  const anchors = new Set<Anchor>();
  const release = (a: Anchor | undefined): void => {
    if (!a || --a.refs > 0) return;
    anchors.delete(a);
    if (a.filesUnder && args.handles) args.handles.adopt(a.fd);
    else fs.closeSync?.(a.fd);
  };
  const openAnchor = (access: Buffer, shown: Buffer): Anchor => {
    if (!fs.openSync) throw tooDeep(shown, 'this file system cannot open directories');
    let fd: number;
    try {
      fd = fs.openSync(access, nodeFs.constants.O_RDONLY | nodeFs.constants.O_DIRECTORY | nodeFs.constants.O_NOFOLLOW);
    } catch (err) {
      throw unreadable(err, shown, 'open directory');
    }
    const a: Anchor = { fd, refs: 1, filesUnder: false };
    anchors.add(a);
    return a;
  };

  const makeNode = async (st: HostStat, access: Buffer, shown: Buffer, anchor: Anchor | undefined): Promise<Node> => {
    const attrs = attrsOf(st);
    if (args.output && st.dev === args.output.dev && st.ino === args.output.ino) {
      throw new MkrootfsError({
        code: 'OUTPUT_IS_INPUT',
        message: `output ${args.output.path} is also an input of this build (${displayName(bytesToBinary(shown))} in ${args.hostPath})`,
        hint: 'write the image outside the source directory: the build would copy the old image into the new one, then overwrite it',
        data: { path: args.output.path, input: displayName(bytesToBinary(shown)) },
        exitCode: ExitCode.usage,
      });
    }
    let node: Node;
    if (st.isFile()) {
      summary.bytes += st.size;
      let hostText: string | null = null;
      try { hostText = utf8.decode(access); } catch { hostText = null; }
      // A path through an anchor stays valid only while the anchor is open: without handles to keep it, read the file now.
      const named = hostText !== null && Buffer.from(hostText).equals(access) && (anchor === undefined || args.handles !== undefined);
      if (named) {
        if (anchor) anchor.filesUnder = true;
        node = { type: 'file', content: { kind: 'host', path: hostText!, size: st.size }, ...attrs };
      } else {
        // A path that is not valid UTF-8 cannot be named by a string later: read it now.
        let data: Buffer;
        try { data = fs.readFileSync(access); } catch (err) { throw unreadable(err, shown, 'read file'); }
        node = { type: 'file', content: { kind: 'bytes', data: new Uint8Array(data) }, ...attrs };
      }
    } else if (st.isSymbolicLink()) {
      let target: Buffer;
      try { target = fs.readlinkSync(access, { encoding: 'buffer' }); } catch (err) { throw unreadable(err, shown, 'read symlink'); }
      node = { type: 'symlink', target: new Uint8Array(target), ...attrs };
    } else if (st.isCharacterDevice() || st.isBlockDevice()) {
      node = { type: st.isCharacterDevice() ? 'char' : 'block', ...splitDev(st.rdev), ...attrs };
    } else if (st.isFIFO()) {
      node = { type: 'fifo', ...attrs };
    } else if (st.isSocket()) {
      node = { type: 'socket', ...attrs };
    } else {
      throw new MkrootfsError({ code: 'HOST_UNSUPPORTED_TYPE', message: `${displayName(bytesToBinary(shown))} has an unsupported file type`, hint: 'remove it from the source directory', data: { path: displayName(bytesToBinary(shown)) } });
    }
    return node;
  };

  const readOne = async (item: Pending, pending: Pending[]): Promise<void> => {
    const { dir, access, shown, treePath, rel } = item;
    let names: Buffer[];
    try {
      names = fs.readdirSync(access, { encoding: 'buffer' });
    } catch (err) {
      if (item.anchor && (err as NodeJS.ErrnoException)?.code === 'ENOENT' && access.toString().startsWith(FD_DIR)) {
        throw tooDeep(shown, `this system has no ${FD_DIR} to read it through`);
      }
      throw unreadable(err, shown, 'read directory');
    }
    const subdirs: Pending[] = [];
    const treePrefix = treePath === '/' ? '' : treePath;
    for (const rawName of names) {
      const name = bytesToBinary(rawName);
      if (!isValidName(name)) validateName(name, displayName(`${treePrefix}/${name}`));
      const childAccess = Buffer.concat([access, slash, rawName]);
      // Outside opened (deep) directories the access path is the real one.
      const childShown = shown === access ? childAccess : Buffer.concat([shown, slash, rawName]);
      let st: HostStat;
      try { st = fs.lstatSync(childAccess); } catch (err) { throw unreadable(err, childShown, 'stat'); }
      const childRel = rel === '' ? name : `${rel}/${name}`;
      if (args.exclude?.excludes(childRel, st.isDirectory())) { summary.excluded++; continue; }
      summary.entries++;
      if (st.isDirectory()) {
        const existing = dir.entries.get(name);
        const child: DirNode = existing?.type === 'dir' ? existing : { type: 'dir', entries: new Map(), ...attrsOf(st) };
        Object.assign(child, attrsOf(st));
        dir.entries.set(name, child);
        let childAnchor = item.anchor;
        let childPath = childAccess;
        let levels = item.levels + 1;
        if (childAccess.length > ANCHOR_AT || levels > ANCHOR_LEVELS) {
          childAnchor = openAnchor(childAccess, childShown);
          childPath = Buffer.from(`${FD_DIR}/${childAnchor.fd}`);
          levels = 0;
        } else if (childAnchor) {
          childAnchor.refs++;
        }
        subdirs.push({ dir: child, access: childPath, shown: childShown, treePath: `${treePrefix}/${name}`, rel: childRel, anchor: childAnchor, levels });
        continue;
      }
      if (st.nlink > 1) {
        const key = `${st.dev}:${st.ino}`;
        let made = links.get(key);
        if (!made) {
          made = makeNode(st, childAccess, childShown, item.anchor);
          links.set(key, made);
        }
        dir.entries.set(name, await made);
      } else {
        dir.entries.set(name, await makeNode(st, childAccess, childShown, item.anchor));
      }
    }
    // Depth first, in directory order.
    for (let i = subdirs.length - 1; i >= 0; i--) pending.push(subdirs[i]!);
  };

  const pending: Pending[] = [{ dir: destDir, access: rootPath, shown: rootPath, treePath: args.dest ?? '/', rel: '', anchor: undefined, levels: 0 }];
  let sinceYield = 0;
  try {
    while (pending.length > 0) {
      const item = pending.pop()!;
      try {
        await readOne(item, pending);
      } finally {
        release(item.anchor);
      }
      sinceYield += item.dir.entries.size + 1;
      if (sinceYield >= YIELD_ENTRIES) {
        sinceYield = 0;
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
    }
  } finally {
    // After an error: directories never reached still hold their anchors.
    for (const item of pending) release(item.anchor);
    for (const a of anchors) { anchors.delete(a); fs.closeSync?.(a.fd); }
  }
  return summary;
}

function tooDeep(shown: Buffer, why: string): MkrootfsError {
  const path = displayName(bytesToBinary(shown));
  return new MkrootfsError({
    code: 'HOST_PATH_TOO_LONG',
    message: `cannot read ${path.length > 120 ? `${path.slice(0, 50)}...${path.slice(-50)}` : path}: its path is longer than the system allows and ${why}`,
    hint: 'shorten the tree, or build on Linux with node:fs',
    data: { path },
    exitCode: ExitCode.usage,
  });
}
