/**
 * Independent readers of cpio archives: GNU cpio (list, and extract as root
 * into a directory) and bsdtar (libarchive: the archive converted to an
 * mtree manifest, which keeps exact times of every entry, directories and
 * symlinks included — GNU cpio restores neither). The helpers compare what
 * they read with the staging tree the archive was written from.
 *
 * Paths are binary strings (one char per byte), like src/tree/tree.ts.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { lstatSync, readdirSync, readFileSync, readlinkSync, type Stats } from 'node:fs';
import { expect } from 'vitest';
import { walk, type Node, type Tree } from '../../src/tree/tree.ts';

export const isRoot = process.getuid?.() === 0;

function run(cmd: string, args: string[], opts: { cwd?: string; input?: Buffer } = {}): Buffer {
  const r = spawnSync(cmd, args, { cwd: opts.cwd, input: opts.input, maxBuffer: 1 << 30 });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}: ${r.stderr.toString('latin1')}`);
  return r.stdout;
}

/** `cpio -it`: entry names in archive order (binary strings). */
export function gnuCpioNames(archive: string): string[] {
  const out = run('cpio', ['-it', '--quiet', '-F', archive]).toString('latin1');
  return out.split('\n').slice(0, -1);
}

export interface GnuVerboseEntry { modeString: string; nlink: number; uid: number; gid: number; size?: number; major?: number; minor?: number; name: string; target?: string }

/** `cpio -itv --numeric-uid-gid`, one record per entry. */
export function gnuCpioVerbose(archive: string): GnuVerboseEntry[] {
  const out = run('cpio', ['-itv', '--quiet', '--numeric-uid-gid', '-F', archive]).toString('latin1');
  return out.split('\n').slice(0, -1).map((line) => {
    // e.g. "crw-rw-rw-   1 0        0          1,   3 Nov 14  2023 dev/null"
    const m = /^(\S{10})\s+(\d+)\s+(\d+)\s+(\d+)\s+(?:(\d+),\s*(\d+)|(\d+))\s+\S+\s+\d+\s+\S+\s([\s\S]*)$/.exec(line);
    if (!m) throw new Error(`unexpected cpio -itv line: ${line}`);
    const e: GnuVerboseEntry = { modeString: m[1]!, nlink: Number(m[2]), uid: Number(m[3]), gid: Number(m[4]), name: m[8]! };
    if (m[5] !== undefined) { e.major = Number(m[5]); e.minor = Number(m[6]); } else e.size = Number(m[7]);
    if (e.modeString.startsWith('l')) {
      const arrow = e.name.indexOf(' -> ');
      e.target = e.name.slice(arrow + 4);
      e.name = e.name.slice(0, arrow);
    }
    return e;
  });
}

/** Extracts with GNU cpio as the brief's contract says: `cpio -idm --no-absolute-filenames` (owners kept when root). */
export function gnuCpioExtract(archive: string, dir: string): void {
  run('cpio', ['-idm', '--quiet', '--no-absolute-filenames', '-F', archive], { cwd: dir });
}

export interface MtreeEntry { path: string; keys: Map<string, string> }

/** bsdtar reads the archive and writes an mtree manifest of it. */
export function bsdtarMtree(archive: string): MtreeEntry[] {
  const out = run('bsdtar', ['-cf', '-', '--format=mtree', '--options=!all,type,mode,uid,gid,time,size,link,nlink,device,sha256', `@${archive}`]).toString('latin1');
  const entries: MtreeEntry[] = [];
  for (const line of out.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const [rawPath, ...kv] = line.split(' ');
    const keys = new Map(kv.map((p) => { const eq = p.indexOf('='); return [p.slice(0, eq), unescapeMtree(p.slice(eq + 1))] as [string, string]; }));
    entries.push({ path: unescapeMtree(rawPath!), keys });
  }
  return entries;
}

function unescapeMtree(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
}

function sha(b: Uint8Array): string {
  return createHash('sha256').update(b).digest('hex');
}

function content(node: Node): Uint8Array {
  if (node.type !== 'file') throw new Error('not a file');
  const c = node.content;
  if (c.kind === 'bytes') return c.data;
  if (c.kind === 'zero') return new Uint8Array(c.size);
  return readFileSync(c.path);
}

/** The tree's entries in walk order, with archive names ('.' for the root). */
export function treeEntries(tree: Tree): { path: string; name: string; node: Node }[] {
  const out: { path: string; name: string; node: Node }[] = [];
  walk(tree, (path, node) => out.push({ path, name: path === '/' ? '.' : path.slice(1), node }));
  return out;
}

const clamp = (t: number, epoch?: number): number => (epoch === undefined ? t : Math.min(t, epoch));

const hostType = (st: Stats): Node['type'] => st.isFile() ? 'file' : st.isDirectory() ? 'dir' : st.isSymbolicLink() ? 'symlink'
  : st.isCharacterDevice() ? 'char' : st.isBlockDevice() ? 'block' : st.isFIFO() ? 'fifo' : 'socket';

/** Linux's dev_t split (glibc gnu_dev_major/minor). */
const major = (rdev: number): number => Number((BigInt(rdev) >> 8n) & 0xfffn) | Number((BigInt(rdev) >> 32n) & ~0xfffn);
const minor = (rdev: number): number => Number(BigInt(rdev) & 0xffn) | Number((BigInt(rdev) >> 12n) & ~0xffn);

