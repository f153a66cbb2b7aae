/**
 * Each recipe section builds a real image that holds exactly the expected
 * inodes — read back with debugfs, checked with e2fsck -fn (in buildIn).
 */
import { describe, expect, it } from 'vitest';
import { chmodSync, mkdirSync, symlinkSync, writeFileSync, linkSync } from 'node:fs';
import { join } from 'node:path';
import { buildRecipe, listImage, project, buildIn } from './helpers.ts';
import { debugfsCat, debugfsStat, debugfsReadlink } from '../helpers/oracles.ts';

const S_IFMT = 0o170000;
const DIR = 0o040000, REG = 0o100000, LNK = 0o120000, CHR = 0o020000, BLK = 0o060000, FIFO = 0o010000;
const EPOCH = 1000000000;

/** path → "type perm uid:gid" for a compact exact comparison. */
function summary(img: string): Record<string, string> {
  const out: Record<string, string> = {};
  const t: Record<number, string> = { [DIR]: 'd', [REG]: 'f', [LNK]: 'l', [CHR]: 'c', [BLK]: 'b', [FIFO]: 'p' };
  for (const [p, e] of listImage(img)) out[p] = `${t[e.mode & S_IFMT] ?? '?'} ${(e.mode & 0o7777).toString(8).padStart(4, '0')} ${e.uid}:${e.gid}`;
  return out;
}

const text = (img: string, p: string): string => debugfsCat(img, p).toString('utf8');

