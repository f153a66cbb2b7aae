import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeImageFile } from '../../src/ext2/write-image.ts';
import { newTree, setNode, walk, type Node, type Tree } from '../../src/tree/tree.ts';
import { e2fsckClean } from '../helpers/oracles.ts';
import { allTypesTree, attrs, tempDir } from './fixtures.ts';

const dir = tempDir();

/** Rebuilds a tree inserting every entry in reverse order (hard links preserved). */
function reversed(tree: Tree): Tree {
  const out = newTree({ ...tree.root });
  const copies = new Map<Node, Node>();
  const paths: [string, Node][] = [];
  walk(tree, (p, n) => { if (p !== '/') paths.push([p, n]); });
  for (const [p, n] of paths.reverse()) {
    if (n.type === 'dir') continue;
    let c = copies.get(n);
    if (!c) { c = { ...n }; copies.set(n, c); }
    setNode(out, p, c, attrs());
  }
  // Directories get their real attributes back after creation.
  for (const [p, n] of paths) {
    if (n.type !== 'dir') continue;
    const parts = p.split('/').filter(Boolean);
    let d = out.root;
    for (const part of parts) {
      let next = d.entries.get(part);
      if (!next) { next = { type: 'dir', entries: new Map(), ...attrs() }; d.entries.set(part, next); }
      d = next as typeof d;
    }
    Object.assign(d, { perm: n.perm, uid: n.uid, gid: n.gid, mtime: n.mtime });
  }
  return out;
}

describe('reproducibility', () => {
  it('gives the same bytes for two builds and for a tree built in another order', async () => {
    const a = await writeImageFile({ tree: allTypesTree(), output: join(dir, 'a.img'), options: { epoch: 1_800_000_000 } });
    const b = await writeImageFile({ tree: allTypesTree(), output: join(dir, 'b.img'), options: { epoch: 1_800_000_000 } });
    const c = await writeImageFile({ tree: reversed(allTypesTree()), output: join(dir, 'c.img'), options: { epoch: 1_800_000_000 } });
    for (const n of ['a', 'b', 'c']) e2fsckClean(join(dir, `${n}.img`));
    expect(b.sha256).toBe(a.sha256);
    expect(c.sha256).toBe(a.sha256);
    expect(c.uuid).toBe(a.uuid);
  });

  it('derives the UUID from the content: a changed file, mode or time changes it', async () => {
    const base = await writeImageFile({ tree: allTypesTree(), output: join(dir, 'u0.img') });
    const t1 = allTypesTree();
    setNode(t1, '/etc/passwd', { type: 'file', content: { kind: 'bytes', data: new TextEncoder().encode('changed\n') }, ...attrs({ perm: 0o644 }) }, attrs());
    const t2 = allTypesTree();
    (t2.root.entries.get('tmp') as Node).perm = 0o777;
    const u1 = await writeImageFile({ tree: t1, output: join(dir, 'u1.img') });
    const u2 = await writeImageFile({ tree: t2, output: join(dir, 'u2.img') });
    const u3 = await writeImageFile({ tree: allTypesTree(), output: join(dir, 'u3.img'), options: { epoch: 1_800_000_000 } });
    for (const n of ['u0', 'u1', 'u2', 'u3']) e2fsckClean(join(dir, `${n}.img`));
    const uuids = new Set([base.uuid, u1.uuid, u2.uuid, u3.uuid]);
    expect(uuids.size).toBe(4);
    expect(base.uuid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });
});
