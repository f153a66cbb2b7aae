/**
 * Turns the staging tree into a numbered list of inodes: validates names,
 * owners, modes and device numbers, gives each distinct node one inode
 * (hard links share it), counts links, and records each directory's entries
 * in bytewise order. Root is inode 2 and lost+found inode 11, as with mke2fs;
 * the rest are numbered from 12 in depth-first bytewise order.
 */
import { usageError } from '../errors.ts';
import { compareNames, displayName, validateName, type DirNode, type Node, type Tree } from '../tree/tree.ts';
import { DirFileType, Mode } from './inode.ts';
import { FIRST_INO, ROOT_INO } from './layout.ts';

export const LOST_FOUND = 'lost+found';
/** EXT2_LINK_MAX */
export const LINK_MAX = 32000;

export interface PlannedInode {
  ino: number;
  node: Node;
  /** First path the node was reached by (binary string; displayName() it for messages). */
  path: string;
  links: number;
  /** Directories: entries including '.' and '..', in on-disk order. */
  entries?: { name: string; ino: number; fileType: number }[];
  /** True for the lost+found directory (pre-sized like mke2fs does). */
  lostFound?: boolean;
  /** Directories: the parent's inode number. */
  parentIno?: number;
  /** Directories: already reached through an entry (a second entry is an illegal hard link). */
  seen?: boolean;
}

export interface InodePlan {
  /** Inodes 11 (lost+found), 12, 13, ... in order; the root (inode 2) is separate. */
  inodes: PlannedInode[];
  byNode: Map<Node, PlannedInode>;
  root: PlannedInode;
  /** Highest inode number in use. */
  lastIno: number;
  dirCount: number;
}

export function modeOf(node: Node): number {
  const type = node.type === 'dir' ? Mode.dir : node.type === 'file' ? Mode.file : node.type === 'symlink' ? Mode.symlink
    : node.type === 'char' ? Mode.char : node.type === 'block' ? Mode.block : node.type === 'fifo' ? Mode.fifo : Mode.socket;
  return type | (node.perm & 0o7777);
}

export function fileTypeOf(node: Node): number {
  return DirFileType[node.type];
}

function checkAttrs(node: Node, binaryPath: string): void {
  const bad = (what: string, value: unknown, hint: string): never => {
    const path = displayName(binaryPath);
    throw usageError('EXT2_BAD_ATTRIBUTE', `${path}: ${what} ${String(value)} is out of range`, hint, { path, [what]: value });
  };
  if (!Number.isInteger(node.uid) || node.uid < 0 || node.uid > 0xffffffff) bad('uid', node.uid, 'use a uid between 0 and 4294967295');
  if (!Number.isInteger(node.gid) || node.gid < 0 || node.gid > 0xffffffff) bad('gid', node.gid, 'use a gid between 0 and 4294967295');
  if (!Number.isInteger(node.perm) || node.perm < 0 || node.perm > 0o7777) bad('mode', node.perm, 'use permission bits between 0000 and 7777');
  if (!Number.isFinite(node.mtime)) bad('mtime', node.mtime, 'use an integer time in seconds');
  if (node.type === 'char' || node.type === 'block') {
    if (!Number.isInteger(node.major) || node.major < 0 || node.major > 0xfff) bad('major', node.major, 'device majors are 0-4095');
    if (!Number.isInteger(node.minor) || node.minor < 0 || node.minor > 0xfffff) bad('minor', node.minor, 'device minors are 0-1048575');
  }
  if (node.type === 'symlink') {
    const path = (): string => displayName(binaryPath);
    if (node.target.length === 0) throw usageError('EXT2_SYMLINK_EMPTY', `${path()}: symlink target is empty`, 'give the symlink a target', { path: path() });
    if (node.target.includes(0)) throw usageError('EXT2_SYMLINK_INVALID', `${path()}: symlink target contains a NUL byte`, 'remove the NUL byte from the target', { path: path() });
  }
}

