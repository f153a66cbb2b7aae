/**
 * The staging tree as a list of newc entries, in the tree's own order
 * (tree.ts `walk`: depth first, names bytewise, a directory before its
 * contents), each with the header fields it will carry. Nothing here reads
 * the host: inode numbers count up from 1 in that order, one per distinct
 * node (the same node object under several names is a hard link), and times
 * follow the ext2 writer's SOURCE_DATE_EPOCH rule (every mtime clamped to
 * the epoch). Values newc or the kernel cannot hold are errors naming the path.
 */
import { usageError } from '../errors.ts';
import { binaryToBytes, displayName, nodeSize, validateName, walk, type Node, type Tree } from '../tree/tree.ts';
import { CpioType, FIELD_MAX, headerLength, pad4, type NewcFields } from './newc-header.ts';

/** The kernel (init/initramfs.c do_header) silently skips an entry whose name plus NUL, or whose symlink target, exceeds PATH_MAX bytes. */
export const PATH_MAX = 4096;

export interface CpioEntry {
  /** Tree path (binary string, '/' for the root), for messages. */
  path: string;
  /** Archive name: "." for the root, else the path without its leading '/'. */
  name: Uint8Array;
  node: Node;
  fields: NewcFields;
  /**
   * What follows the header: a regular file's content, a symlink's target,
   * or nothing. Hard-linked regular files carry their data on the FIRST entry
   * of the link set (in archive order) and size 0 on the others; the kernel
   * (init/initramfs.c opens a linked name without truncating it), GNU cpio
   * and libarchive accept the data on either the first or the last. Every
   * symlink entry carries its target: the kernel creates each symlink from
   * its own entry.
   */
  data: 'content' | 'target' | null;
}

export interface EntryPlan {
  entries: CpioEntry[];
  /** Bytes of the uncompressed archive, trailer included (before the final 512-byte padding). */
  bytes: number;
}

/** Linux dev_t: 12-bit major, 20-bit minor. */
const MAJOR_MAX = 0xfff;
const MINOR_MAX = 0xfffff;

export function planEntries(tree: Tree, opts: { epoch?: number } = {}): EntryPlan {
  const epoch = opts.epoch;
  if (epoch !== undefined && !(Number.isInteger(epoch) && epoch >= 0 && epoch <= FIELD_MAX)) {
    throw usageError('BAD_EPOCH', `epoch ${epoch} is not a whole number of seconds from 0 to ${FIELD_MAX}`,
      'a cpio archive holds 32-bit times: set SOURCE_DATE_EPOCH to a value no later than 2106-02-07', { epoch });
  }
  const inoOf = new Map<Node, number>();
  const links = new Map<Node, number>();
  const entries: CpioEntry[] = [];
  let nextIno = 1;
  walk(tree, (path, node) => {
    let ino = inoOf.get(node);
    const first = ino === undefined;
    if (first) {
      checkNode(node, path);
      ino = nextIno++;
      inoOf.set(node, ino);
    } else if (node.type === 'dir') {
      const other = entries.find((e) => e.node === node)!.path;
      throw usageError('CPIO_DIR_HARDLINK', `${displayName(path)}: directory is also at ${displayName(other)}; directories cannot be hard-linked`,
        'copy the directory instead of linking it', { path: displayName(path), other: displayName(other) });
    }
    links.set(node, (links.get(node) ?? 0) + 1);
    const name = path === '/' ? new Uint8Array([0x2e]) : binaryToBytes(path.slice(1));
    if (path !== '/') {
      const last = path.lastIndexOf('/');
      validateName(path.slice(last + 1), displayName(path));
    }
    if (name.length + 1 > PATH_MAX) {
      throw usageError('CPIO_PATH_TOO_LONG', `${displayName(path).slice(0, 60)}... is ${name.length} bytes long; the kernel skips initramfs names longer than ${PATH_MAX - 1} bytes`,
        'shorten the path (fewer or shorter directory levels)', { path: displayName(path), length: name.length });
    }
    const data = node.type === 'symlink' ? 'target' : node.type === 'file' && first ? 'content' : null;
    entries.push({
      path, name, node, data,
      fields: {
        ino: ino!,
        mode: modeOf(node),
        uid: node.uid,
        gid: node.gid,
        nlink: 0, // below, once every name is known
        mtime: timeOf(node, path, epoch),
        fileSize: data === null ? 0 : nodeSize(node),
        devMajor: 0,
        devMinor: 0,
        rdevMajor: node.type === 'char' || node.type === 'block' ? node.major : 0,
        rdevMinor: node.type === 'char' || node.type === 'block' ? node.minor : 0,
      },
    });
  });
  let bytes = 0;
  for (const e of entries) {
    const node = e.node;
    if (node.type === 'dir') {
      let subdirs = 0;
      for (const child of node.entries.values()) if (child.type === 'dir') subdirs++;
      e.fields.nlink = 2 + subdirs;
    } else {
      e.fields.nlink = links.get(node)!;
    }
    if (e.fields.nlink > FIELD_MAX) throw usageError('CPIO_TOO_MANY_LINKS', `${displayName(e.path)} has more links than newc can count`, 'use fewer hard links');
    bytes += headerLength(e.name.length) + e.fields.fileSize + pad4(e.fields.fileSize);
  }
  bytes += headerLength('TRAILER!!!'.length);
  return { entries, bytes };
}

