/**
 * Imports a tar archive into a staging tree, streaming: the archive is read
 * once, in order, decompressed on the fly (gzip, xz, zstd; tar/decompress.ts)
 * and parsed one member at a time (tar/reader.ts: ustar, pax, GNU, every
 * sparse format), with file contents going straight to a content sink (in
 * memory, or spilled to host files: tar/host-sink.ts). Memory is bounded by
 * chunk and header sizes, not by the archive.
 *
 * Regular files (sparse ones with their holes), directories, symbolic and hard
 * links, char/block devices and fifos are imported; any other member type is
 * an error naming it. Names stay raw bytes. Under `owner: keep`, pax uid, gid,
 * uname, gname and mtime override the header's; malformed values are errors.
 * Entries that would land outside the destination — a `..` component, or a
 * path or hard-link target that goes through a symbolic link — are rejected.
 * Later entries replace earlier ones; a directory entry over an existing
 * directory only updates its attributes (contents merge). A layer that
 * expands beyond `maxRatio` times its size is refused (tar/expansion.ts).
 */
import { MkrootfsError, usageError } from '../errors.ts';
import {
  binaryToBytes, displayName, mkdirp, newDir, splitPath, toBinary, validateName,
  type ContentSource, type DirNode, type Node, type NodeAttrs, type Tree,
} from './tree.ts';
import { ByteSource } from './tar/byte-source.ts';
import { memorySink, storeSink, type ContentSink } from './tar/content-sink.ts';
import { tarStream } from './tar/decompress.ts';
import { ExpansionBudget } from './tar/expansion.ts';
import { readTar, type TarEntry } from './tar/reader.ts';
import { describeWhere } from './tar/tar-error.ts';
import type { ExcludeMatcher } from './exclude.ts';

export type ImportOwner = 'root' | 'keep' | { uid: number; gid: number };

/** An archive being streamed: its chunks in order (read once) and its size in bytes. */
export interface TarStreamSource { chunks: AsyncIterable<Uint8Array>; size: number }

/** Looks owner names (binary strings) up in the image's user and group tables. */
export interface OwnerNames {
  uid(name: string): number | undefined;
  gid(name: string): number | undefined;
}

export interface ImportTarArgs {
  tree: Tree;
  /** The archive's bytes, or a stream of them; compression is detected by magic number. */
  archive: Uint8Array | TarStreamSource;
  /** Absolute destination directory in the tree (text). */
  dest: string;
  owner: ImportOwner;
  /** Names the archive in errors. */
  name: string;
  /** Attributes of directories made for `dest` itself (default 0755 root, time 0). */
  destAttrs?: NodeAttrs;
  /**
   * Where regular files' contents go as they stream by. Default: memory. The
   * build passes hostSink (tar/host-sink.ts), so a layer of any size costs
   * disk in its work directory, not memory.
   */
  sink?: ContentSink;
  /** Older form of `sink`: gets each file's whole bytes (so memory grows with the largest file). Ignored when `sink` is given. */
  store?: (data: Uint8Array) => Promise<ContentSource>;
  /** Refuse a layer that expands to more than this many times the archive's size (default 100; tar/expansion.ts). */
  maxRatio?: number;
  /**
   * With owner 'keep': a uname/gname found here wins over the archive's
   * numeric id, as GNU tar does with the system's user database. Without it,
   * the numeric ids are used (tar --numeric-owner): deterministic, host-free.
   */
  ownerNames?: OwnerNames;
  /** Members (by path in the archive) left out, with everything under them (exclude.ts); their data is skipped unread. */
  exclude?: ExcludeMatcher;
}

export interface ImportTarResult { entries: number; excluded: number }

const CHUNK = 1 << 20;

async function* slices(data: Uint8Array): AsyncGenerator<Uint8Array> {
  for (let o = 0; o < data.length; o += CHUNK) yield data.subarray(o, Math.min(data.length, o + CHUNK));
}

export async function importTar(args: ImportTarArgs): Promise<ImportTarResult> {
  const { tree } = args;
  const stream = args.archive instanceof Uint8Array ? { chunks: slices(args.archive), size: args.archive.length } : args.archive;
  const budget = new ExpansionBudget({ archive: args.name, archiveSize: stream.size, maxRatio: args.maxRatio });
  const sink = args.sink ?? (args.store ? storeSink(args.store) : memorySink());
  const destParts = splitPath(toBinary(args.dest));
  const destDir = mkdirp(tree, destParts.join('/'), args.destAttrs ?? { perm: 0o755, uid: 0, gid: 0, mtime: 0 });
  const source = new ByteSource(tarStream({ chunks: stream.chunks, archive: args.name, budget }));
  let count = 0;
  let excluded = 0;
  try {
    for await (const { entry, data } of readTar(source, args.name)) {
      const where = describeWhere(entry.where);
      const parts = safeParts(entry.name, where);
      if (args.exclude && parts.length > 0 && args.exclude.excludesAny(parts, entry.kind === 'dir')) { excluded++; continue; }
      const attrs = attributes(entry, args.owner, args.ownerNames);
      let node: Node;
      switch (entry.kind) {
        case 'file':
          node = { type: 'file', content: await fileContent(entry, data, sink, budget, where), ...attrs };
          break;
        case 'dir':
          node = newDir(attrs);
          break;
        case 'symlink':
          node = { type: 'symlink', target: binaryToBytes(entry.linkname), ...attrs };
          break;
        case 'hardlink': {
          const targetParts = safeParts(entry.linkname, `${where} (hard link target)`);
          const target = find(destDir, targetParts, `${where} (hard link target)`);
          if (!target) {
            const left = args.exclude?.excludesAny(targetParts, false) === true;
            throw usageError('TAR_LINK_TARGET', `${where}: hard link target ${JSON.stringify(displayName(targetParts.join('/')))} is ${left ? 'excluded from the layer' : 'not in the archive before it'}`,
              left ? 'exclude the hard link too, or narrow the layer\'s exclude patterns' : 'hard links must point at an earlier entry');
          }
          if (target.type === 'dir') throw usageError('TAR_LINK_TARGET', `${where}: hard link to a directory`, 'directories cannot be hard-linked');
          node = target;
          break;
        }
        case 'char':
        case 'block':
          node = { type: entry.kind, major: entry.devmajor, minor: entry.devminor, ...attrs };
          break;
        case 'fifo':
          node = { type: 'fifo', ...attrs };
          break;
      }
      place(destDir, parts, node, where, attrs.mtime);
      count++;
    }
  } finally {
    await source.close();
  }
  return { entries: count, excluded };
}