describe('recipe sections → image inodes', () => {
  it('files: inline content and host sources, string modes, owners by number and by name', async () => {
    const { img } = await buildRecipe([
      'users: [{ name: alice, uid: 1000, home: / }]',
      'groups: [{ name: staff, gid: 50 }]',
      'files:',
      '  - { path: /etc/motd, content: "hello\\n" }',
      '  - { path: /usr/bin/tool, source: tool.bin, mode: "4755", uid: alice, gid: staff }',
      '  - { path: /data/raw, source: sub/raw.txt, uid: 7, gid: 8, mode: "0600" }',
    ].join('\n') + '\n', { 'tool.bin': '\x7fELF-ish', 'sub/raw.txt': 'raw bytes' });
    expect(summary(img)).toEqual({
      '/data': 'd 0755 0:0',
      '/data/raw': 'f 0600 7:8',
      '/etc': 'd 0755 0:0',
      '/etc/group': 'f 0644 0:0',
      '/etc/motd': 'f 0644 0:0',
      '/etc/passwd': 'f 0644 0:0',
      '/etc/shadow': 'f 0600 0:0',
      '/usr': 'd 0755 0:0',
      '/usr/bin': 'd 0755 0:0',
      '/usr/bin/tool': 'f 4755 1000:50',
    });
    expect(text(img, '/etc/motd')).toBe('hello\n');
    expect(text(img, '/usr/bin/tool')).toBe('\x7fELF-ish');
    expect(text(img, '/data/raw')).toBe('raw bytes');
    expect(debugfsStat(img, '/etc/motd').mtime).toBe(EPOCH);
  });

  it('dirs, symlinks, hard links, devices', async () => {
    const { img } = await buildRecipe([
      'dirs:',
      '  - { path: /var/lib/app, mode: "0750", uid: 5, gid: 6 }',
      '  - { path: /tmp, mode: "1777" }',
      'files:',
      '  - { path: /bin/busybox, content: "#!bb\\n", mode: "0755" }',
      'symlinks:',
      '  - { path: /bin/sh, target: busybox }',
      '  - { path: /sbin/init, target: /bin/busybox }',
      'hardlinks:',
      '  - { path: /bin/bb2, target: /bin/busybox }',
      'devices:',
      '  - { path: /dev/console, type: char, major: 5, minor: 1, mode: "0600" }',
      '  - { path: /dev/vda, type: block, major: 254, minor: 0, mode: "0660", gid: 6 }',
      '  - { path: /run/initctl, type: fifo, mode: "0600" }',
    ].join('\n') + '\n');
    expect(summary(img)).toEqual({
      '/bin': 'd 0755 0:0',
      '/bin/bb2': 'f 0755 0:0',
      '/bin/busybox': 'f 0755 0:0',
      '/bin/sh': 'l 0777 0:0',
      '/dev': 'd 0755 0:0',
      '/dev/console': 'c 0600 0:0',
      '/dev/vda': 'b 0660 0:6',
      '/run': 'd 0755 0:0',
      '/run/initctl': 'p 0600 0:0',
      '/sbin': 'd 0755 0:0',
      '/sbin/init': 'l 0777 0:0',
      '/tmp': 'd 1777 0:0',
      '/var': 'd 0755 0:0',
      '/var/lib': 'd 0755 0:0',
      '/var/lib/app': 'd 0750 5:6',
    });
    const list = listImage(img);
    expect(list.get('/bin/bb2')!.ino).toBe(list.get('/bin/busybox')!.ino);
    expect(debugfsStat(img, '/bin/busybox').links).toBe(2);
    expect(debugfsReadlink(img, '/bin/sh')).toBe('busybox');
    expect(debugfsReadlink(img, '/sbin/init')).toBe('/bin/busybox');
    const con = debugfsStat(img, '/dev/console');
    expect([con.major, con.minor]).toEqual([5, 1]);
    const vda = debugfsStat(img, '/dev/vda');
    expect([vda.major, vda.minor]).toEqual([254, 0]);
  });

  it('users and groups: passwd, group, shadow (locked unless given; 0640 root:shadow when a shadow group exists), home dirs', async () => {
    const { img } = await buildRecipe([
      'groups:',
      '  - { name: root, gid: 0 }',
      '  - { name: shadow, gid: 42 }',
      '  - { name: wheel, gid: 10, members: [root] }',
      'users:',
      '  - { name: root, uid: 0, gid: 0, home: /root }',
      '  - { name: bob, uid: 1001, groups: [wheel], password: "$6$salt$hash", shell: /bin/ash, gecos: Bob }',
    ].join('\n') + '\n');
    expect(summary(img)).toEqual({
      '/etc': 'd 0755 0:0',
      '/etc/group': 'f 0644 0:0',
      '/etc/passwd': 'f 0644 0:0',
      '/etc/shadow': 'f 0640 0:42',
      '/root': 'd 0700 0:0',
    });
    expect(text(img, '/etc/passwd')).toBe('root:x:0:0::/root:/bin/sh\nbob:x:1001:1001:Bob:/:/bin/ash\n');
    expect(text(img, '/etc/group')).toBe('root:x:0:\nshadow:x:42:\nwheel:x:10:root,bob\nbob:x:1001:\n');
    expect(text(img, '/etc/shadow')).toBe('root:!::0:99999:7:::\nbob:$6$salt$hash::0:99999:7:::\n');
  });

  it('mounts: /etc/fstab and mount-point directories', async () => {
    const { img } = await buildRecipe([
      'mounts:',
      '  - { device: proc, path: /proc, type: proc, mode: "0555" }',
      '  - { device: tmpfs, path: /run/lock, type: tmpfs, options: "mode=1777,size=1M" }',
      '  - { device: /dev/vdb, path: /data, type: ext2, options: "ro", pass: 2 }',
    ].join('\n') + '\n');
    expect(summary(img)).toEqual({
      '/data': 'd 0755 0:0',
      '/etc': 'd 0755 0:0',
      '/etc/fstab': 'f 0644 0:0',
      '/proc': 'd 0555 0:0',
      '/run': 'd 0755 0:0',
      '/run/lock': 'd 0755 0:0',
    });
    const rows = text(img, '/etc/fstab').split('\n').filter((l) => l && !l.startsWith('#')).map((l) => l.split(/\s+/));
    expect(rows).toEqual([
      ['proc', '/proc', 'proc', 'defaults', '0', '0'],
      ['tmpfs', '/run/lock', 'tmpfs', 'mode=1777,size=1M', '0', '0'],
      ['/dev/vdb', '/data', 'ext2', 'ro', '0', '2'],
    ]);
  });

  it('init and hostname: rcS 0755, generated busybox inittab, /etc/hostname', async () => {
    const { img } = await buildRecipe('hostname: box\ninit:\n  rcS: |\n    #!/bin/sh\n    echo hi\n');
    expect(summary(img)).toEqual({
      '/etc': 'd 0755 0:0',
      '/etc/hostname': 'f 0644 0:0',
      '/etc/init.d': 'd 0755 0:0',
      '/etc/init.d/rcS': 'f 0755 0:0',
      '/etc/inittab': 'f 0644 0:0',
    });
    expect(text(img, '/etc/init.d/rcS')).toBe('#!/bin/sh\necho hi\n');
    expect(text(img, '/etc/hostname')).toBe('box\n');
    const inittab = text(img, '/etc/inittab').split('\n').filter((l) => l && !l.startsWith('#'));
    expect(inittab).toEqual(['::sysinit:/etc/init.d/rcS', '::askfirst:-/bin/sh', '::ctrlaltdel:/sbin/reboot', '::shutdown:/bin/umount -a -r', '::shutdown:/sbin/swapoff -a']);
  });

  it('init: respawn shell, or a replacement inittab', async () => {
    const a = await buildRecipe('init: { shell: respawn }\n');
    expect(text(a.img, '/etc/inittab')).toContain('console::respawn:-/bin/sh\n');
    expect(listImage(a.img).has('/etc/init.d/rcS')).toBe(false);
    const b = await buildRecipe('init:\n  inittab: "::sysinit:/bin/true\\n"\n');
    expect(text(b.img, '/etc/inittab')).toBe('::sysinit:/bin/true\n');
  });

  it('layers: a host directory (owner root / keep / UID:GID, dest), later layers and sections override', async () => {
    const dir = project({ 'recipe.yml': '' });
    const l1 = join(dir, 'l1'), l2 = join(dir, 'l2');
    mkdirSync(join(l1, 'etc'), { recursive: true });
    mkdirSync(join(l2, 'etc'), { recursive: true });
    writeFileSync(join(l1, 'etc/a'), 'one');
    writeFileSync(join(l1, 'etc/b'), 'one');
    writeFileSync(join(l2, 'etc/b'), 'two');
    chmodSync(join(l1, 'etc/a'), 0o640);
    symlinkSync('a', join(l1, 'etc/link'));
    linkSync(join(l1, 'etc/a'), join(l1, 'etc/a-hard'));
    writeFileSync(join(dir, 'recipe.yml'), [
      'layers:',
      '  - { source: l1 }',
      '  - { source: l2, owner: "10:20" }',
      '  - { source: l2, dest: /opt/copy }',
      'files:',
      '  - { path: /etc/a, content: recipe }',
    ].join('\n') + '\n');
    const { img } = await buildIn(dir);
    expect(summary(img)).toEqual({
      '/etc': 'd 0755 10:20',
      '/etc/a': 'f 0644 0:0',
      '/etc/a-hard': 'f 0640 0:0',
      '/etc/b': 'f 0644 10:20',
      '/etc/link': 'l 0777 0:0',
      '/opt': 'd 0755 0:0',
      '/opt/copy': 'd 0755 0:0',
      '/opt/copy/etc': 'd 0755 0:0',
      '/opt/copy/etc/b': 'f 0644 0:0',
    });
    expect(text(img, '/etc/a')).toBe('recipe');
    expect(text(img, '/etc/a-hard')).toBe('one');
    expect(text(img, '/etc/b')).toBe('two');
  });

  it('image section: fixed size, block size, inodes, label', async () => {
    const { summary: s } = await buildRecipe('image: { size: 4M, blockSize: 1024, inodes: 128, label: mylabel, reservedPercent: 0 }\n');
    expect(s.bytes).toBe(4 * 1024 * 1024);
    expect(s.blockSize).toBe(1024);
    expect(s.blocks).toBe(4096);
    expect(s.inodes).toBeGreaterThanOrEqual(128);
    const extra = await buildRecipe('image: { size: "+2M" }\nfiles: [{ path: /f, content: x }]\n');
    expect(extra.summary.freeBlocks * extra.summary.blockSize).toBeGreaterThanOrEqual(2 * 1024 * 1024);
  });
});