export function modeOf(node: Node): number {
  return CpioType[node.type] | (node.perm & 0o7777);
}

/** The entry's mtime: the tree's, clamped to the epoch when there is one (as in src/ext2/write-image.ts). */
function timeOf(node: Node, path: string, epoch: number | undefined): number {
  const t = Math.trunc(node.mtime);
  const clamped = epoch !== undefined ? Math.min(t, epoch) : t;
  if (!(clamped >= 0 && clamped <= FIELD_MAX)) {
    throw usageError('CPIO_TIME_RANGE', `${displayName(path)}: mtime ${node.mtime} is outside what a cpio archive holds (0 to ${FIELD_MAX}, 1970 to 2106)`,
      'set SOURCE_DATE_EPOCH (later times are clamped to it), or fix the time with touch', { path: displayName(path), mtime: node.mtime });
  }
  return clamped;
}

function checkNode(node: Node, binaryPath: string): void {
  const path = displayName(binaryPath);
  const bad = (what: string, value: unknown, hint: string): never => {
    throw usageError('CPIO_BAD_ATTRIBUTE', `${path}: ${what} ${String(value)} is out of range`, hint, { path, [what]: value });
  };
  if (!Number.isInteger(node.uid) || node.uid < 0 || node.uid > FIELD_MAX) bad('uid', node.uid, 'use a uid between 0 and 4294967295');
  if (!Number.isInteger(node.gid) || node.gid < 0 || node.gid > FIELD_MAX) bad('gid', node.gid, 'use a gid between 0 and 4294967295');
  if (!Number.isInteger(node.perm) || node.perm < 0 || node.perm > 0o7777) bad('mode', node.perm, 'use permission bits between 0000 and 7777');
  if (!Number.isFinite(node.mtime)) bad('mtime', node.mtime, 'use an integer time in seconds');
  if (node.type === 'char' || node.type === 'block') {
    if (!Number.isInteger(node.major) || node.major < 0 || node.major > MAJOR_MAX) bad('major', node.major, 'device majors are 0-4095');
    if (!Number.isInteger(node.minor) || node.minor < 0 || node.minor > MINOR_MAX) bad('minor', node.minor, 'device minors are 0-1048575');
  }
  if (node.type === 'symlink') {
    if (node.target.length === 0) throw usageError('CPIO_SYMLINK_EMPTY', `${path}: symlink target is empty`, 'give the symlink a target', { path });
    if (node.target.includes(0)) throw usageError('CPIO_SYMLINK_INVALID', `${path}: symlink target contains a NUL byte`, 'remove the NUL byte from the target', { path });
    if (node.target.length > PATH_MAX) {
      throw usageError('CPIO_SYMLINK_TOO_LONG', `${path}: symlink target is ${node.target.length} bytes; the kernel takes at most ${PATH_MAX}`,
        'shorten the target', { path, length: node.target.length });
    }
  }
  if (node.type === 'file') {
    const size = nodeSize(node);
    if (size > FIELD_MAX) {
      throw usageError('CPIO_FILE_TOO_LARGE', `${path} is ${size} bytes; a newc cpio entry holds at most ${FIELD_MAX} bytes (4 GiB - 1)`,
        'leave the file out of the initramfs, or build an ext2 image instead (--format ext2)', { path, size, max: FIELD_MAX });
    }
  }
}
