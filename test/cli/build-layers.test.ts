/**
 * `mkrootfs build` as genext2fs and Buildroot users expect it: repeated
 * --from-dir layers (later over earlier, the recipe layers' rules), layer
 * excludes on the command line and in recipes, `-o -` streaming the image to
 * stdout, and one summary shape for recipe and --from-dir builds. The images
 * are read back with debugfs and checked with e2fsck -fn.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, mkdirSync, openSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { debugfsCat, debugfsLs, debugfsStat, e2fsckClean } from '../helpers/oracles.ts';
import { tempDir } from '../ext2/fixtures.ts';
import { runCli, type CliRun } from '../helpers/cli.ts';

const dir = tempDir('mkrootfs-layers-');
const BIN = resolve('bin/mkrootfs.js');
const EPOCH = { SOURCE_DATE_EPOCH: '1700000000' };

const cli = (args: string[], opts: { env?: Record<string, string>; tty?: boolean } = {}): Promise<CliRun> =>
  runCli(args, dir, { ...EPOCH, ...opts.env }, { ttyStdout: opts.tty });

/** Writes `files` (path → content; a path ending in "/" is a directory) under dir/name. */
function tree(name: string, files: Record<string, string>): string {
  const root = join(dir, name);
  mkdirSync(root, { recursive: true });
  for (const [p, text] of Object.entries(files)) {
    if (p.endsWith('/')) { mkdirSync(join(root, p), { recursive: true }); continue; }
    mkdirSync(join(root, p, '..'), { recursive: true });
    writeFileSync(join(root, p), text);
  }
  return root;
}

const names = (img: string, path: string) => debugfsLs(img, path).map((e) => e.name).filter((n) => n !== '.' && n !== '..').sort();
const sha = (p: string) => createHash('sha256').update(readFileSync(p)).digest('hex');
const typeOf = (img: string, path: string) => debugfsStat(img, path).type;

// Layer A, then B over it: B's file replaces A's directory, B's directory replaces A's file, directories merge.
const A = { 'etc/hostname': 'a\n', 'etc/conf/inside': 'gone\n', 'bin/tool': 'file in a\n', 'share/a': 'a\n' };
const B = { 'etc/hostname': 'b\n', 'etc/conf': 'now a file\n', 'bin/tool/x': 'dir in b\n', 'share/b': 'b\n' };

