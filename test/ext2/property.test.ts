/**
 * Property: for random trees (every inode type, random names as raw bytes,
 * owners, modes, hard links, sparse contents) and every block size, the image
 * is e2fsck-clean and debugfs reads back exactly the tree.
 */
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, it } from 'vitest';
import { writeImageFile } from '../../src/ext2/write-image.ts';
import { newTree, setNode, lookup, type FileNode, type Node, type Tree } from '../../src/tree/tree.ts';
import { e2fsckClean } from '../helpers/oracles.ts';
import { tempDir } from './fixtures.ts';
import { expectImageMatchesTree } from './tree-oracle.ts';

const dir = tempDir();

// Name bytes: printable ASCII except '/', '"' and '\' (debugfs quoting), plus high bytes.
const nameByte = fc.oneof(
  fc.integer({ min: 0x21, max: 0x7e }).filter((b) => b !== 0x2f && b !== 0x22 && b !== 0x5c),
  fc.integer({ min: 0x80, max: 0xff }),
);
const name = fc.array(nameByte, { minLength: 1, maxLength: 40 })
  .map((bytes) => String.fromCharCode(...bytes))
  .filter((n) => n !== '.' && n !== '..' && n !== 'lost+found');

const attrs = fc.record({
  perm: fc.integer({ min: 0, max: 0o7777 }),
  uid: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 0xffffffff })),
  gid: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 0xffffffff })),
  mtime: fc.integer({ min: 0, max: 2 ** 33 }),
});

const content = fc.oneof(
  fc.uint8Array({ maxLength: 9000 }).map((data) => ({ kind: 'bytes' as const, data })),
  // Data, then a long hole, then data again.
  fc.tuple(fc.uint8Array({ minLength: 1, maxLength: 100 }), fc.integer({ min: 0, max: 400_000 }), fc.uint8Array({ minLength: 1, maxLength: 3000 }))
    .map(([a, gap, b]) => { const d = new Uint8Array(a.length + gap + b.length); d.set(a); d.set(b, a.length + gap); return { kind: 'bytes' as const, data: d }; }),
  fc.integer({ min: 0, max: 2 ** 33 }).map((size) => ({ kind: 'zero' as const, size })),
);

const leaf: fc.Arbitrary<Node> = fc.oneof(
  fc.tuple(attrs, content).map(([a, c]) => ({ type: 'file' as const, content: c, ...a })),
  fc.tuple(attrs, fc.uint8Array({ minLength: 1, maxLength: 900 }).map((t) => t.map((b) => (b === 0 ? 0x41 : b)))).map(([a, target]) => ({ type: 'symlink' as const, target, ...a })),
  fc.tuple(attrs, fc.constantFrom('char' as const, 'block' as const), fc.integer({ min: 0, max: 4095 }), fc.integer({ min: 0, max: 0xfffff })).map(([a, type, major, minor]) => ({ type, major, minor, ...a })),
  attrs.map((a) => ({ type: 'fifo' as const, ...a })),
  attrs.map((a) => ({ type: 'socket' as const, ...a })),
);

const entry = fc.record({
  dirs: fc.array(name, { maxLength: 3 }),
  name,
  node: leaf,
  dirAttrs: attrs,
  /** Index of an earlier entry to hard-link instead (when it is a file). */
  linkTo: fc.option(fc.nat(), { nil: undefined }),
});

function buildTree(root: { perm: number; uid: number; gid: number; mtime: number }, entries: (typeof entry extends fc.Arbitrary<infer T> ? T : never)[]): Tree {
  const tree = newTree(root);
  const placed: Node[] = [];
  for (const e of entries) {
    const path = '/' + [...e.dirs, e.name].join('/');
    // Skip entries whose parents collide with non-directories.
    let ok = true;
    for (let i = 1; i <= e.dirs.length; i++) {
      const n = lookup(tree, '/' + e.dirs.slice(0, i).join('/'));
      if (n && n.type !== 'dir') ok = false;
    }
    const existing = lookup(tree, path);
    if (!ok || (existing && existing.type === 'dir')) continue;
    let node = e.node;
    if (e.linkTo !== undefined && placed.length > 0) {
      const target = placed[e.linkTo % placed.length]!;
      if (target.type === 'file') node = target as FileNode;
    }
    setNode(tree, path, node, { ...e.dirAttrs, perm: e.dirAttrs.perm | 0o700 });
    placed.push(node);
  }
  return tree;
}

describe('random trees', () => {
  it('are e2fsck-clean and read back identically through debugfs', async () => {
    let n = 0;
    await fc.assert(
      fc.asyncProperty(attrs, fc.array(entry, { maxLength: 40 }), fc.constantFrom(1024 as const, 2048 as const, 4096 as const), async (rootAttrs, entries, blockSize) => {
        const tree = buildTree(rootAttrs, entries);
        const output = join(dir, `p${n++}.img`);
        const symlinkTooLong = (node: Node): boolean => node.type === 'symlink' && node.target.length >= blockSize;
        let bad = false;
        const visit = (d: Node): void => { if (d.type === 'dir') for (const c of d.entries.values()) { if (symlinkTooLong(c)) bad = true; visit(c); } };
        visit(tree.root);
        if (bad) {
          await writeImageFile({ tree, output, options: { blockSize } }).then(
            () => { throw new Error('expected EXT2_SYMLINK_TOO_LONG'); },
            (e: { code?: string }) => { if (e.code !== 'EXT2_SYMLINK_TOO_LONG') throw e; },
          );
          return;
        }
        await writeImageFile({ tree, output, options: { blockSize } });
        e2fsckClean(output);
        expectImageMatchesTree(output, tree);
      }),
      { numRuns: 25, seed: 20261124 },
    );
  }, 300_000);
});
