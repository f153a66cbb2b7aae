import { execFileSync } from 'node:child_process';
import * as nodeFs from 'node:fs';
import { chmodSync, linkSync, mkdirSync, symlinkSync, utimesSync, writeFileSync, lstatSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MkrootfsError } from '../../src/errors.ts';
import { writeImageFile } from '../../src/ext2/write-image.ts';
import { importDir, splitDev, type ImportFs } from '../../src/tree/import-dir.ts';
import { lookup, newTree, toBinary } from '../../src/tree/tree.ts';
import { e2fsckClean } from '../helpers/oracles.ts';
import { tempDir } from '../ext2/fixtures.ts';
import { expectImageMatchesTree } from '../ext2/tree-oracle.ts';

const isRoot = process.getuid?.() === 0;
const base = tempDir('mkrootfs-import-');

async function makeHostTree(): Promise<string> {
  const root = join(base, `src-${Math.random().toString(36).slice(2)}`);
  mkdirSync(join(root, 'etc/init.d'), { recursive: true });
  mkdirSync(join(root, 'bin'));
  mkdirSync(join(root, 'dev'));
  writeFileSync(join(root, 'etc/passwd'), 'root:x:0:0::/root:/bin/sh\n');
  writeFileSync(join(root, 'etc/init.d/rcS'), '#!/bin/sh\necho up\n', { mode: 0o755 });
  writeFileSync(join(root, 'bin/busybox'), Buffer.alloc(70_000, 0x5a));
  chmodSync(join(root, 'bin/busybox'), 0o4755);
  linkSync(join(root, 'bin/busybox'), join(root, 'bin/hardlink'));
  symlinkSync('busybox', join(root, 'bin/sh'));
  symlinkSync('/nonexistent/target', join(root, 'bin/dangling'));
  symlinkSync('../etc', join(root, 'bin/to-dir'));
  writeFileSync(Buffer.from(join(root, 'bin/') + '\xff\xfe-raw', 'latin1'), 'non-utf8 name\n');
  execFileSync('mkfifo', [join(root, 'dev/fifo')]);
  await new Promise<void>((res) => { const s = createServer(); s.listen(join(root, 'dev/sock'), () => { s.close(); res(); }); });
  // server.close() unlinks the socket on some platforms; recreate if gone
  try { lstatSync(join(root, 'dev/sock')); } catch {
    await new Promise<void>((res) => { const s = createServer(); s.listen(join(root, 'dev/sock'), () => { s.unref(); res(); }); });
  }
  if (isRoot) {
    execFileSync('mknod', [join(root, 'dev/null'), 'c', '1', '3']);
    execFileSync('mknod', [join(root, 'dev/wide'), 'b', '259', '70000']);
  }
  utimesSync(join(root, 'etc/passwd'), 1_600_000_000, 1_600_000_000);
  return root;
}

