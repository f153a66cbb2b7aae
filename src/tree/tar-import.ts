/**
 * Imports a tar archive (plain or gzip-compressed) into a staging tree:
 * regular files, directories, symbolic and hard links, char/block devices and
 * fifos; ustar, pax (long names, large values) and GNU long-name headers.
 * Names stay raw bytes. Entries that would land outside the destination —
 * a `..` component, or a path or hard-link target that goes through a
 * symbolic link — are rejected with an error naming the entry.
 * Later entries replace earlier ones; a directory entry over an existing
 * directory only updates its attributes (contents merge).
 */
import { gunzipSync } from 'node:zlib';
import * as tarStream from 'tar-stream';
import { usageError } from '../errors.ts';
import {
  displayName, mkdirp, newDir, splitPath, toBinary, validateName,
  type ContentSource, type DirNode, type Node, type NodeAttrs, type Tree,
} from './tree.ts';

export type ImportOwner = 'root' | 'keep' | { uid: number; gid: number };

export interface ImportTarArgs {
  tree: Tree;
  /** The archive bytes; gzip is detected by its magic number. */
  archive: Uint8Array;
  /** Absolute destination directory in the tree (text). */
  dest: string;
  owner: ImportOwner;
  /** Names the archive in errors. */
  name: string;
  /** Attributes of directories made for `dest` itself (default 0755 root, time 0). */
  destAttrs?: NodeAttrs;
  /**
   * Where regular files' bytes go. Default: kept in memory. The recipe
   * pipeline spills them to host files instead, so memory stays bounded and a
   * tar layer's files are stored exactly like a directory layer's.
   */
  store?: (data: Uint8Array) => Promise<ContentSource>;
}

export interface ImportTarResult { entries: number }

export async function importTar(args: ImportTarArgs): Promise<ImportTarResult> {
  const { tree, owner } = args;
  let data = args.archive;
  if (data.length >= 2 && data[0] === 0x1f && data[1] === 0x8b) {
    try {
      data = gunzipSync(data);
    } catch (err) {
      throw usageError('TAR_BAD_GZIP', `${args.name}: not a valid gzip stream (${(err as Error).message})`, 'check that the archive is complete');
    }
  }
  const destParts = splitPath(toBinary(args.dest));
  const destDir = mkdirp(tree, destParts.join('/'), args.destAttrs ?? { perm: 0o755, uid: 0, gid: 0, mtime: 0 });
  const extract = tarStream.extract({ filenameEncoding: 'latin1' } as Parameters<typeof tarStream.extract>[0]);
  extract.end(Buffer.from(data.buffer, data.byteOffset, data.byteLength));
  let count = 0;
  try {
    for await (const entry of extract) {
      const h = entry.header;
      const pax = (h as { pax?: { path?: string; linkpath?: string } }).pax;
      const chunks: Buffer[] = [];
      for await (const c of entry) chunks.push(c as Buffer);
      const name = entryName(h.name, pax?.path);
      const where = `${args.name}: entry ${JSON.stringify(displayName(name))}`;
      const parts = safeParts(name, where);
      const attrs: NodeAttrs = {
        perm: (h.mode ?? 0o644) & 0o7777,
        uid: owner === 'root' ? 0 : owner === 'keep' ? h.uid ?? 0 : owner.uid,
        gid: owner === 'root' ? 0 : owner === 'keep' ? h.gid ?? 0 : owner.gid,
        mtime: h.mtime ? Math.floor(h.mtime.getTime() / 1000) : 0,
      };
      let node: Node;
      switch (h.type) {
        case 'file':
        case 'contiguous-file':
        case null:
        case undefined:
          node = { type: 'file', content: args.store ? await args.store(concat(chunks)) : { kind: 'bytes', data: concat(chunks) }, ...attrs };
          break;
        case 'directory':
          node = newDir(attrs);
          break;
        case 'symlink':
          node = { type: 'symlink', target: latin1Bytes(entryName(h.linkname ?? '', pax?.linkpath)), ...attrs };
          break;
        case 'link': {
          const targetParts = safeParts(entryName(h.linkname ?? '', pax?.linkpath), `${where} (hard link target)`);
          const target = find(destDir, targetParts, `${where} (hard link target)`);
          if (!target) throw usageError('TAR_LINK_TARGET', `${where}: hard link target ${JSON.stringify(displayName(targetParts.join('/')))} is not in the archive before it`, 'hard links must point at an earlier entry');
          if (target.type === 'dir') throw usageError('TAR_LINK_TARGET', `${where}: hard link to a directory`, 'directories cannot be hard-linked');
          node = target;
          break;
        }
        case 'character-device':
        case 'block-device':
          node = { type: h.type === 'character-device' ? 'char' : 'block', major: h.devmajor ?? 0, minor: h.devminor ?? 0, ...attrs };
          break;
        case 'fifo':
          node = { type: 'fifo', ...attrs };
          break;
        default:
          throw usageError('TAR_UNSUPPORTED', `${where}: unsupported tar entry type ${String(h.type)}`, 'repack the archive without it');
      }
      place(destDir, parts, node, where, attrs.mtime);
      count++;
    }
  } finally {
    extract.destroy();
  }
  return { entries: count };
}

/** A pax path is UTF-8 text (decoded by tar-stream); a plain header name is already a binary string. */
function entryName(raw: string, pax: string | undefined): string {
  return pax !== undefined ? toBinary(pax) : raw;
}

function latin1Bytes(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i) & 0xff;
  return out;
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

function concat(chunks: Buffer[]): Uint8Array {
  if (chunks.length === 1) return new Uint8Array(chunks[0]!);
  return new Uint8Array(Buffer.concat(chunks));
}

