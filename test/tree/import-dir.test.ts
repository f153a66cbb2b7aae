import { execFileSync, spawnSync } from 'node:child_process';
import * as nodeFs from 'node:fs';
import { chmodSync, linkSync, mkdirSync, symlinkSync, utimesSync, writeFileSync, lstatSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MkrootfsError } from '../../src/errors.ts';
import { writeImageFile } from '../../src/ext2/write-image.ts';
import { importDir, splitDev, type ImportFs } from '../../src/tree/import-dir.ts';
import { lookup, newTree, toBinary } from '../../src/tree/tree.ts';
import { debugfsCat, e2fsckClean } from '../helpers/oracles.ts';
import { DirHandles } from '../../src/tree/dir-handles.ts';
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

/**
 * Trees deeper than PATH_MAX (issue 11: 150 levels of 40-byte names failed
 * with ENAMETOOLONG from lstat; mke2fs -d handles them). Built and removed
 * relative to open directories, as no path to their bottom fits PATH_MAX.
 */
describe('importDir on trees deeper than PATH_MAX', () => {
  const levelName = (i: number): string => `d${String(i).padStart(3, '0')}${'x'.repeat(36)}`;
  const deepPath = (n: number): string => Array.from({ length: n }, (_, i) => levelName(i)).join('/');

  /**
   * `levels` directories of 40-byte names, each with a file and a symlink;
   * every 10th a FIFO and a hard link to a file near the top (one inode found
   * through several open directories); at the bottom a non-UTF-8 name and a
   * 3 MiB file (read by the writer in chunks, not cached).
   */
  function makeDeepTree(root: string, levels: number): void {
    mkdirSync(root);
    const O_DIR = nodeFs.constants.O_RDONLY | nodeFs.constants.O_DIRECTORY;
    let fd = nodeFs.openSync(root, O_DIR);
    const at = (name: string): string => `/proc/self/fd/${fd}/${name}`;
    let shared: string | undefined;
    let sharedFd: number | undefined;
    try {
      for (let i = 0; i < levels; i++) {
        mkdirSync(at(levelName(i)));
        const next = nodeFs.openSync(at(levelName(i)), O_DIR);
        if (i === 1) sharedFd = fd; else nodeFs.closeSync(fd);
        fd = next;
        writeFileSync(at('f'), `level ${i}\n`);
        symlinkSync('f', at('link'));
        if (i === 0) { writeFileSync(at('shared'), 'one inode, many names\n'); }
        if (i % 10 === 9) {
          execFileSync('mkfifo', [`/proc/${process.pid}/fd/${fd}/fifo`]); // a child's /proc/self is the child
          shared ??= `/proc/self/fd/${sharedFd}/${levelName(1)}/../shared`;
          linkSync(shared, at('hl'));
        }
      }
      writeFileSync(Buffer.from(at('') + '\xff-raw', 'latin1'), 'raw name\n');
      writeFileSync(at('big'), Buffer.alloc(3 << 20, 0x5a));
    } finally {
      nodeFs.closeSync(fd);
      if (sharedFd !== undefined) nodeFs.closeSync(sharedFd);
    }
  }

  const openFds = (): number => nodeFs.readdirSync('/proc/self/fd').length;

  it('imports and writes a 150-level tree of 40-byte names (6,150-byte paths): e2fsck clean, contents read back', async () => {
    const root = join(base, 'deep-150');
    makeDeepTree(root, 150);
    try {
      const fdsBefore = openFds();
      const tree = newTree();
      const handles = new DirHandles();
      const s = await importDir({ tree, hostPath: root, handles });
      expect(s.entries).toBeGreaterThan(450);
      // Only directories under which files were found stay open: a handful, not one per level.
      expect(handles.size).toBeGreaterThan(0);
      expect(handles.size).toBeLessThanOrEqual(4);
      const bottom = toBinary('/' + deepPath(150));
      expect(lookup(tree, `${bottom}/f`)).toMatchObject({ type: 'file', content: { kind: 'host' } });
      expect(lookup(tree, `${bottom}/\xff-raw`)).toMatchObject({ type: 'file', content: { kind: 'bytes' } });
      expect(lookup(tree, toBinary('/' + deepPath(10)) + '/fifo')!.type).toBe('fifo');
      expect(lookup(tree, `${bottom}/hl`)).toBe(lookup(tree, toBinary('/' + deepPath(1)) + '/shared'));
      const output = join(base, 'deep-150.img');
      await writeImageFile({ tree, output, options: { epoch: 1_700_000_000 } });
      e2fsckClean(output);
      expectImageMatchesTree(output, tree, { epoch: 1_700_000_000 });
      handles.close();
      expect(openFds()).toBe(fdsBefore);
    } finally {
      execFileSync('rm', ['-rf', root]);
    }
  });

  it('without handles, files under deep directories are read during the walk: the same image', async () => {
    const root = join(base, 'deep-nohandles');
    makeDeepTree(root, 120);
    try {
      const fdsBefore = openFds();
      const a = newTree();
      const handles = new DirHandles();
      await importDir({ tree: a, hostPath: root, handles });
      const b = newTree();
      await importDir({ tree: b, hostPath: root });
      expect(openFds()).toBe(fdsBefore + handles.size);
      expect(lookup(b, toBinary('/' + deepPath(120)) + '/f')).toMatchObject({ content: { kind: 'bytes' } });
      // Same content either way (the UUIDs differ: in-memory contents feed the content-derived UUID, host files do not).
      await writeImageFile({ tree: b, output: join(base, 'deep-b.img'), options: { epoch: 1 } });
      e2fsckClean(join(base, 'deep-b.img'));
      expectImageMatchesTree(join(base, 'deep-b.img'), a, { epoch: 1 });
      handles.close();
    } finally {
      execFileSync('rm', ['-rf', root]);
    }
  });

  it('walks a 5,000-level chain of one-letter names (10,000-byte paths), closing every directory it opened', async () => {
    const root = join(base, 'chain');
    mkdirSync(root);
    let fd = nodeFs.openSync(root, nodeFs.constants.O_RDONLY | nodeFs.constants.O_DIRECTORY);
    for (let i = 0; i < 5_000; i++) {
      mkdirSync(`/proc/self/fd/${fd}/d`);
      const next = nodeFs.openSync(`/proc/self/fd/${fd}/d`, nodeFs.constants.O_RDONLY | nodeFs.constants.O_DIRECTORY);
      nodeFs.closeSync(fd);
      fd = next;
    }
    nodeFs.closeSync(fd);
    try {
      const fdsBefore = openFds();
      const tree = newTree();
      const handles = new DirHandles();
      const s = await importDir({ tree, hostPath: root, handles });
      expect(s.entries).toBe(5_000);
      expect(handles.size).toBe(0); // no files: nothing needs to stay open
      expect(openFds()).toBe(fdsBefore);
    } finally {
      execFileSync('rm', ['-rf', root]);
    }
  });

  it('an error deep in the walk closes what it opened', async () => {
    const root = join(base, 'deep-error');
    makeDeepTree(root, 100);
    try {
      const fdsBefore = openFds();
      const failing: ImportFs = {
        ...(nodeFs as unknown as ImportFs),
        readdirSync: (p, o) => {
          if (p.toString().endsWith(levelName(90))) throw Object.assign(new Error('I/O error'), { code: 'EIO' });
          return (nodeFs as unknown as ImportFs).readdirSync(p, o);
        },
      };
      const handles = new DirHandles();
      await expect(importDir({ tree: newTree(), hostPath: root, fs: failing, handles })).rejects.toMatchObject({ code: 'HOST_UNREADABLE' });
      handles.close();
      expect(openFds()).toBe(fdsBefore);
    } finally {
      execFileSync('rm', ['-rf', root]);
    }
  });

  it('build --from-dir on the 150-level tree, as a real process, matches mke2fs -d', () => {
    const root = join(base, 'deep-cli');
    makeDeepTree(root, 150);
    try {
      const env = { ...process.env, MKROOTFS_NO_BUNDLE: '1', SOURCE_DATE_EPOCH: '1700000000' };
      const r = spawnSync(process.execPath, [resolve('bin/mkrootfs.js'), 'build', '--from-dir', root, '-o', join(base, 'deep-cli.img')], { env, encoding: 'utf8' });
      expect(r.stderr).not.toContain('ENAMETOOLONG');
      expect(r.status, r.stderr).toBe(0);
      e2fsckClean(join(base, 'deep-cli.img'));
      execFileSync('mke2fs', ['-q', '-F', '-t', 'ext2', '-d', root, join(base, 'deep-mke2fs.img'), '32M'], { env: { ...process.env, E2FSPROGS_FAKE_TIME: '1700000000' } });
      const bottom = '/' + deepPath(150);
      for (const path of [`${bottom}/f`, `${bottom}/big`, `/${deepPath(75)}/f`]) {
        expect(debugfsCat(join(base, 'deep-cli.img'), path).equals(debugfsCat(join(base, 'deep-mke2fs.img'), path)), path).toBe(true);
      }
      expect(debugfsCat(join(base, 'deep-cli.img'), `${bottom}/f`).toString()).toBe('level 149\n');
    } finally {
      execFileSync('rm', ['-rf', root]);
    }
  });
});
