/**
 * The recipe build from the command line, in-process with injected I/O:
 * `mkrootfs recipe.yml` and `mkrootfs build recipe.yml`, --set, -o, --json,
 * --print-recipe, plain progress lines without a TTY, tool defaults from
 * .mkrootfsrc.yml / package.json, and the shipped busybox recipe built on the
 * fixture busybox tree.
 */
import { describe, expect, it } from 'vitest';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Writable, Readable } from 'node:stream';
import { parse } from 'yaml';
import { main } from '../../src/cli/main.ts';
import { project, listImage } from './helpers.ts';
import { debugfsCat, debugfsStats, e2fsckClean } from '../helpers/oracles.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const FIXTURE = join(ROOT, 'test/fixtures/busybox-install');

async function cli(args: string[], cwd: string, env: Record<string, string> = {}) {
  let stdout = '', stderr = '';
  const code = await main(args, {
    stdout: new Writable({ write(c, _e, cb) { stdout += String(c); cb(); } }),
    stderr: new Writable({ write(c, _e, cb) { stderr += String(c); cb(); } }),
    stdin: Readable.from([]),
    env: { SOURCE_DATE_EPOCH: '1700000000', ...env },
    cwd,
  });
  return { code, stdout, stderr };
}

const sha = (p: string) => createHash('sha256').update(readFileSync(p)).digest('hex');

describe('mkrootfs recipe.yml', () => {
  it('builds with the shorthand; --json gives path, format, sha256, size and counts; progress lines on stderr', async () => {
    const dir = project({ 'recipe.yml': 'vars: { who: world }\nfiles: [{ path: /hello, content: "hello ${who}\\n" }]\n' });
    const r = await cli(['recipe.yml', '--set', 'who=cli', '-o', 'img/x.img', '--json'], dir);
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.path).toBe(join(dir, 'img/x.img'));
    expect(j.format).toBe('ext2');
    expect(j.sha256).toBe(sha(join(dir, 'img/x.img')));
    expect(j.size).toBe(readFileSync(join(dir, 'img/x.img')).length);
    expect(j).toMatchObject({ blockSize: expect.any(Number), blocks: expect.any(Number), freeBlocks: expect.any(Number), inodes: expect.any(Number), freeInodes: expect.any(Number) });
    expect(debugfsCat(j.path, '/hello').toString()).toBe('hello cli\n');
    expect(r.stderr).toContain('mkrootfs: Load recipe (recipe.yml)');
    expect(r.stderr).toContain('mkrootfs: Write the ext2 image');
    e2fsckClean(j.path);
  });

  it('`build recipe.yml` writes image.output, else out/rootfs.img, relative to the current directory', async () => {
    const dir = project({ 'r/recipe.yml': 'image: { output: here.img }\nhostname: a\n', 'r/plain.yml': 'hostname: b\n' });
    const a = await cli(['build', 'r/recipe.yml'], dir);
    expect(a.code, a.stderr).toBe(0);
    expect(existsSync(join(dir, 'here.img'))).toBe(true);
    expect(a.stdout).toMatch(/^here\.img: ext2, .* sha256 [0-9a-f]{64}\n$/);
    const b = await cli(['r/plain.yml'], dir);
    expect(b.code, b.stderr).toBe(0);
    expect(existsSync(join(dir, 'out/rootfs.img'))).toBe(true);
  });

  it('.mkrootfsrc.yml and package.json#mkrootfs set the default output directory', async () => {
    const a = project({ 'recipe.yml': 'hostname: a\n', '.mkrootfsrc.yml': 'outputDir: images\n' });
    expect((await cli(['recipe.yml'], a)).code).toBe(0);
    expect(existsSync(join(a, 'images/rootfs.img'))).toBe(true);
    const b = project({ 'sub/recipe.yml': 'hostname: b\n', 'package.json': JSON.stringify({ name: 'x', mkrootfs: { outputDir: 'build' } }) });
    expect((await cli(['recipe.yml'], join(b, 'sub'))).code).toBe(0);
    expect(existsSync(join(b, 'build/rootfs.img'))).toBe(true);
    const bad = project({ 'recipe.yml': 'hostname: c\n', '.mkrootfsrc.yml': 'outputdir: x\n' });
    const r = await cli(['recipe.yml'], bad);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('CONFIG_INVALID');
  });

  it('--print-recipe prints the resolved recipe (includes merged, vars substituted) and builds nothing', async () => {
    const dir = project({ 'recipe.yml': 'include: [base.yml]\nvars: { n: two }\nhostname: ${n}\n', 'base.yml': 'vars: { n: one }\nfiles: [{ path: /f, content: "${n}" }]\n' });
    const r = await cli(['recipe.yml', '--print-recipe'], dir);
    expect(r.code, r.stderr).toBe(0);
    const printed = parse(r.stdout);
    expect(printed.hostname).toBe('two');
    expect(printed.files).toEqual([{ path: '/f', content: 'two', mode: '0644', uid: 0, gid: 0 }]);
    expect(printed.vars).toEqual({ n: 'two' });
    expect(printed.include).toBeUndefined();
    expect(printed.image.output).toBe(join(dir, 'out/rootfs.img'));
    expect(existsSync(join(dir, 'out'))).toBe(false);
    // The printed recipe is itself a valid recipe that builds the same image.
    writeFileSync(join(dir, 'printed.yml'), r.stdout);
    expect((await cli(['recipe.yml', '-o', 'a.img'], dir)).code).toBe(0);
    expect((await cli(['printed.yml', '-o', 'b.img'], dir)).code).toBe(0);
    expect(sha(join(dir, 'b.img'))).toBe(sha(join(dir, 'a.img')));
  });

  it('a bad --set is a usage error', async () => {
    const dir = project({ 'recipe.yml': 'hostname: a\n' });
    const r = await cli(['recipe.yml', '--set', 'novalue'], dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('expected name=value');
  });
});

