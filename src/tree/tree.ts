/**
 * The staging tree: what goes into an image, independent of any file system
 * format. A node is an inode; the same node object reachable from several
 * directory entries is a hard link. Directory entry names are raw bytes, kept
 * as "binary strings" (one char per byte, code points 0-255) so that Map keys
 * compare and sort bytewise and are never re-encoded.
 */
import { usageError } from '../errors.ts';

/** Where a regular file's bytes come from. Host files are read lazily by the writer. */
export type ContentSource =
  | { kind: 'bytes'; data: Uint8Array }
  | { kind: 'host'; path: string; size: number }
  /** A file of `size` bytes that reads as zeros (stored fully sparse). */
  | { kind: 'zero'; size: number };

interface NodeBase {
  /** Permission bits including setuid/setgid/sticky (0o7777). */
  perm: number;
  uid: number;
  gid: number;
  /** Modification time, integer seconds since the epoch. atime = ctime = mtime. */
  mtime: number;
}

export interface FileNode extends NodeBase { type: 'file'; content: ContentSource }
export interface DirNode extends NodeBase { type: 'dir'; entries: Map<string, Node> }
export interface SymlinkNode extends NodeBase { type: 'symlink'; target: Uint8Array }
export interface DeviceNode extends NodeBase { type: 'char' | 'block'; major: number; minor: number }
export interface FifoNode extends NodeBase { type: 'fifo' }
export interface SocketNode extends NodeBase { type: 'socket' }
export type Node = FileNode | DirNode | SymlinkNode | DeviceNode | FifoNode | SocketNode;
export type NodeType = Node['type'];

export interface Tree { root: DirNode }

export type NodeAttrs = Pick<NodeBase, 'perm' | 'uid' | 'gid' | 'mtime'>;

const utf8 = new TextEncoder();

/** A UTF-8 text name or path → its binary-string form. */
export function toBinary(text: string): string {
  const bytes = utf8.encode(text);
  let s = '';
  for (let i = 0; i < bytes.length; i++) s += String.fromCharCode(bytes[i]!);
  return s;
}

/** Raw bytes → binary string. */
export function bytesToBinary(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i++) s += String.fromCharCode(bytes[i]!);
  return s;
}

/** Binary string → raw bytes. */
export function binaryToBytes(name: string): Uint8Array {
  const out = new Uint8Array(name.length);
  for (let i = 0; i < name.length; i++) out[i] = name.charCodeAt(i) & 0xff;
  return out;
}

/** Binary string → printable text (UTF-8 decoded, invalid bytes replaced). */
export function displayName(name: string): string {
  return new TextDecoder().decode(binaryToBytes(name));
}

/** Bytewise comparison of binary strings (code units are bytes, so plain < works). */
export function compareNames(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Whether validateName would accept `name` (a cheap test first: building the message's path costs more than the check). */
export function isValidName(name: string): boolean {
  return name.length > 0 && name.length <= 255 && !name.includes('/') && !name.includes('\0') && name !== '.' && name !== '..';
}

/** Validates one directory entry name (binary string): 1-255 bytes, no '/', no NUL, not '.' or '..'. */
export function validateName(name: string, where: string): void {
  if (name.length === 0 || name.length > 255) {
    throw usageError('NAME_LENGTH', `name ${JSON.stringify(displayName(name))} at ${where} is ${name.length} bytes; names must be 1-255 bytes`,
      'shorten the file name', { where, length: name.length });
  }
  if (name.includes('/') || name.includes('\0')) {
    throw usageError('NAME_INVALID', `name ${JSON.stringify(displayName(name))} at ${where} contains '/' or NUL`, 'rename the entry', { where });
  }
  if (name === '.' || name === '..') {
    throw usageError('NAME_INVALID', `name '${name}' at ${where} is reserved`, 'rename the entry', { where });
  }
}

/** Splits an absolute or relative path (binary string) into components, ignoring empty and '.' parts. */
export function splitPath(path: string): string[] {
  return path.split('/').filter((p) => p !== '' && p !== '.');
}

export function newDir(attrs: NodeAttrs): DirNode {
  return { type: 'dir', entries: new Map(), ...attrs };
}

export function newTree(rootAttrs: NodeAttrs = { perm: 0o755, uid: 0, gid: 0, mtime: 0 }): Tree {
  return { root: newDir(rootAttrs) };
}

/** Looks a path up without following symlinks. Returns undefined when absent. */
export function lookup(tree: Tree, path: string): Node | undefined {
  let node: Node = tree.root;
  for (const part of splitPath(path)) {
    if (node.type !== 'dir') return undefined;
    if (part === '..') return undefined;
    const next = node.entries.get(part);
    if (!next) return undefined;
    node = next;
  }
  return node;
}

/**
 * Returns the directory at `path`, creating missing components with `attrs`.
 * A non-directory in the way is an error naming the path.
 */
export function mkdirp(tree: Tree, path: string, attrs: NodeAttrs): DirNode {
  let dir = tree.root;
  let walked = '';
  for (const part of splitPath(path)) {
    walked += '/' + part;
    validateName(part, displayName(walked));
    const next = dir.entries.get(part);
    if (!next) {
      const created = newDir(attrs);
      dir.entries.set(part, created);
      dir = created;
    } else if (next.type === 'dir') {
      dir = next;
    } else {
      throw usageError('NOT_A_DIRECTORY', `${displayName(walked)} is a ${next.type}, not a directory`,
        'remove the conflicting entry or choose another destination', { path: displayName(walked) });
    }
  }
  return dir;
}

/**
 * Places `node` at `path` (parents created with `parentAttrs`), replacing any
 * existing entry. Replacing a directory with a directory merges nothing: use
 * mkdirp for that. Returns the node placed.
 */
export function setNode(tree: Tree, path: string, node: Node, parentAttrs: NodeAttrs): Node {
  const parts = splitPath(path);
  const name = parts.pop();
  if (name === undefined) {
    if (node.type !== 'dir') throw usageError('ROOT_NOT_DIR', 'the root must be a directory');
    Object.assign(tree.root, { perm: node.perm, uid: node.uid, gid: node.gid, mtime: node.mtime });
    return tree.root;
  }
  validateName(name, displayName('/' + [...parts, name].join('/')));
  const parent = mkdirp(tree, parts.join('/'), parentAttrs);
  parent.entries.set(name, node);
  return node;
}

/** Removes the entry at `path`; returns whether something was removed. */
export function removeNode(tree: Tree, path: string): boolean {
  const parts = splitPath(path);
  const name = parts.pop();
  if (name === undefined) return false;
  const parent = lookup(tree, parts.join('/'));
  if (!parent || parent.type !== 'dir') return false;
  return parent.entries.delete(name);
}

/** Depth-first walk in bytewise name order; `visit` gets the binary path ('/' for the root). */
export function walk(tree: Tree, visit: (path: string, node: Node, parent: DirNode | null) => void): void {
  const rec = (path: string, node: Node, parent: DirNode | null): void => {
    visit(path, node, parent);
    if (node.type === 'dir') {
      const names = [...node.entries.keys()].sort(compareNames);
      for (const n of names) rec(path === '/' ? '/' + n : path + '/' + n, node.entries.get(n)!, node);
    }
  };
  rec('/', tree.root, null);
}

/** Size in bytes of a node's content (files), target (symlinks), else 0. */
export function nodeSize(node: Node): number {
  if (node.type === 'file') return node.content.kind === 'bytes' ? node.content.data.length : node.content.size;
  if (node.type === 'symlink') return node.target.length;
  return 0;
}
