/**
 * Compares a staging tree with an image through debugfs (an independent
 * reader): every path's type, permissions, owner, size, mtime, link count,
 * device numbers, symlink target and content hash, and that hard links share
 * an inode.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { expect } from 'vitest';
import { walk, type Node, type Tree } from '../../src/tree/tree.ts';
import { debugfsDumpAll, debugfsReadlink, debugfsStats, type DebugfsStat } from '../helpers/oracles.ts';

const DEBUGFS_TYPE: Record<Node['type'], string> = {
  file: 'regular', dir: 'directory', symlink: 'symlink', char: 'character special', block: 'block special', fifo: 'FIFO', socket: 'socket',
};

export function sha(b: Uint8Array): string {
  return createHash('sha256').update(b).digest('hex');
}

export function expectedContent(node: Node): Uint8Array {
  if (node.type !== 'file') throw new Error('not a file');
  const c = node.content;
  if (c.kind === 'bytes') return c.data;
  if (c.kind === 'zero') return new Uint8Array(c.size);
  return readFileSync(c.path);
}

export interface CompareOptions { epoch?: number; contents?: boolean }

/** Asserts the image holds exactly the tree (plus lost+found). Returns the stats by path. */
export function expectImageMatchesTree(img: string, tree: Tree, opts: CompareOptions = {}): Map<string, DebugfsStat> {
  const paths: string[] = [];
  const nodes: Node[] = [];
  const links = new Map<Node, number>();
  walk(tree, (path, node) => {
    paths.push(path);
    nodes.push(node);
    links.set(node, (links.get(node) ?? 0) + 1);
  });
  const stats = debugfsStats(img, paths);
  const byPath = new Map<string, DebugfsStat>();
  const inoOf = new Map<Node, number>();
  const files: { path: string; node: Node }[] = [];
  paths.forEach((path, i) => {
    const node = nodes[i]!;
    const st = stats[i]!;
    byPath.set(path, st);
    const where = `at ${JSON.stringify(path)}`;
    expect(st.type, where).toBe(DEBUGFS_TYPE[node.type]);
    expect(st.perm, where).toBe(node.perm);
    expect(st.uid, where).toBe(node.uid);
    expect(st.gid, where).toBe(node.gid);
    expect(st.extraIsize, where).toBe(32);
    const mtime = opts.epoch !== undefined ? Math.min(node.mtime, opts.epoch) : node.mtime;
    expect(st.mtime, where).toBe(mtime >>> 0);
    const seen = inoOf.get(node);
    if (seen !== undefined) expect(st.ino, `${where} is a hard link`).toBe(seen);
    inoOf.set(node, st.ino);
    if (node.type === 'dir') {
      let subdirs = 0;
      for (const c of node.entries.values()) if (c.type === 'dir') subdirs++;
      if (path === '/' && !node.entries.has('lost+found')) subdirs++;
      expect(st.links, where).toBe(2 + subdirs);
    } else {
      expect(st.links, where).toBe(links.get(node));
    }
    if (node.type === 'char' || node.type === 'block') {
      expect([st.major, st.minor], where).toEqual([node.major, node.minor]);
    }
    if (node.type === 'symlink') {
      expect(st.size, where).toBe(node.target.length);
      const target = st.fastLink ?? debugfsReadlink(img, path);
      expect(target, where).toBe(Buffer.from(node.target).toString('latin1'));
      expect(st.fastLink !== undefined, `${where} fast symlink`).toBe(node.target.length < 60);
    }
    if (node.type === 'file') {
      const size = node.content.kind === 'bytes' ? node.content.data.length : node.content.size;
      expect(st.size, where).toBe(size);
      if (seen === undefined) files.push({ path, node });
    }
  });
  if (opts.contents !== false) {
    const small = files.filter((f) => (f.node.type === 'file' && f.node.content.kind !== 'zero'));
    const dumped = debugfsDumpAll(img, small.map((f) => f.path));
    small.forEach((f, i) => expect(sha(dumped[i]!), `content of ${JSON.stringify(f.path)}`).toBe(sha(expectedContent(f.node))));
  }
  return byPath;
}