describe('repeated --from-dir DIR[:DEST]', () => {
  it('layers in order, later over earlier, with DEST; the same image as the recipe with the same layers', async () => {
    tree('la', A);
    tree('lb', B);
    const r = await cli(['build', '--from-dir', 'la', '--from-dir', 'lb', '--from-dir', 'la:/opt/a', '-o', 'layers.img', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const img = join(dir, 'layers.img');
    e2fsckClean(img);
    expect(debugfsCat(img, '/etc/hostname').toString()).toBe('b\n');
    expect(typeOf(img, '/etc/conf')).toBe('regular');
    expect(debugfsCat(img, '/etc/conf').toString()).toBe('now a file\n');
    expect(typeOf(img, '/bin/tool')).toBe('directory');
    expect(debugfsCat(img, '/bin/tool/x').toString()).toBe('dir in b\n');
    expect(names(img, '/share')).toEqual(['a', 'b']);
    expect(names(img, '/opt/a')).toEqual(['bin', 'etc', 'share']);
    expect(debugfsCat(img, '/opt/a/etc/conf/inside').toString()).toBe('gone\n');

    // Recipe layers use the same importer: the same layers give the same file tree.
    writeFileSync(join(dir, 'layers.yml'), 'layers:\n  - source: la\n  - source: lb\n  - { source: la, dest: /opt/a }\n');
    const rr = await cli(['build', 'layers.yml', '-o', 'layers-recipe.img']);
    expect(rr.code, rr.stderr).toBe(0);
    const rimg = join(dir, 'layers-recipe.img');
    for (const p of ['/', '/etc', '/bin/tool', '/share', '/opt/a', '/opt/a/etc/conf']) expect(names(rimg, p), p).toEqual(names(img, p));
    for (const p of ['/etc/hostname', '/etc/conf', '/bin/tool/x', '/opt/a/bin/tool']) expect(debugfsCat(rimg, p).toString(), p).toBe(debugfsCat(img, p).toString());
  });

  it('a layer whose DEST is a file of an earlier layer is a usage error naming it', async () => {
    tree('lc', { 'opt': 'a file\n' });
    tree('ld', { 'x': 'x\n' });
    const r = await cli(['build', '--from-dir', 'lc', '--from-dir', 'ld:/opt', '-o', 'bad.img']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('/opt is a file, not a directory');
    expect(existsSync(join(dir, 'bad.img'))).toBe(false);
  });
});

// A layer with what Buildroot's overlays leave out, and some build junk.
const JUNK = {
  'etc/motd': 'hi\n', 'etc/motd~': 'old\n', '.git/HEAD': 'ref\n', 'src/.svn/entries': 'x\n', 'var/log/.empty': '', '.hg/store': 's\n',
  'usr/lib/a.o': 'obj\n', 'usr/lib/liba.so': 'lib\n', 'usr/share/doc/README': 'doc\n', 'CVS/Root': 'r\n',
};

describe('layer excludes', () => {
  it('--from-dir leaves out VCS directories, .empty and *~ by default; --exclude adds globs; --no-default-excludes keeps them', async () => {
    tree('junk', JUNK);
    const a = await cli(['build', '--from-dir', 'junk', '-o', 'ex-default.img']);
    expect(a.code, a.stderr).toBe(0);
    const img = join(dir, 'ex-default.img');
    e2fsckClean(img);
    expect(names(img, '/')).toEqual(['etc', 'lost+found', 'src', 'usr', 'var']);
    expect(names(img, '/etc')).toEqual(['motd']);
    expect(names(img, '/src')).toEqual([]);
    expect(names(img, '/var/log')).toEqual([]);

    const b = await cli(['build', '--from-dir', 'junk', '--exclude', '*.o', '--exclude', 'share/doc/', '-o', 'ex-more.img']);
    expect(b.code, b.stderr).toBe(0);
    const more = join(dir, 'ex-more.img');
    expect(names(more, '/usr/lib')).toEqual(['liba.so']);
    expect(names(more, '/usr/share')).toEqual([]);
    expect(names(more, '/etc')).toEqual(['motd']);

    const c = await cli(['build', '--from-dir', 'junk', '--no-default-excludes', '-o', 'ex-none.img']);
    expect(c.code, c.stderr).toBe(0);
    const none = join(dir, 'ex-none.img');
    expect(names(none, '/')).toEqual(['.git', '.hg', 'CVS', 'etc', 'lost+found', 'src', 'usr', 'var']);
    expect(names(none, '/etc')).toEqual(['motd', 'motd~']);
    expect(names(none, '/var/log')).toEqual(['.empty']);

    const bad = await cli(['build', '--from-dir', 'junk', '--exclude', '[oops', '-o', 'ex-bad.img']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('BAD_EXCLUDE');
    expect(bad.stderr).toContain('--exclude');
  });

  it('recipe layers: the default for directories and tar archives, an own list replaces it, exclude: [] keeps everything', async () => {
    tree('rjunk', JUNK);
    const tar = spawnSync('tar', ['-cf', join(dir, 'rjunk.tar'), '-C', join(dir, 'rjunk'), '.'], { encoding: 'utf8' });
    expect(tar.status, tar.stderr).toBe(0);
    writeFileSync(join(dir, 'ex.yml'), [
      'layers:',
      '  - { source: rjunk, dest: /default }',
      '  - { source: rjunk.tar, dest: /tar-default }',
      '  - { source: rjunk, dest: /own, exclude: ["*.o", "/usr/share"] }',
      '  - { source: rjunk.tar, dest: /tar-own, exclude: ["*.o", "/usr/share"] }',
      '  - { source: rjunk, dest: /all, exclude: [] }',
      '',
    ].join('\n'));
    const r = await cli(['build', 'ex.yml', '-o', 'ex-recipe.img']);
    expect(r.code, r.stderr).toBe(0);
    const img = join(dir, 'ex-recipe.img');
    e2fsckClean(img);
    for (const d of ['/default', '/tar-default']) {
      expect(names(img, d), d).toEqual(['etc', 'src', 'usr', 'var']);
      expect(names(img, `${d}/etc`)).toEqual(['motd']);
      expect(names(img, `${d}/var/log`)).toEqual([]);
    }
    for (const d of ['/own', '/tar-own']) {
      // The own list replaces the default: .git and motd~ come back.
      expect(names(img, d), d).toEqual(['.git', '.hg', 'CVS', 'etc', 'src', 'usr', 'var']);
      expect(names(img, `${d}/etc`)).toEqual(['motd', 'motd~']);
      expect(names(img, `${d}/usr`)).toEqual(['lib']);
      expect(names(img, `${d}/usr/lib`)).toEqual(['liba.so']);
    }
    expect(names(img, '/all')).toEqual(['.git', '.hg', 'CVS', 'etc', 'src', 'usr', 'var']);
    expect(names(img, '/all/usr/lib')).toEqual(['a.o', 'liba.so']);
  });

  it('a bad pattern in a recipe is an invalid recipe (exit 2) pointing at the line', async () => {
    tree('rj2', { f: 'f\n' });
    writeFileSync(join(dir, 'bad-ex.yml'), 'layers:\n  - source: rj2\n    exclude: ["[x"]\n');
    const r = await cli(['build', 'bad-ex.yml', '-o', 'bad-ex.img']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('BAD_EXCLUDE');
    expect(r.stderr).toContain('bad-ex.yml:3');
  });
});

describe('-o - streams the image to stdout', () => {
  it('--from-dir and recipe builds: the same bytes as a file, e2fsck-clean, the summary on stderr, nothing else on stdout', () => {
    tree('st', { 'etc/hostname': 'stream\n', 'big': 'x'.repeat(300_000), 'zeros': '\0'.repeat(200_000) });
    writeFileSync(join(dir, 'st.yml'), 'layers: [{ source: st }]\nfiles: [{ path: /r, content: "recipe\\n" }]\n');
    const env = { ...process.env, ...EPOCH };
    for (const args of [['--from-dir', 'st'], ['st.yml']]) {
      const file = spawnSync(process.execPath, [BIN, 'build', ...args, '-o', 'st-file.img', '--json'], { cwd: dir, env, encoding: 'utf8' });
      expect(file.status, file.stderr).toBe(0);
      const fileSummary = JSON.parse(file.stdout);
      // stdout redirected into a file, as `> image` does.
      const fd = openSync(join(dir, 'st-redirected.img'), 'w');
      const redirected = spawnSync(process.execPath, [BIN, 'build', ...args, '-o', '-', '--json'], { cwd: dir, env, stdio: ['ignore', fd, 'pipe'], encoding: 'utf8' });
      closeSync(fd);
      expect(redirected.status, redirected.stderr).toBe(0);
      // Through a pipe.
      const piped = spawnSync('sh', ['-c', `"${process.execPath}" "${BIN}" build ${args.join(' ')} -o - | cat > st-piped.img`], { cwd: dir, env, encoding: 'utf8' });
      expect(piped.status, piped.stderr).toBe(0);
      expect(piped.stdout).toBe('');
      expect(piped.stderr).toMatch(/^-: ext2, \d+ bytes, /m);
      for (const name of ['st-redirected.img', 'st-piped.img']) {
        const img = join(dir, name);
        e2fsckClean(img);
        expect(sha(img), `${args[0]} ${name}`).toBe(fileSummary.sha256);
        expect(debugfsCat(img, '/etc/hostname').toString()).toBe('stream\n');
      }
      // --json goes to stderr, with the same digest and path "-".
      const json = JSON.parse(redirected.stderr.slice(redirected.stderr.indexOf('{')));
      expect(json).toMatchObject({ path: '-', format: 'ext2', sha256: fileSummary.sha256, size: fileSummary.size });
      expect(existsSync(join(dir, '-'))).toBe(false);
    }
  });

  it('refuses a terminal on stdout with a clear usage error, and writes nothing', async () => {
    tree('tt', { f: 'f\n' });
    writeFileSync(join(dir, 'tt.yml'), 'layers: [{ source: tt }]\n');
    for (const args of [['--from-dir', 'tt'], ['tt.yml']]) {
      const r = await cli(['build', ...args, '-o', '-'], { tty: true });
      expect(r.code).toBe(2);
      expect(r.raw.length).toBe(0);
      expect(r.stderr).toContain('OUTPUT_IS_TERMINAL');
      expect(r.stderr).toContain('hint: redirect or pipe stdout');
    }
  });
});

describe('one summary shape', () => {
  it('build RECIPE --json and build --from-dir --json have the same fields; the text lines have the same shape', async () => {
    tree('sum', { 'etc/hostname': 'sum\n' });
    writeFileSync(join(dir, 'sum.yml'), 'layers: [{ source: sum }]\n');
    const fromDir = await cli(['build', '--from-dir', 'sum', '-o', 'sum-dir.img', '--json']);
    const recipe = await cli(['build', 'sum.yml', '-o', 'sum-recipe.img', '--json']);
    expect(fromDir.code, fromDir.stderr).toBe(0);
    expect(recipe.code, recipe.stderr).toBe(0);
    const a = JSON.parse(fromDir.stdout);
    const b = JSON.parse(recipe.stdout);
    expect(Object.keys(a)).toEqual(Object.keys(b));
    for (const k of ['path', 'format', 'size', 'blocks', 'inodes', 'sha256', 'uuid']) expect(Object.keys(a)).toContain(k);
    for (const [s, img] of [[a, 'sum-dir.img'], [b, 'sum-recipe.img']] as const) {
      expect(s).toMatchObject({ path: join(dir, img), format: 'ext2', size: readFileSync(join(dir, img)).length, sha256: sha(join(dir, img)) });
      expect(s.uuid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    }
    const line = /^([^:]+): ext2, (\d+) bytes, (\d+) blocks of (\d+) \((\d+) free\), (\d+) inodes \((\d+) free\), uuid ([0-9a-f-]{36}), sha256 ([0-9a-f]{64})\n$/;
    const ta = await cli(['build', '--from-dir', 'sum', '-o', 'sum-dir.img', '--sha256']);
    const tb = await cli(['build', 'sum.yml', '-o', 'sum-recipe.img']);
    expect(ta.stdout).toMatch(line);
    expect(tb.stdout).toMatch(line);
    expect(line.exec(ta.stdout)!.slice(1)).toEqual(['sum-dir.img', String(a.size), String(a.blocks), String(a.blockSize), String(a.freeBlocks), String(a.inodes), String(a.freeInodes), a.uuid, a.sha256]);
    // build --help documents it.
    const help = await cli(['build', '--help']);
    expect(help.stdout).toContain('"path", "format", "size"');
    expect(help.stdout).toContain('--from-dir ./base --from-dir ./overlay');
    expect(help.stdout).toContain('-o - | gzip');
  });
});