describe('importDir', () => {
  it('imports every file type without following symlinks, sharing hard links', async () => {
    const root = await makeHostTree();
    const tree = newTree();
    const s = await importDir({ tree, hostPath: root });
    expect(s.entries).toBeGreaterThan(10);
    const bb = lookup(tree, '/bin/busybox')!;
    expect(lookup(tree, '/bin/hardlink')).toBe(bb);
    expect(bb).toMatchObject({ type: 'file', perm: 0o4755, uid: 0, gid: 0, content: { kind: 'host', size: 70_000 } });
    expect(lookup(tree, '/bin/sh')).toMatchObject({ type: 'symlink', target: new TextEncoder().encode('busybox') });
    expect(lookup(tree, '/bin/dangling')!.type).toBe('symlink');
    expect(lookup(tree, '/bin/to-dir')!.type).toBe('symlink');
    expect(lookup(tree, '/dev/fifo')!.type).toBe('fifo');
    expect(lookup(tree, '/dev/sock')!.type).toBe('socket');
    expect(lookup(tree, '/etc/passwd')!.mtime).toBe(1_600_000_000);
    expect(lookup(tree, '/bin/\xff\xfe-raw')).toMatchObject({ type: 'file', content: { kind: 'bytes' } });
    if (isRoot) {
      expect(lookup(tree, '/dev/null')).toMatchObject({ type: 'char', major: 1, minor: 3 });
      expect(lookup(tree, '/dev/wide')).toMatchObject({ type: 'block', major: 259, minor: 70000 });
    }
  });

  it('builds an e2fsck-clean image that debugfs reads back (hard links, raw names, specials)', async () => {
    const root = await makeHostTree();
    const tree = newTree();
    await importDir({ tree, hostPath: root, owner: { uid: 1000, gid: 1000 } });
    expect(lookup(tree, '/etc/passwd')).toMatchObject({ uid: 1000, gid: 1000 });
    const output = join(base, 'import.img');
    await writeImageFile({ tree, output });
    e2fsckClean(output);
    expectImageMatchesTree(output, tree);
  });

  it('keeps host owners with owner "keep" and imports under a destination', async () => {
    const root = await makeHostTree();
    const tree = newTree();
    await importDir({ tree, hostPath: root, owner: 'keep', dest: '/opt/app' });
    const st = lstatSync(join(root, 'etc/passwd'));
    expect(lookup(tree, '/opt/app/etc/passwd')).toMatchObject({ uid: st.uid, gid: st.gid });
  });

  it('splits dev_t like Linux', () => {
    expect(splitDev(0x0103)).toEqual({ major: 1, minor: 3 });
    // makedev(259, 70000) = (minor & 0xff) | (major << 8 & 0xfff00) | ((minor & ~0xff) << 12)
    expect(splitDev(((70000 & 0xff) | (259 << 8) | ((70000 & ~0xff) << 12)) >>> 0)).toEqual({ major: 259, minor: 70000 });
  });

  it('reports an unreadable directory as an error naming it', async () => {
    const root = await makeHostTree();
    const denying: ImportFs = {
      ...(nodeFs as unknown as ImportFs),
      readdirSync: (p, o) => {
        if (p.toString().endsWith('/etc/init.d')) throw Object.assign(new Error('permission denied'), { code: 'EACCES' });
        return (nodeFs as unknown as ImportFs).readdirSync(p, o);
      },
    };
    const err = await importDir({ tree: newTree(), hostPath: root, fs: denying }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MkrootfsError);
    expect((err as MkrootfsError).code).toBe('HOST_UNREADABLE');
    expect((err as MkrootfsError).message).toContain(join(root, 'etc/init.d'));
    expect((err as MkrootfsError).exitCode).toBe(1);
  });

  it.skipIf(isRoot)('reports a chmod 000 directory (skipped as root: root reads it anyway)', async () => {
    const root = await makeHostTree();
    chmodSync(join(root, 'etc'), 0);
    try {
      await expect(importDir({ tree: newTree(), hostPath: root })).rejects.toMatchObject({ code: 'HOST_UNREADABLE' });
    } finally {
      chmodSync(join(root, 'etc'), 0o755);
    }
  });

  it('rejects a host path that is not a directory', async () => {
    const f = join(base, 'plain-file');
    writeFileSync(f, 'x');
    await expect(importDir({ tree: newTree(), hostPath: f })).rejects.toMatchObject({ code: 'HOST_NOT_A_DIRECTORY', exitCode: 2 });
    await expect(importDir({ tree: newTree(), hostPath: join(base, 'missing') })).rejects.toMatchObject({ code: 'HOST_UNREADABLE' });
  });

  it('names in the tree are the raw bytes of the host names', async () => {
    const root = await makeHostTree();
    const tree = newTree();
    await importDir({ tree, hostPath: root });
    const names = [...(lookup(tree, '/bin') as { entries: Map<string, unknown> }).entries.keys()];
    expect(names).toContain('\xff\xfe-raw');
    expect(names).toContain(toBinary('busybox'));
  });
});
