import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync, closeSync, existsSync, linkSync, lstatSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync, writeSync,
} from 'node:fs';
import { join, resolve } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { progressReporter } from '../../src/cli/commands/build.ts';
import type { CliIo } from '../../src/cli/io.ts';
import { e2fsckClean, debugfsStat, debugfsCat } from '../helpers/oracles.ts';
import { tempDir } from '../ext2/fixtures.ts';
import { runCli, type CliRun } from '../helpers/cli.ts';

const dir = tempDir('mkrootfs-cli-');

const cli = (args: string[], env: Record<string, string> = {}): Promise<CliRun> => runCli(args, dir, env);

function hostTree(name: string): string {
  const root = join(dir, name);
  mkdirSync(join(root, 'etc'), { recursive: true });
  mkdirSync(join(root, 'bin'), { recursive: true });
  writeFileSync(join(root, 'etc/hostname'), 'mkrootfs\n');
  writeFileSync(join(root, 'bin/tool'), Buffer.alloc(50_000, 1), { mode: 0o755 });
  symlinkSync('tool', join(root, 'bin/alias'));
  return root;
}

describe('mkrootfs build --from-dir', () => {
  it('builds an e2fsck-clean image and prints its summary as JSON', async () => {
    hostTree('src1');
    const r = await cli(['build', '--from-dir', 'src1', '-o', 'one.img', '--json', '--label', 'root', '--block-size', '1024'], { SOURCE_DATE_EPOCH: '1700000000' });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const s = JSON.parse(r.stdout);
    const img = join(dir, 'one.img');
    expect(s.path).toBe(img);
    expect(s.blockSize).toBe(1024);
    expect(s.sha256).toBe(createHash('sha256').update(readFileSync(img)).digest('hex'));
    e2fsckClean(img);
    expect(debugfsStat(img, '/bin/tool')).toMatchObject({ perm: 0o755, uid: 0, gid: 0, size: 50_000 });
    expect(debugfsCat(img, '/etc/hostname').toString()).toBe('mkrootfs\n');
    expect(debugfsStat(img, '/etc/hostname').mtime).toBe(1700000000);
  });

  it('is reproducible: same tree and SOURCE_DATE_EPOCH give the same sha256', async () => {
    hostTree('src2');
    const env = { SOURCE_DATE_EPOCH: '1700000000' };
    const a = JSON.parse((await cli(['build', '--from-dir', 'src2', '-o', 'r1.img', '--json'], env)).stdout);
    const b = JSON.parse((await cli(['build', '--from-dir', 'src2', '-o', 'r2.img', '--json'], env)).stdout);
    expect(a.sha256).toBe(b.sha256);
  });

  it('applies --size, --inodes, --owner and --reserved-percent', async () => {
    hostTree('src3');
    const r = await cli(['build', '--from-dir', 'src3', '-o', 'opts.img', '--size', '8M', '--inodes', '500', '--owner', '1000:100', '--reserved-percent', '0', '--json']);
    expect(r.code).toBe(0);
    const s = JSON.parse(r.stdout);
    expect(s.size).toBe(8 << 20);
    expect(s.inodes).toBeGreaterThanOrEqual(500);
    e2fsckClean(join(dir, 'opts.img'));
    expect(debugfsStat(join(dir, 'opts.img'), '/etc/hostname')).toMatchObject({ uid: 1000, gid: 100 });
  });

  it('fails with exit 2 when the tree does not fit, keeps the old image and leaves no temp file', async () => {
    hostTree('src4');
    writeFileSync(join(dir, 'keep.img'), 'old image');
    const r = await cli(['build', '--from-dir', 'src4', '-o', 'keep.img', '--size', '40K', '--block-size', '1024']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/EXT2_IMAGE_TOO_SMALL.*at least \d+ bytes/);
    expect(r.stderr).toMatch(/hint: use --size \d+M/);
    expect(readFileSync(join(dir, 'keep.img'), 'utf8')).toBe('old image');
    expect(readdirSync(dir).filter((n) => n.includes('keep.img'))).toEqual(['keep.img']);
  });

  it('fails with exit 2 on too few inodes and on bad options', async () => {
    hostTree('src5');
    const few = await cli(['build', '--from-dir', 'src5', '-o', 'few.img', '--inodes', '5']);
    expect(few.code).toBe(2);
    expect(few.stderr).toContain('EXT2_TOO_FEW_INODES');
    expect(existsSync(join(dir, 'few.img'))).toBe(false);
    for (const bad of [['--size', 'lots'], ['--owner', 'bob'], ['--block-size', '512'], ['--reserved-percent', '80'], ['--label', 'a-label-longer-than-16']]) {
      const r = await cli(['build', '--from-dir', 'src5', '-o', 'bad.img', ...bad]);
      expect(r.code, bad.join(' ')).toBe(2);
      expect(r.stderr, bad.join(' ')).toMatch(/mkrootfs: error \[\w+\]/);
    }
    expect((await cli(['build', '--from-dir', 'src5', '-o', 'bad.img'], { SOURCE_DATE_EPOCH: 'yesterday' })).code).toBe(2);
    expect((await cli(['build', '--from-dir', 'src5'])).code).toBe(2);
    expect((await cli(['build', '-o', 'x.img'])).code).toBe(2);
    expect(existsSync(join(dir, 'bad.img'))).toBe(false);
  });

  it('fails with exit 2 on a symlink target too long for the block size, and exit 1 on a missing directory', async () => {
    const root = hostTree('src6');
    symlinkSync('x'.repeat(1500), join(root, 'long'));
    const r = await cli(['build', '--from-dir', 'src6', '-o', 'long.img', '--block-size', '1024']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('EXT2_SYMLINK_TOO_LONG');
    expect(r.stderr).toContain('/long');
    expect(existsSync(join(dir, 'long.img'))).toBe(false);
    const missing = await cli(['build', '--from-dir', 'no-such-dir', '-o', 'm.img']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('no-such-dir');
  });

  it('has --help with examples', async () => {
    const r = await cli(['build', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('--from-dir');
    expect(r.stdout).toContain('Examples:');
  });

  it('runs as a real process with the documented exit codes', () => {
    hostTree('src7');
    const bin = resolve('bin/mkrootfs.js');
    const ok = spawnSync(process.execPath, [bin, 'build', '--from-dir', 'src7', '-o', 'proc.img'], { cwd: dir, encoding: 'utf8' });
    expect(ok.status, ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/^proc\.img: ext2, \d+ bytes, /);
    const bad = spawnSync(process.execPath, [bin, 'build', '--from-dir', 'src7', '-o', 'proc2.img', '--size', '10K'], { cwd: dir, encoding: 'utf8' });
    expect(bad.status).toBe(2);
  });
});

describe('mkrootfs inspect', () => {
  it('lists directories, prints files and links, and reports JSON', async () => {
    hostTree('src8');
    expect((await cli(['build', '--from-dir', 'src8', '-o', 'ins.img'], { SOURCE_DATE_EPOCH: '1700000000' })).code).toBe(0);
    const ls = await cli(['inspect', 'ins.img', '/bin']);
    expect(ls.code).toBe(0);
    expect(ls.stdout).toBe(
      'lrwxrwxrwx   1     0     0          4 2023-11-14 22:13 alias -> tool\n'
      + '-rwxr-xr-x   1     0     0      50000 2023-11-14 22:13 tool\n');
    const root = await cli(['inspect', 'ins.img']);
    expect(root.stdout).toMatch(/^drwx------ +2 +0 +0 +16384 .* lost\+found$/m);
    const cat = await cli(['inspect', 'ins.img', '/etc/hostname']);
    expect(cat.stdout).toBe('mkrootfs\n');
    const json = JSON.parse((await cli(['inspect', 'ins.img', '/bin/tool', '--json'])).stdout);
    expect(json.entry).toMatchObject({ type: 'file', size: 50_000, perm: 0o755 });
    expect(json.sha256).toBe(createHash('sha256').update(Buffer.alloc(50_000, 1)).digest('hex'));
    const link = await cli(['inspect', 'ins.img', '/bin/alias']);
    expect(link.stdout).toContain('-> tool');
  });

  it('fails with exit 2 on a missing path or a file that is not ext2', async () => {
    hostTree('src9');
    await cli(['build', '--from-dir', 'src9', '-o', 'ins2.img']);
    const missing = await cli(['inspect', 'ins2.img', '/nope']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('/nope');
    writeFileSync(join(dir, 'junk.img'), Buffer.alloc(4096, 7));
    const junk = await cli(['inspect', 'junk.img']);
    expect(junk.code).toBe(2);
    expect(junk.stderr).toContain('not an ext2 image');
    expect((await cli(['inspect', '--help'])).stdout).toContain('Examples:');
  });
});

describe('build progress', () => {
  const collect = (isTTY: boolean): { io: CliIo; text: () => string } => {
    const chunks: string[] = [];
    const stderr = Object.assign(new PassThrough(), { isTTY });
    stderr.on('data', (c: Buffer) => chunks.push(c.toString()));
    return { io: { stdout: new PassThrough(), stderr, stdin: new PassThrough(), env: {}, cwd: dir }, text: () => chunks.join('') };
  };

  it('rewrites one percentage line on a terminal and prints a few plain lines otherwise', async () => {
    const total = 256 << 20;
    for (const isTTY of [true, false]) {
      const { io, text } = collect(isTTY);
      const p = progressReporter(io);
      for (let done = 0; done <= total; done += 8 << 20) p.update({ phase: 'write', done, total });
      p.end();
      await new Promise((r) => setImmediate(r));
      if (isTTY) {
        expect(text()).toMatch(/^(\rmkrootfs: writing image \d+%)+\n$/);
        expect(text()).toContain('100%');
      } else {
        expect(text().split('\n').filter(Boolean)).toEqual(['0', '25', '50', '75', '100'].map((x) => `mkrootfs: writing image ${x}%`));
      }
    }
  });

  it('stays quiet for small images', async () => {
    const { io, text } = collect(false);
    const p = progressReporter(io);
    p.update({ phase: 'write', done: 1 << 20, total: 1 << 20 });
    p.end();
    await new Promise((r) => setImmediate(r));
    expect(text()).toBe('');
  });
});

/**
 * Output safety (issue 11), as real processes on the current sources: an
 * interrupted build leaves nothing behind and ends by its signal; the image
 * never replaces a device, FIFO or one of the build's inputs; paths are
 * checked before any work; I/O failures exit 1, bad paths 2.
 */
describe('build output safety', () => {
  const bin = resolve('bin/mkrootfs.js');
  const run = (args: string[], env: Record<string, string> = {}) =>
    spawnSync(process.execPath, [bin, ...args], { cwd: dir, encoding: 'utf8', env: { ...process.env, MKROOTFS_NO_BUNDLE: '1', ...env }, timeout: 120_000 });
  const isRoot = process.getuid?.() === 0;

  /** A tree with `mib` MiB of incompressible data, so that writing takes a while. */
  function bigTree(name: string, mib: number): string {
    const root = join(dir, name);
    mkdirSync(root, { recursive: true });
    const chunk = Buffer.alloc(1 << 20);
    const fd = openSync(join(root, 'blob'), 'w');
    let x = 0x12345678;
    for (let i = 0; i < mib; i++) {
      for (let o = 0; o < chunk.length; o += 4) { x ^= x << 13; x ^= x >>> 17; x ^= x << 5; chunk.writeInt32LE(x | 0, o); }
      writeSync(fd, chunk);
    }
    closeSync(fd);
    return root;
  }

  /** Starts a build, waits until its temp image holds `atLeast` bytes, sends `signal`, and waits for the end. */
  async function interrupt(args: string[], signal: NodeJS.Signals, tmpdir: string, tempPrefix: string, atLeast = 8 << 20) {
    const child = spawn(process.execPath, [bin, ...args], { cwd: dir, env: { ...process.env, MKROOTFS_NO_BUNDLE: '1', TMPDIR: tmpdir }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => { stderr += c.toString(); });
    const ended = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((res) => child.on('exit', (code, sig) => res({ code, signal: sig })));
    const t0 = Date.now();
    let sawScratch = false;
    for (;;) {
      const temp = readdirSync(dir).find((n) => n.startsWith(tempPrefix));
      if (readdirSync(tmpdir).some((n) => n.startsWith('mkrootfs-build-'))) sawScratch = true;
      if (temp && statSync(join(dir, temp)).size >= atLeast) break;
      if (child.exitCode !== null || Date.now() - t0 > 60_000) throw new Error(`build ended or stalled before the write: ${stderr}`);
      await new Promise((r) => setTimeout(r, 10));
    }
    const sentAt = Date.now();
    child.kill(signal);
    const end = await ended;
    return { ...end, stderr, sawScratch, ms: Date.now() - sentAt };
  }

  it.each(['SIGINT', 'SIGTERM', 'SIGHUP'] as const)('%s during a --from-dir write: temp file removed, old image kept, ends by the signal', async (signal) => {
    bigTree('big-src', 160);
    const tmp = mkdtempSync(join(dir, 'tmp-'));
    writeFileSync(join(dir, 'sig.img'), 'old image');
    const r = await interrupt(['build', '--from-dir', 'big-src', '-o', 'sig.img', '--json'], signal, tmp, '.sig.img.tmp-');
    expect(r.signal, r.stderr).toBe(signal);
    expect(r.code).toBeNull();
    expect(r.ms).toBeLessThan(10_000);
    expect(readdirSync(dir).filter((n) => n.startsWith('.sig.img'))).toEqual([]);
    expect(readFileSync(join(dir, 'sig.img'), 'utf8')).toBe('old image');
    expect(readdirSync(tmp).filter((n) => n.startsWith('mkrootfs-'))).toEqual([]);
  });

  it.each(['SIGINT', 'SIGTERM'] as const)('%s during a recipe build: temp file and scratch directory removed', async (signal) => {
    bigTree('big-src', 160);
    mkdirSync(join(dir, 'tarsrc'), { recursive: true });
    writeFileSync(join(dir, 'tarsrc/hello'), 'hello\n');
    execFileSync('tar', ['cf', join(dir, 'small.tar'), '-C', join(dir, 'tarsrc'), '.']);
    writeFileSync(join(dir, 'sig.yml'), 'layers:\n  - source: big-src\n  - source: small.tar\n    dest: /t\n');
    const tmp = mkdtempSync(join(dir, 'tmp-'));
    const r = await interrupt(['build', 'sig.yml', '-o', 'sigr.img', '--json'], signal, tmp, '.sigr.img.tmp-');
    expect(r.signal, r.stderr).toBe(signal);
    expect(r.sawScratch).toBe(true);
    expect(readdirSync(dir).filter((n) => n.startsWith('.sigr.img'))).toEqual([]);
    expect(existsSync(join(dir, 'sigr.img'))).toBe(false);
    expect(readdirSync(tmp).filter((n) => n.startsWith('mkrootfs-'))).toEqual([]);
  });

  it('never replaces a FIFO or a device node with an image', () => {
    hostTree('safe-src');
    execFileSync('mkfifo', [join(dir, 'out.fifo')]);
    const targets = ['out.fifo', ...(isRoot ? ['out.null'] : [])];
    if (isRoot) execFileSync('mknod', [join(dir, 'out.null'), 'c', '1', '3']);
    for (const t of targets) {
      for (const args of [['build', '--from-dir', 'safe-src', '-o', t], ['build', 'safe.yml', '-o', t]]) {
        writeFileSync(join(dir, 'safe.yml'), 'hostname: safe\n');
        const r = run(args);
        expect(r.status, `${args.join(' ')}: ${r.stderr}`).toBe(2);
        expect(r.stderr).toContain('[OUTPUT_NOT_REGULAR]');
      }
    }
    expect(lstatSync(join(dir, 'out.fifo')).isFIFO()).toBe(true);
    if (isRoot) expect(lstatSync(join(dir, 'out.null')).isCharacterDevice()).toBe(true);
  });

  it('never overwrites one of its inputs: recipe, include, tar layer, file source, device table, a file of --from-dir', () => {
    hostTree('in-src');
    mkdirSync(join(dir, 'in/tar'), { recursive: true });
    writeFileSync(join(dir, 'in/tar/a'), 'a\n');
    execFileSync('tar', ['cf', join(dir, 'in/layer.tar'), '-C', join(dir, 'in/tar'), '.']);
    writeFileSync(join(dir, 'in/base.yml'), 'hostname: base\n');
    writeFileSync(join(dir, 'in/motd'), 'motd\n');
    writeFileSync(join(dir, 'in/devices.txt'), '/dev d 755 0 0 - - - - -\n');
    writeFileSync(join(dir, 'in/recipe.yml'), 'include: [base.yml]\nlayers:\n  - source: layer.tar\nfiles:\n  - { path: /etc/motd, source: motd }\ndeviceTable: devices.txt\n');
    linkSync(join(dir, 'in/motd'), join(dir, 'in/motd-link.img'));
    const before = new Map(['recipe.yml', 'base.yml', 'layer.tar', 'motd', 'devices.txt'].map((n) => [n, readFileSync(join(dir, 'in', n))]));
    for (const out of ['in/recipe.yml', 'in/base.yml', 'in/layer.tar', 'in/motd', 'in/devices.txt', 'in/motd-link.img']) {
      const r = run(['build', 'in/recipe.yml', '-o', out]);
      expect(r.status, `${out}: ${r.stderr}`).toBe(2);
      expect(r.stderr).toContain('[OUTPUT_IS_INPUT]');
    }
    for (const [n, bytes] of before) expect(readFileSync(join(dir, 'in', n)).equals(bytes), n).toBe(true);
    const d = run(['build', '--from-dir', 'in-src', '-o', 'in-src/etc/hostname']);
    expect(d.status, d.stderr).toBe(2);
    expect(d.stderr).toContain('[OUTPUT_IS_INPUT]');
    expect(readFileSync(join(dir, 'in-src/etc/hostname'), 'utf8')).toBe('mkrootfs\n');
  });

  it('long names: 250 bytes works (temp name fits NAME_MAX), 256 is a usage error', () => {
    hostTree('name-src');
    const ok = run(['build', '--from-dir', 'name-src', '-o', `${'n'.repeat(246)}.img`]);
    expect(ok.status, ok.stderr).toBe(0);
    e2fsckClean(join(dir, `${'n'.repeat(246)}.img`));
    const long = run(['build', '--from-dir', 'name-src', '-o', `${'n'.repeat(252)}.img`]);
    expect(long.status).toBe(2);
    expect(long.stderr).toContain('[OUTPUT_NAME_TOO_LONG]');
  });

  it('creates missing directories, and a file in the path is a clear usage error (was internal error: EEXIST)', () => {
    hostTree('dir-src');
    writeFileSync(join(dir, 'dir.yml'), 'hostname: d\n');
    writeFileSync(join(dir, 'a-file'), 'x');
    for (const args of [['build', '--from-dir', 'dir-src'], ['build', 'dir.yml']]) {
      const made = run([...args, '-o', `made/${args.length}/x.img`]);
      expect(made.status, made.stderr).toBe(0);
      e2fsckClean(join(dir, `made/${args.length}/x.img`));
      const bad = run([...args, '-o', 'a-file/x.img']);
      expect(bad.status, bad.stderr).toBe(2);
      expect(bad.stderr).toContain('[OUTPUT_PARENT_NOT_DIR]');
      expect(bad.stderr).not.toContain('internal error');
    }
  });

  it('keeps the mode of the image it replaces', () => {
    hostTree('mode-src');
    writeFileSync(join(dir, 'mode.img'), 'old');
    chmodSync(join(dir, 'mode.img'), 0o600);
    expect(run(['build', '--from-dir', 'mode-src', '-o', 'mode.img']).status).toBe(0);
    expect(statSync(join(dir, 'mode.img')).mode & 0o777).toBe(0o600);
  });

  it.skipIf(!isRoot)('a full TMPDIR or output file system is an I/O failure: exit 1, not 2 (root: mounts a 1 MiB tmpfs)', () => {
    const mnt = mkdtempSync(join(dir, 'tmpfs-'));
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', mnt]);
    } catch {
      return; // no mount permission in this container
    }
    try {
      mkdirSync(join(dir, 'full/tar'), { recursive: true });
      writeFileSync(join(dir, 'full/tar/blob'), Buffer.alloc(3 << 20, 1));
      execFileSync('tar', ['cf', join(dir, 'full/layer.tar'), '-C', join(dir, 'full/tar'), '.']);
      writeFileSync(join(dir, 'full/recipe.yml'), 'layers:\n  - source: layer.tar\n');
      const spill = run(['build', 'full/recipe.yml', '-o', 'full.img'], { TMPDIR: mnt });
      expect(spill.status, spill.stderr).toBe(1);
      expect(spill.stderr).toContain('[IO_ENOSPC]');
      expect(spill.stderr).toContain('hint:');
      const out = run(['build', '--from-dir', 'full/tar', '-o', join(mnt, 'big.img')]);
      expect(out.status, out.stderr).toBe(1);
      expect(out.stderr).toContain('[IO_ENOSPC]');
      expect(readdirSync(mnt).filter((n) => !n.startsWith('tsx-'))).toEqual([]); // tsx keeps its cache in TMPDIR
    } finally {
      execFileSync('umount', [mnt]);
    }
  });
});