/**
 * Compares a directory GNU cpio extracted with the tree: the same set of paths,
 * and for each its type, permissions, owner, size and content, symlink
 * target, device numbers, link count and hard-link identity (one host inode
 * per tree node). mtimes of regular files, devices, fifos and sockets are
 * compared; GNU cpio sets no symlink times and sets a directory's time before
 * creating its contents (see bsdtarMtree for those).
 */
export function expectExtractedMatchesTree(dir: string, tree: Tree, opts: { epoch?: number } = {}): void {
  const expected = treeEntries(tree);
  const onDisk: string[] = [];
  const list = (rel: string): void => {
    for (const name of readdirSync(Buffer.from(dir + rel, 'latin1'), { encoding: 'buffer' })) {
      const p = `${rel}/${name.toString('latin1')}`;
      onDisk.push(p);
      if (lstatSync(Buffer.from(dir + p, 'latin1')).isDirectory()) list(p);
    }
  };
  list('');
  expect(onDisk.sort(), 'paths extracted').toEqual(expected.filter((e) => e.path !== '/').map((e) => e.path).sort());
  const links = new Map<Node, number>();
  for (const e of expected) links.set(e.node, (links.get(e.node) ?? 0) + 1);
  const inoOf = new Map<Node, number>();
  const nodeOf = new Map<number, Node>();
  for (const { path, node } of expected) {
    const host = Buffer.from(path === '/' ? dir : dir + path, 'latin1');
    const st = lstatSync(host);
    const where = `at ${JSON.stringify(path)}`;
    expect(hostType(st), where).toBe(node.type);
    if (node.type !== 'symlink') expect(st.mode & 0o7777, where).toBe(node.perm);
    expect([st.uid, st.gid], `${where} owner`).toEqual([node.uid, node.gid]);
    if (node.type !== 'dir' && node.type !== 'symlink') expect(Math.floor(st.mtimeMs / 1000), `${where} mtime`).toBe(clamp(node.mtime, opts.epoch));
    if (path !== '/') {
      const seen = inoOf.get(node);
      if (seen !== undefined) expect(st.ino, `${where} is a hard link`).toBe(seen);
      else expect(nodeOf.has(st.ino), `${where} has its own inode`).toBe(false);
      inoOf.set(node, st.ino);
      nodeOf.set(st.ino, node);
    }
    if (node.type === 'dir') {
      let subdirs = 0;
      for (const c of node.entries.values()) if (c.type === 'dir') subdirs++;
      expect(st.nlink, `${where} links`).toBe(2 + subdirs);
    } else {
      expect(st.nlink, `${where} links`).toBe(links.get(node));
    }
    if (node.type === 'file') {
      const want = content(node);
      expect(st.size, `${where} size`).toBe(want.length);
      expect(sha(readFileSync(host)), `${where} content`).toBe(sha(want));
    }
    if (node.type === 'symlink') expect(readlinkSync(host, { encoding: 'buffer' }).toString('latin1'), `${where} target`).toBe(Buffer.from(node.target).toString('latin1'));
    if (node.type === 'char' || node.type === 'block') expect([major(st.rdev), minor(st.rdev)], `${where} rdev`).toEqual([node.major, node.minor]);
  }
}

const MTREE_TYPE: Record<Node['type'], string> = { file: 'file', dir: 'dir', symlink: 'link', char: 'char', block: 'block', fifo: 'fifo', socket: 'socket' };

/**
 * Compares bsdtar's reading of the archive with the tree: every entry once,
 * with its type, mode, owner, exact mtime (all types, the root too), device
 * numbers, symlink target, and for regular files size and SHA-256 — the data
 * of a hard-linked file on the first of its names, size 0 on the others.
 */
export function expectMtreeMatchesTree(entries: MtreeEntry[], tree: Tree, opts: { epoch?: number } = {}): void {
  const want = treeEntries(tree);
  const byPath = new Map(entries.map((e) => [e.path, e.keys]));
  expect(entries.length, 'one mtree entry per tree entry').toBe(want.length);
  const dataSeen = new Set<Node>();
  const links = new Map<Node, number>();
  for (const e of want) links.set(e.node, (links.get(e.node) ?? 0) + 1);
  for (const { path, node } of want) {
    const k = byPath.get(path === '/' ? '.' : `.${path}`);
    const where = `at ${JSON.stringify(path)}`;
    expect(k, where).toBeDefined();
    expect(k!.get('type'), where).toBe(MTREE_TYPE[node.type]);
    expect(parseInt(k!.get('mode')!, 8), `${where} mode`).toBe(node.perm);
    expect([Number(k!.get('uid')), Number(k!.get('gid'))], `${where} owner`).toEqual([node.uid, node.gid]);
    expect(k!.get('time'), `${where} mtime`).toBe(`${clamp(node.mtime, opts.epoch)}.0`);
    if (node.type === 'symlink') expect(k!.get('link'), `${where} target`).toBe(Buffer.from(node.target).toString('latin1'));
    if (node.type === 'char' || node.type === 'block') expect(k!.get('device'), `${where} rdev`).toBe(`native,${node.major},${node.minor}`);
    if (node.type === 'file') {
      const n = links.get(node)!;
      if (n > 1) expect(Number(k!.get('nlink')), `${where} nlink`).toBe(n);
      const first = !dataSeen.has(node);
      dataSeen.add(node);
      const data = first ? content(node) : new Uint8Array(0);
      expect(Number(k!.get('size')), `${where} size`).toBe(data.length);
      expect(k!.get('sha256digest'), `${where} content`).toBe(sha(data));
    }
  }
}