export function planInodes(tree: Tree): InodePlan {
  const byNode = new Map<Node, PlannedInode>();
  const inodes: PlannedInode[] = [];
  const lf = tree.root.entries.get(LOST_FOUND);
  if (lf && lf.type !== 'dir') {
    throw usageError('EXT2_LOST_FOUND_NOT_DIR', `/lost+found is a ${lf.type}; ext2 needs it to be a directory`,
      'remove /lost+found from the tree (it is created automatically) or make it a directory');
  }
  // A missing lost+found is synthesized; NaN mtime means "use the image time".
  const lfNode: DirNode = lf ?? { type: 'dir', entries: new Map(), perm: 0o700, uid: 0, gid: 0, mtime: Number.NaN };
  checkAttrs(tree.root, '/');
  const root: PlannedInode = { ino: ROOT_INO, node: tree.root, path: '/', links: 2, parentIno: ROOT_INO, seen: true };
  const lostFound: PlannedInode = { ino: FIRST_INO, node: lfNode, path: '/lost+found', links: 1, lostFound: true };
  byNode.set(tree.root, root);
  byNode.set(lfNode, lostFound);
  inodes.push(lostFound);
  let next = FIRST_INO + 1;
  let dirCount = 2;

  // Depth first, children in bytewise order; a directory's children get consecutive numbers.
  const stack: PlannedInode[] = [root];
  while (stack.length > 0) {
    const self = stack.pop()!;
    const dir = self.node as DirNode;
    const names = [...dir.entries.keys()];
    if (dir === tree.root && !lf) names.push(LOST_FOUND);
    names.sort(compareNames);
    const entries: { name: string; ino: number; fileType: number }[] = [{ name: '.', ino: self.ino, fileType: DirFileType.dir }, { name: '..', ino: self.parentIno!, fileType: DirFileType.dir }];
    const subdirs: PlannedInode[] = [];
    for (const name of names) {
      const child = dir === tree.root && name === LOST_FOUND ? lfNode : dir.entries.get(name)!;
      const path = (self === root ? '' : self.path) + '/' + name;
      if (name.length === 0 || name.length > 255 || name.includes('/') || name.includes('\0') || name === '.' || name === '..') {
        validateName(name, displayName(path)); // throws, naming the path
      }
      let planned = byNode.get(child);
      if (!planned) {
        checkAttrs(child, path);
        planned = { ino: next++, node: child, path, links: child.type === 'dir' ? 1 : 0 };
        byNode.set(child, planned);
        inodes.push(planned);
        if (child.type === 'dir') dirCount++;
      } else if (child.type === 'dir' && planned.seen) {
        throw usageError('EXT2_DIR_HARDLINK', `${displayName(path)}: directory is also at ${displayName(planned.path)}; directories cannot be hard-linked`,
          'copy the directory instead of linking it', { path: displayName(path), other: displayName(planned.path) });
      }
      if (child.type === 'dir') {
        if (child !== lfNode || lf) checkAttrs(child, path);
        planned.seen = true;
        planned.parentIno = self.ino;
        planned.links++;
        self.links++;
        if (self.links > LINK_MAX) {
          throw usageError('EXT2_TOO_MANY_LINKS', `${displayName(self.path)} has more than ${LINK_MAX - 2} subdirectories`,
            'spread the subdirectories over several directories', { path: displayName(self.path) });
        }
        subdirs.push(planned);
      } else {
        planned.links++;
        if (planned.links > LINK_MAX) {
          throw usageError('EXT2_TOO_MANY_LINKS', `${displayName(planned.path)} has more than ${LINK_MAX} hard links`, 'use fewer hard links', { path: displayName(planned.path) });
        }
      }
      entries.push({ name, ino: planned.ino, fileType: fileTypeOf(child) });
    }
    self.entries = entries;
    for (let i = subdirs.length - 1; i >= 0; i--) stack.push(subdirs[i]!);
  }
  if (next - 1 > 0xffffffff) throw usageError('EXT2_TOO_FEW_INODES', 'too many inodes');
  return { inodes, byNode, root, lastIno: Math.max(next - 1, FIRST_INO), dirCount };
}