function attributes(e: TarEntry, owner: ImportOwner, names: OwnerNames | undefined): NodeAttrs {
  let uid = 0;
  let gid = 0;
  if (owner === 'keep') {
    uid = (e.uname !== undefined ? names?.uid(e.uname) : undefined) ?? e.uid;
    gid = (e.gname !== undefined ? names?.gid(e.gname) : undefined) ?? e.gid;
  } else if (owner !== 'root') {
    ({ uid, gid } = owner);
  }
  return { perm: e.mode, uid, gid, mtime: e.mtime };
}

/** Streams a regular file's stored ranges into a new content writer. */
async function fileContent(e: TarEntry, data: AsyncIterable<Uint8Array>, sink: ContentSink, budget: ExpansionBudget, where: string): Promise<ContentSource> {
  const stored = e.regions.reduce((n, r) => n + r.length, 0);
  if (e.size > stored) budget.holes(e.size - stored);
  const w = await sink.create(e.size);
  try {
    let r = 0;
    let pos = 0;
    for await (const c of data) {
      for (let off = 0; off < c.length;) {
        const region = e.regions[r]!;
        const take = Math.min(region.length - pos, c.length - off);
        await w.write(region.offset + pos, c.subarray(off, off + take));
        off += take;
        pos += take;
        if (pos === region.length) { r++; pos = 0; }
      }
    }
    return await w.finish();
  } catch (err) {
    await w.abort?.().catch(() => {});
    // The sink's own refusals get the member's name; host I/O errors pass through as they are.
    if (err instanceof MkrootfsError && err.code === 'TAR_FILE_TOO_LARGE_FOR_MEMORY') err.message = `${where}: ${err.message}`;
    throw err;
  }
}

function safeParts(name: string, where: string): string[] {
  const parts = splitPath(name);
  if (parts.includes('..')) {
    throw usageError('TAR_PATH_ESCAPE', `${where} has a ".." component and would land outside the image root`, 'repack the archive with paths relative to its root', { entry: displayName(name) });
  }
  return parts;
}

/** Walks existing directories below `dir`; a symbolic link on the way is rejected. */
function find(dir: DirNode, parts: string[], where: string): Node | undefined {
  let node: Node = dir;
  for (let i = 0; i < parts.length; i++) {
    if (node.type === 'symlink') throw throughSymlink(where, parts.slice(0, i));
    if (node.type !== 'dir') return undefined;
    const next = node.entries.get(parts[i]!);
    if (!next) return undefined;
    node = next;
  }
  return node;
}

function place(root: DirNode, parts: string[], node: Node, where: string, mtime: number): void {
  if (parts.length === 0) {
    if (node.type === 'dir') Object.assign(root, { perm: node.perm, uid: node.uid, gid: node.gid, mtime: node.mtime });
    return;
  }
  let dir = root;
  for (let i = 0; i < parts.length - 1; i++) {
    const part = parts[i]!;
    validateName(part, where);
    const next = dir.entries.get(part);
    if (!next) {
      const created = newDir({ perm: 0o755, uid: 0, gid: 0, mtime });
      dir.entries.set(part, created);
      dir = created;
    } else if (next.type === 'dir') {
      dir = next;
    } else if (next.type === 'symlink') {
      throw throughSymlink(where, parts.slice(0, i + 1));
    } else {
      throw usageError('TAR_NOT_A_DIRECTORY', `${where}: ${displayName(parts.slice(0, i + 1).join('/'))} is a ${next.type}, not a directory`, 'fix the archive');
    }
  }
  const name = parts[parts.length - 1]!;
  validateName(name, where);
  const existing = dir.entries.get(name);
  if (existing?.type === 'dir' && node.type === 'dir') {
    Object.assign(existing, { perm: node.perm, uid: node.uid, gid: node.gid, mtime: node.mtime });
    return;
  }
  dir.entries.set(name, node);
}

function throughSymlink(where: string, parts: string[]): Error {
  return usageError('TAR_PATH_ESCAPE', `${where} goes through the symbolic link ${JSON.stringify(displayName(parts.join('/')))} and could land outside the image root`,
    'repack the archive so entries do not pass through symbolic links', { link: displayName(parts.join('/')) });
}
