/**
 * Tar layers: every entry kind (through tar-stream and GNU tar as independent
 * producers), escapes rejected, and a directory and the same content as a tar
 * (plain, gzip, xz, zstd) giving byte-identical images. Through the build,
 * checked with debugfs: pax owners (the setuid uid-3000000 regression), raw
 * name bytes, sparse members, and refusals of bad pax values and member types.
 * (The reader in detail: test/tree/tar/.)
 */
import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, symlinkSync, utimesSync, writeFileSync, linkSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import * as tarStream from 'tar-stream';
import { importTar } from '../../src/tree/tar-import.ts';
import { lookup, newTree, toBinary, type Tree } from '../../src/tree/tree.ts';
import { MkrootfsError } from '../../src/errors.ts';
import { buildIn, listImage, project, recipeIssues } from './helpers.ts';
import { makeTar as rawTar } from '../tree/tar/make-tar.ts';
import { debugfsBatch, debugfsCat, debugfsDumpAll, debugfsReadlink, debugfsStat, parseLs } from '../helpers/oracles.ts';

interface Entry {
  name: string;
  type?: 'file' | 'directory' | 'link' | 'symlink' | 'character-device' | 'block-device' | 'fifo';
  mode?: number; uid?: number; gid?: number; linkname?: string; devmajor?: number; devminor?: number; mtime?: Date;
  body?: string;
}

async function makeTar(entries: Entry[]): Promise<Uint8Array> {
  const pack = tarStream.pack();
  const chunks: Buffer[] = [];
  const done = new Promise<void>((res, rej) => { pack.on('data', (c: unknown) => { chunks.push(c as Buffer); }); pack.on('end', res); pack.on('error', rej); });
  for (const { body, ...h } of entries) {
    await new Promise<void>((res, rej) => pack.entry({ ...h, mtime: h.mtime ?? new Date(1_500_000_000_000) } as Parameters<typeof pack.entry>[0], body ?? '', (e) => (e ? rej(e) : res())));
  }
  pack.finalize();
  await done;
  return new Uint8Array(Buffer.concat(chunks));
}

async function imported(entries: Entry[], owner: 'root' | 'keep' = 'keep'): Promise<Tree> {
  const tree = newTree();
  await importTar({ tree, archive: await makeTar(entries), dest: '/', owner, name: 'test.tar' });
  return tree;
}

async function rejection(entries: Entry[]): Promise<MkrootfsError> {
  try {
    await imported(entries);
  } catch (err) {
    if (err instanceof MkrootfsError) return err;
    throw err;
  }
  throw new Error('expected the archive to be rejected');
}

