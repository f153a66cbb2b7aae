/**
 * Imports a host directory into the staging tree, like `mke2fs -d`: lstat
 * only (symlinks are never followed), fifos and sockets are never opened,
 * file contents stay on the host (read later by the writer), hard links are
 * recognised by (dev, ino) and become one shared node. Names are taken as raw
 * bytes. Owners are root (the default, as Buildroot does), kept, or fixed.
 */
import * as nodeFs from 'node:fs';
import { MkrootfsError } from '../errors.ts';
import { bytesToBinary, displayName, mkdirp, validateName, type DirNode, type Node, type NodeAttrs, type Tree } from './tree.ts';

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
}

export interface ImportSummary { entries: number; bytes: number }

/** Linux's split of a dev_t into major (12+ bits) and minor (20 bits). */
export function splitDev(rdev: number): { major: number; minor: number } {
  const hi = Math.floor(rdev / 2 ** 32);
  const lo = rdev >>> 0;
  const major = ((lo >>> 8) & 0xfff) | ((hi & 0xfffff000) >>> 0);
  const minor = (lo & 0xff) | ((lo >>> 12) & 0xfff00);
  return { major, minor };
}

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
  const summary: ImportSummary = { entries: 0, bytes: 0 };
  const utf8 = new TextDecoder('utf-8', { fatal: true });

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

  const makeNode = async (st: HostStat, hostChild: Buffer): Promise<Node> => {
    const attrs = attrsOf(st);
    let node: Node;
    if (st.isFile()) {
      summary.bytes += st.size;
      let hostText: string | null = null;
      try { hostText = utf8.decode(hostChild); } catch { hostText = null; }
      if (hostText !== null && Buffer.from(hostText).equals(hostChild)) {
        node = { type: 'file', content: { kind: 'host', path: hostText, size: st.size }, ...attrs };
      } else {
        // A path that is not valid UTF-8 cannot be named by a string later: read it now.
        let data: Buffer;
        try { data = fs.readFileSync(hostChild); } catch (err) { throw unreadable(err, hostChild, 'read file'); }
        node = { type: 'file', content: { kind: 'bytes', data: new Uint8Array(data) }, ...attrs };
      }
    } else if (st.isSymbolicLink()) {
      let target: Buffer;
      try { target = fs.readlinkSync(hostChild, { encoding: 'buffer' }); } catch (err) { throw unreadable(err, hostChild, 'read symlink'); }
      node = { type: 'symlink', target: new Uint8Array(target), ...attrs };
    } else if (st.isCharacterDevice() || st.isBlockDevice()) {
      node = { type: st.isCharacterDevice() ? 'char' : 'block', ...splitDev(st.rdev), ...attrs };
    } else if (st.isFIFO()) {
      node = { type: 'fifo', ...attrs };
    } else if (st.isSocket()) {
      node = { type: 'socket', ...attrs };
    } else {
      throw new MkrootfsError({ code: 'HOST_UNSUPPORTED_TYPE', message: `${displayName(bytesToBinary(hostChild))} has an unsupported file type`, hint: 'remove it from the source directory', data: { path: displayName(bytesToBinary(hostChild)) } });
    }
    return node;
  };

  const importInto = async (dir: DirNode, hostDir: Buffer, treePath: string): Promise<void> => {
    let names: Buffer[];
    try {
      names = fs.readdirSync(hostDir, { encoding: 'buffer' });
    } catch (err) {
      throw unreadable(err, hostDir, 'read directory');
    }
    const hostChildren = names.map((n) => Buffer.concat([hostDir, Buffer.from('/'), n]));
    const stats = hostChildren.map((p) => {
      try { return fs.lstatSync(p); } catch (err) { throw unreadable(err, p, 'stat'); }
    });
    const subdirs: { child: DirNode; hostChild: Buffer; childTreePath: string }[] = [];
    for (let i = 0; i < names.length; i++) {
      const name = bytesToBinary(names[i]!);
      const childTreePath = (treePath === '/' ? '' : treePath) + '/' + name;
      validateName(name, displayName(childTreePath));
      const hostChild = hostChildren[i]!;
      const st = stats[i]!;
      summary.entries++;
      if (st.isDirectory()) {
        const existing = dir.entries.get(name);
        const child: DirNode = existing?.type === 'dir' ? existing : { type: 'dir', entries: new Map(), ...attrsOf(st) };
        Object.assign(child, attrsOf(st));
        dir.entries.set(name, child);
        subdirs.push({ child, hostChild, childTreePath });
        continue;
      }
      const key = `${st.dev}:${st.ino}`;
      let pending = st.nlink > 1 ? links.get(key) : undefined;
      if (!pending) {
        pending = makeNode(st, hostChild);
        if (st.nlink > 1) links.set(key, pending);
      }
      dir.entries.set(name, await pending);
    }
    for (const sd of subdirs) await importInto(sd.child, sd.hostChild, sd.childTreePath);
  };
  await importInto(destDir, rootPath, args.dest ?? '/');
  return summary;
}