describe('recipes/busybox.yml', () => {
  it('builds on a busybox _install tree: applets, /dev nodes, fstab, rcS with the banner and power-off, root user', async () => {
    const dir = project({});
    const r = await cli([join(ROOT, 'recipes/busybox.yml'), '--set', `busybox=${FIXTURE}`, '-o', 'bb.img', '--json'], dir);
    expect(r.code, r.stderr).toBe(0);
    const img = join(dir, 'bb.img');
    e2fsckClean(img);
    const list = listImage(img);
    for (const p of ['/bin/busybox', '/bin/sh', '/sbin/init', '/linuxrc', '/usr/bin/env', '/etc/inittab', '/etc/init.d/rcS', '/etc/fstab', '/etc/passwd', '/etc/shadow', '/etc/hostname', '/proc', '/sys', '/tmp', '/run', '/root']) {
      expect(list.has(p), p).toBe(true);
    }
    const [con, nul, tmp, rcs] = debugfsStats(img, ['/dev/console', '/dev/null', '/tmp', '/etc/init.d/rcS']);
    expect([con!.type, con!.major, con!.minor, con!.perm]).toEqual(['character special', 5, 1, 0o600]);
    expect([nul!.major, nul!.minor, nul!.perm]).toEqual([1, 3, 0o666]);
    expect(tmp!.perm).toBe(0o1777);
    expect(rcs!.perm).toBe(0o755);
    const rcS = debugfsCat(img, '/etc/init.d/rcS').toString();
    expect(rcS).toContain('mount -a');
    expect(rcS).toContain('echo "mkrootfs: boot OK"');
    expect(rcS).toContain('mkrootfs.poweroff');
    const fstab = debugfsCat(img, '/etc/fstab').toString();
    for (const t of ['proc', 'sysfs', 'devtmpfs', 'tmpfs']) expect(fstab).toMatch(new RegExp(`^\\S+\\s+\\S+\\s+${t}\\s`, 'm'));
    // Reproducible: a second build gives the same bytes.
    const again = await cli([join(ROOT, 'recipes/busybox.yml'), '--set', `busybox=${FIXTURE}`, '-o', 'bb2.img'], dir);
    expect(again.code).toBe(0);
    expect(sha(join(dir, 'bb2.img'))).toBe(sha(img));
  });

  it('its boot section is what mkrootfs boot reads', async () => {
    const { loadRecipe } = await import('../../src/pipeline.ts');
    const r = await loadRecipe({ recipePath: join(ROOT, 'recipes/busybox.yml'), sets: { busybox: FIXTURE } });
    expect(r.recipe.boot?.append).toContain('mkrootfs.poweroff');
    expect(r.recipe.boot?.expect).toEqual(['mkrootfs: boot OK', 'reboot: Power down']);
  });
});
