/**
 * Layer excludes (src/tree/exclude.ts) against rsync itself, whose --exclude
 * rules they follow: the same host tree is copied by `rsync -a --exclude ...`
 * and imported by importDir with the same patterns, and the two path lists
 * must be equal. Plus the pattern errors and the tar importer's use.
 */
import { spawnSync } from 'node:child_process';
import { linkSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_EXCLUDES, compileExcludes } from '../../src/tree/exclude.ts';
import { importDir } from '../../src/tree/import-dir.ts';
import { importTar } from '../../src/tree/tar-import.ts';
import { newTree, walk, type Tree } from '../../src/tree/tree.ts';
import { MkrootfsError } from '../../src/errors.ts';

const FILES = [
  '.git/HEAD', '.git/objects/ab/cd', 'src/.git/config', 'a.o', 'src/b.o', 'src/deep/c.o', 'notes.txt~', 'src/x~/inside',
  'etc/ssh/host_key', 'etc/ssh/host_key.pub', 'etc/ssh/sub/host_key', 'etc/passwd', '.empty', 'var/log/.empty', 'CVS/Root',
  'build/out', 'src/build/out', 'cache/f', 'cache2', 'data/[x]', 'q1', 'q12', 'docs/a.md', 'docs/sub/b.md', 'usr/share/doc/README',
  '.svn/entries', '.hg/store', '.bzr/branch', 'lib/modules/.svnkeep',
];
const DIRS_ONLY = ['var/empty', 'cachedir/'];

function hostTree(): string {
  const root = mkdtempSync(join(tmpdir(), 'mkrootfs-exclude-'));
  for (const f of FILES) {
    mkdirSync(join(root, f, '..'), { recursive: true });
    writeFileSync(join(root, f), f);
  }
  for (const d of DIRS_ONLY) mkdirSync(join(root, d), { recursive: true });
  return root;
}

function treePaths(tree: Tree): string[] {
  const out: string[] = [];
  walk(tree, (p) => { if (p !== '/') out.push(p.slice(1)); });
  return out.sort();
}

function rsyncPaths(src: string, patterns: readonly string[]): string[] {
  const dst = mkdtempSync(join(tmpdir(), 'mkrootfs-rsync-'));
  const r = spawnSync('rsync', ['-a', ...patterns.flatMap((p) => ['--exclude', p]), `${src}/`, `${dst}/`], { encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  const list = spawnSync('find', ['.', '-mindepth', '1'], { cwd: dst, encoding: 'utf8' });
  return list.stdout.split('\n').filter(Boolean).map((l) => l.slice(2)).sort();
}

async function importedPaths(src: string, patterns: readonly string[]): Promise<string[]> {
  const tree = newTree();
  await importDir({ tree, hostPath: src, exclude: compileExcludes(patterns, 'test') });
  return treePaths(tree);
}

describe('layer excludes follow rsync --exclude', () => {
  const src = hostTree();
  const cases: [string, string[]][] = [
    ['Buildroot\'s default', [...DEFAULT_EXCLUDES]],
    ['a name at any depth', ['*.o', 'build']],
    ['anchored paths', ['/build', '/etc/ssh/*_key', '/usr/share/doc/']],
    ['paths without a leading slash match at any depth', ['ssh/*_key', 'build/out', 'sub/b.md', 'share/doc/']],
    ['directories only (trailing slash)', ['cache/', 'cache2/', 'cachedir/']],
    ['** crosses directories', ['docs/**/*.md', 'src/**', '/lib**keep']],
    ['? and sets', ['q?', 'host_key.pu[a-c]', '[!.e]*~']],
    ['escapes', ['data/\\[x\\]']],
    ['nothing', []],
  ];
  it.each(cases)('%s', async (_what, patterns) => {
    const want = rsyncPaths(src, patterns);
    const got = await importedPaths(src, patterns);
    expect(got).toEqual(want);
    if (patterns.length > 0) expect(got.length).toBeLessThan(rsyncPaths(src, []).length);
  });
});

describe('exclude patterns', () => {
  it('a malformed pattern is a usage error naming it and its origin', () => {
    for (const bad of ['[abc', 'x\\', '/']) {
      let err: unknown;
      try { compileExcludes([bad], 'layers[0].exclude'); } catch (e) { err = e; }
      expect(err).toBeInstanceOf(MkrootfsError);
      expect((err as MkrootfsError).code).toBe('BAD_EXCLUDE');
      expect((err as MkrootfsError).message).toContain('layers[0].exclude');
      expect((err as MkrootfsError).exitCode).toBe(2);
    }
  });

  it('tar layers: members under an excluded directory are skipped, even without the directory\'s own member', async () => {
    // GNU tar, members listed without their directories.
    const work = mkdtempSync(join(tmpdir(), 'mkrootfs-extar-'));
    const members = ['repo/.git/HEAD', 'repo/file~', 'repo/file', 'repo/.empty'];
    for (const m of members) { mkdirSync(join(work, m, '..'), { recursive: true }); writeFileSync(join(work, m), m); }
    const made = spawnSync('tar', ['-cf', 't.tar', '--no-recursion', ...members], { cwd: work, encoding: 'utf8' });
    expect(made.status, made.stderr).toBe(0);
    const archive = new Uint8Array(readFileSync(join(work, 't.tar')));
    const tree = newTree();
    const r = await importTar({ tree, archive, dest: '/', owner: 'root', name: 't.tar', exclude: compileExcludes(DEFAULT_EXCLUDES, 'test') });
    expect(treePaths(tree)).toEqual(['repo', 'repo/file']);
    expect(r.excluded).toBe(3);
  });

  it('tar layers: a hard link to an excluded member is an error that says so', async () => {
    const work = mkdtempSync(join(tmpdir(), 'mkrootfs-exlink-'));
    writeFileSync(join(work, 'a.o'), 'obj');
    linkSync(join(work, 'a.o'), join(work, 'b'));
    const made = spawnSync('tar', ['-cf', 't.tar', 'a.o', 'b'], { cwd: work, encoding: 'utf8' });
    expect(made.status, made.stderr).toBe(0);
    const archive = new Uint8Array(readFileSync(join(work, 't.tar')));
    const err = await importTar({ tree: newTree(), archive, dest: '/', owner: 'root', name: 't.tar', exclude: compileExcludes(['*.o'], 'test') }).catch((e: unknown) => e);
    expect((err as MkrootfsError).code).toBe('TAR_LINK_TARGET');
    expect((err as MkrootfsError).message).toContain('"a.o" is excluded from the layer');
  });
});