describe('importTar', () => {
  it('imports files, dirs, symlinks, hard links, devices, fifos with modes, owners and times', async () => {
    const longName = 'd/' + 'x'.repeat(180) + '/' + 'y'.repeat(120);
    const tree = await imported([
      { name: 'etc/', type: 'directory', mode: 0o750, uid: 3, gid: 4 },
      { name: 'etc/passwd', body: 'root:x:0:0\n', mode: 0o644, uid: 0, gid: 0 },
      { name: 'bin/busybox', body: 'BB', mode: 0o4755, uid: 0, gid: 0 },
      { name: 'bin/ls', type: 'link', linkname: 'bin/busybox' },
      { name: 'bin/sh', type: 'symlink', linkname: 'busybox' },
      { name: 'dev/console', type: 'character-device', devmajor: 5, devminor: 1, mode: 0o600 },
      { name: 'dev/sda', type: 'block-device', devmajor: 8, devminor: 0, mode: 0o660, gid: 6 },
      { name: 'run/fifo', type: 'fifo', mode: 0o600 },
      { name: longName, body: 'long', mode: 0o644 },
      { name: 'caf\u00e9', body: 'utf8 name (pax)', mode: 0o644 },
    ]);
    const etc = lookup(tree, 'etc')!;
    expect([etc.type, etc.perm, etc.uid, etc.gid, etc.mtime]).toEqual(['dir', 0o750, 3, 4, 1_500_000_000]);
    const bb = lookup(tree, 'bin/busybox')!;
    expect(bb.type === 'file' && bb.content.kind === 'bytes' && Buffer.from(bb.content.data).toString()).toBe('BB');
    expect(bb.perm).toBe(0o4755);
    expect(lookup(tree, 'bin/ls')).toBe(bb);
    const sh = lookup(tree, 'bin/sh')!;
    expect(sh.type === 'symlink' && Buffer.from(sh.target).toString()).toBe('busybox');
    expect(lookup(tree, 'dev/console')).toMatchObject({ type: 'char', major: 5, minor: 1, perm: 0o600 });
    expect(lookup(tree, 'dev/sda')).toMatchObject({ type: 'block', major: 8, minor: 0, gid: 6 });
    expect(lookup(tree, 'run/fifo')).toMatchObject({ type: 'fifo', perm: 0o600 });
    expect(lookup(tree, longName)).toMatchObject({ type: 'file' });
    // The UTF-8 name is stored as its bytes.
    expect(lookup(tree, toBinary('caf\u00e9'))).toMatchObject({ type: 'file' });
  });

  it('owner root resets owners; later entries replace earlier ones; a directory entry merges', async () => {
    const tree = await imported([
      { name: 'a/', type: 'directory', mode: 0o700, uid: 9, gid: 9 },
      { name: 'a/f', body: 'first', uid: 9, gid: 9 },
      { name: 'a/f', body: 'second', uid: 9, gid: 9 },
      { name: 'a/', type: 'directory', mode: 0o755, uid: 9, gid: 9 },
    ], 'root');
    const a = lookup(tree, 'a')!;
    expect([a.perm, a.uid, a.gid]).toEqual([0o755, 0, 0]);
    const f = lookup(tree, 'a/f')!;
    expect(f.type === 'file' && f.content.kind === 'bytes' && Buffer.from(f.content.data).toString()).toBe('second');
  });

  it('rejects entries that escape the root', async () => {
    expect((await rejection([{ name: '../evil', body: 'x' }])).code).toBe('TAR_PATH_ESCAPE');
    expect((await rejection([{ name: 'a/../../evil', body: 'x' }])).message).toContain('".." component');
    const through = await rejection([
      { name: 'etc', type: 'symlink', linkname: '/host/etc' },
      { name: 'etc/passwd', body: 'owned' },
    ]);
    expect(through.code).toBe('TAR_PATH_ESCAPE');
    expect(through.message).toContain('goes through the symbolic link "etc"');
    const linkUp = await rejection([{ name: 'x', type: 'link', linkname: '../../etc/shadow' }]);
    expect(linkUp.code).toBe('TAR_PATH_ESCAPE');
    const linkThrough = await rejection([
      { name: 'up', type: 'symlink', linkname: '..' },
      { name: 'x', type: 'link', linkname: 'up/secret' },
    ]);
    expect(linkThrough.code).toBe('TAR_PATH_ESCAPE');
    expect((await rejection([{ name: 'x', type: 'link', linkname: 'missing' }])).code).toBe('TAR_LINK_TARGET');
  });

  it('a leading / is taken relative to the layer destination, like GNU tar', async () => {
    const tree = await imported([{ name: '/etc/motd', body: 'hi' }]);
    expect(lookup(tree, 'etc/motd')).toMatchObject({ type: 'file' });
  });
});

describe('tar layers in recipes', () => {
  /** A host tree with every kind a non-root user can create. */
  function hostTree(root: string): void {
    mkdirSync(join(root, 'etc/init.d'), { recursive: true });
    mkdirSync(join(root, 'bin'));
    mkdirSync(join(root, 'empty'));
    writeFileSync(join(root, 'etc/motd'), 'hello\n');
    writeFileSync(join(root, 'etc/init.d/rcS'), '#!/bin/sh\n');
    chmodSync(join(root, 'etc/init.d/rcS'), 0o755);
    writeFileSync(join(root, 'bin/busybox'), Buffer.alloc(70000, 7));
    chmodSync(join(root, 'bin/busybox'), 0o755);
    linkSync(join(root, 'bin/busybox'), join(root, 'bin/ls'));
    symlinkSync('busybox', join(root, 'bin/sh'));
    symlinkSync('/' + 'long/'.repeat(30) + 'target', join(root, 'bin/slow-link'));
    mkfifoSync(join(root, 'etc/fifo'));
    writeFileSync(join(root, 'n'.repeat(150)), 'long name');
    for (const p of ['etc/motd', 'etc/init.d/rcS', 'bin/busybox', 'etc/fifo', 'n'.repeat(150), 'etc/init.d', 'etc', 'bin', 'empty']) {
      utimesSync(join(root, p), 1_600_000_000, 1_600_000_000);
    }
  }

  function mkfifoSync(p: string): void {
    execFileSync('mkfifo', [p]);
  }

  it('a directory and the same content as tar and tar.gz (GNU tar) give identical image bytes', async () => {
    const dir = project({});
    hostTree(join(dir, 'rootfs'));
    execFileSync('tar', ['--format=gnu', '-C', join(dir, 'rootfs'), '-cf', join(dir, 'rootfs.tar'), '.']);
    writeFileSync(join(dir, 'rootfs.tar.gz'), gzipSync(readFileSync(join(dir, 'rootfs.tar'))));
    execFileSync('tar', ['--format=pax', '-C', join(dir, 'rootfs'), '-cf', join(dir, 'rootfs-pax.tar'), '.']);
    execFileSync('xz', ['-k', '-T1', join(dir, 'rootfs-pax.tar')]);
    execFileSync('zstd', ['-q', '-19', join(dir, 'rootfs.tar')]);
    const recipe = (src: string): string => `layers:\n  - { source: ${src} }\nfiles:\n  - { path: /etc/extra, content: "x" }\n`;
    const shas: string[] = [];
    for (const src of ['rootfs', 'rootfs.tar', 'rootfs.tar.gz', 'rootfs-pax.tar', 'rootfs-pax.tar.xz', 'rootfs.tar.zst']) {
      writeFileSync(join(dir, `${src}.yml`), recipe(src));
      const { summary, img } = await buildIn(dir, { recipe: `${src}.yml`, output: `${src}.img`, env: { SOURCE_DATE_EPOCH: '1700000000' } });
      shas.push(summary.sha256);
      if (src === 'rootfs.tar') {
        const list = listImage(img);
        expect(list.get('/bin/ls')!.ino).toBe(list.get('/bin/busybox')!.ino);
        expect(debugfsReadlink(img, '/bin/sh')).toBe('busybox');
        expect(debugfsStat(img, '/etc/fifo').type).toBe('FIFO');
        expect(debugfsCat(img, '/' + 'n'.repeat(150)).toString()).toBe('long name');
        expect(debugfsStat(img, '/etc/motd').mtime).toBe(1_600_000_000);
      }
    }
    expect(new Set(shas).size).toBe(1);
  });

  it('an escaping archive fails the build with the layer position', async () => {
    const dir = project({ 'recipe.yml': 'hostname: x\nlayers:\n  - source: evil.tar\n' });
    writeFileSync(join(dir, 'evil.tar'), await makeTar([{ name: '../../etc/passwd', body: 'x' }]));
    await expect(buildIn(dir)).rejects.toMatchObject({
      issues: [expect.objectContaining({ code: 'TAR_PATH_ESCAPE', pos: { file: 'recipe.yml', line: 3, col: 13 } })],
    });
  });

  function python(dir: string, file: string, script: string): void {
    execFileSync('python3', ['-c', `import tarfile, io\ndef add(t, name, data=b'', **kw):\n    ti = tarfile.TarInfo(name); ti.size = len(data)\n    for k, v in kw.items(): setattr(ti, k, v)\n    t.addfile(ti, io.BytesIO(data))\nwith tarfile.open(${JSON.stringify(join(dir, file))}, 'w', format=tarfile.PAX_FORMAT, encoding='utf-8', errors='surrogateescape') as t:\n${script}`]);
  }

  it('owner: keep keeps pax uid/gid: a setuid file of uid 3000000 is not made setuid root', async () => {
    const dir = project({ 'recipe.yml': 'layers:\n  - { source: suid.tar, owner: keep }\n' });
    python(dir, 'suid.tar', `    add(t, 'usr/bin/evil', b'#!/bin/sh\\n', uid=3000000, gid=3000001, mode=0o4755, uname='mallory', mtime=900000000.5)`);
    const { img } = await buildIn(dir);
    expect(debugfsStat(img, '/usr/bin/evil')).toMatchObject({ uid: 3000000, gid: 3000001, perm: 0o4755, mtime: 900000000 });
  });

  it('owner: keep maps pax uname/gname to the image\'s users and groups; unknown names keep the numeric ids', async () => {
    const dir = project({ 'recipe.yml': [
      'users: [{ name: alice, uid: 2000, gid: 2000 }]',
      'groups: [{ name: alice, gid: 2000 }, { name: staff, gid: 50 }]',
      'layers:',
      '  - { source: owners.tar, owner: keep }',
      '',
    ].join('\n') });
    python(dir, 'owners.tar', [
      `    add(t, 'home/alice/a', b'a', uid=1000, gid=1000, uname='alice', gname='staff')`,
      `    add(t, 'home/alice/b', b'b', uid=1001, gid=1002, uname='bob', gname='bobs')`,
    ].join('\n'));
    const { img } = await buildIn(dir);
    expect(debugfsStat(img, '/home/alice/a')).toMatchObject({ uid: 2000, gid: 50 });
    expect(debugfsStat(img, '/home/alice/b')).toMatchObject({ uid: 1001, gid: 1002 });
  });

  it('names keep their bytes (pax hdrcharset=BINARY)', async () => {
    const dir = project({ 'recipe.yml': 'layers:\n  - source: names.tar\n' });
    python(dir, 'names.tar', `    add(t, 'caf\\udce9/\\udcff-\\u00e9', b'raw')`);
    const { img } = await buildIn(dir);
    // debugfs gets these requests on stdin (argv would re-encode the bytes as UTF-8).
    const [ls] = debugfsBatch(img, ['ls -p "/caf\xe9"']);
    expect(parseLs(ls!).map((e) => e.name)).toContain('\xff-\xc3\xa9');
    expect(debugfsDumpAll(img, ['/caf\xe9/\xff-\xc3\xa9'])[0]!.toString()).toBe('raw');
  });

  it('GNU and pax sparse members become sparse files with the right contents', async () => {
    const dir = project({});
    mkdirSync(join(dir, 'src'));
    const size = 8 << 20;
    const content = Buffer.alloc(size);
    content.write('start', 0);
    content.write('middle', 3 << 20);
    content.write('end', size - 3);
    writeFileSync(join(dir, 'src/disk.img'), '');
    execFileSync('python3', ['-c', `f = open(${JSON.stringify(join(dir, 'src/disk.img'))}, 'r+b'); f.truncate(${size})\nfor at, b in ((0, b'start'), (${3 << 20}, b'middle'), (${size - 3}, b'end')): f.seek(at); f.write(b)`]);
    for (const [file, args] of [['gnu.tar', ['--format=gnu']], ['pax0.tar', ['--format=pax', '--sparse-version=0.0']], ['pax1.tar', ['--format=pax', '--sparse-version=1.0']]] as const) {
      execFileSync('tar', [...args, '--sparse', '-C', join(dir, 'src'), '-cf', join(dir, file), 'disk.img']);
      writeFileSync(join(dir, `${file}.yml`), `layers:\n  - source: ${file}\n`);
      const { img } = await buildIn(dir, { recipe: `${file}.yml`, output: `${file}.img` });
      expect(debugfsCat(img, '/disk.img').equals(content)).toBe(true);
      const st = debugfsStat(img, '/disk.img');
      expect(st.size).toBe(size);
      expect(st.blockcount * 512).toBeLessThan(64 << 10);
    }
  });

  it('bad pax values and unsupported member types fail the build at the layer (exit 2)', async () => {
    const dir = project({ 'recipe.yml': 'hostname: x\nlayers:\n  - source: bad.tar\n' });
    writeFileSync(join(dir, 'bad.tar'), rawTar([{ name: 'etc/shadow', pax: [['uid', '-1']] }]));
    const bad = await recipeIssues(() => buildIn(dir));
    expect(bad.exitCode).toBe(2);
    expect(bad.issues).toEqual([expect.objectContaining({ code: 'TAR_BAD_PAX_VALUE', pos: { file: 'recipe.yml', line: 3, col: 13 } })]);
    expect(bad.issues[0]!.message).toContain('entry "etc/shadow": pax uid="-1"');
    writeFileSync(join(dir, 'bad.tar'), rawTar([{ name: 'vol', type: 'V' }]));
    const unknown = await recipeIssues(() => buildIn(dir));
    expect(unknown.issues).toEqual([expect.objectContaining({ code: 'TAR_UNSUPPORTED', message: expect.stringContaining('entry "vol": a volume label (V) cannot be imported') })]);
  });

  it('a layer\'s maxRatio lets a trusted, very compressible archive through; the default refuses it', async () => {
    const dir = project({});
    writeFileSync(join(dir, 'zeros.tar.gz'), gzipSync(rawTar([{ name: 'zeros.img', body: new Uint8Array(80 << 20) }]), { level: 9 }));
    writeFileSync(join(dir, 'recipe.yml'), 'layers:\n  - source: zeros.tar.gz\n');
    const refused = await recipeIssues(() => buildIn(dir));
    expect(refused.issues).toEqual([expect.objectContaining({ code: 'TAR_EXPANSION_LIMIT', pos: { file: 'recipe.yml', line: 2, col: 13 } })]);
    writeFileSync(join(dir, 'recipe.yml'), 'layers:\n  - { source: zeros.tar.gz, maxRatio: 2000 }\n');
    const { img } = await buildIn(dir);
    expect(debugfsStat(img, '/zeros.img')).toMatchObject({ size: 80 << 20, blockcount: 0 });
  });
});

