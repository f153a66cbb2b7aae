/**
 * `mkrootfs build --format cpio|cpio.gz`, from a host directory and from a
 * recipe (`image: { format: cpio }`): the archive GNU cpio extracts (as root)
 * is the staging tree the ext2 writer would get; bytes are reproducible;
 * ext2-only geometry with a cpio format is an error.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, linkSync, mkdirSync, readFileSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadRecipe, recipeTree } from '../../src/pipeline.ts';
import { importDir } from '../../src/tree/import-dir.ts';
import { newTree, type Tree } from '../../src/tree/tree.ts';
import { tempDir } from '../ext2/fixtures.ts';
import { bsdtarMtree, expectExtractedMatchesTree, expectMtreeMatchesTree, gnuCpioExtract, gnuCpioNames, isRoot } from '../cpio/cpio-oracle.ts';
import { runCli, type CliRun } from '../helpers/cli.ts';

const dir = tempDir('mkrootfs-cli-cpio-');
const EPOCH = '1700000000';

const cli = (args: string[], env: Record<string, string> = { SOURCE_DATE_EPOCH: EPOCH }, cwd = dir): Promise<CliRun> => runCli(args, cwd, env);

const sha = (p: string): string => createHash('sha256').update(readFileSync(p)).digest('hex');

/** A host tree with hard links, a symlink, a fifo, odd owners and modes (and device nodes when root). */
function hostTree(name: string): string {
  const root = join(dir, name);
  mkdirSync(join(root, 'bin'), { recursive: true });
  mkdirSync(join(root, 'etc/init.d'), { recursive: true });
  mkdirSync(join(root, 'dev'));
  writeFileSync(join(root, 'bin/busybox'), Buffer.alloc(70_001, 0x5a), { mode: 0o755 });
  linkSync(join(root, 'bin/busybox'), join(root, 'bin/ls'));
  symlinkSync('busybox', join(root, 'bin/sh'));
  writeFileSync(join(root, 'etc/init.d/rcS'), '#!/bin/sh\necho up\n', { mode: 0o750 });
  writeFileSync(join(root, 'init'), '#!/bin/sh\nexec /bin/sh\n', { mode: 0o755 });
  execFileSync('mkfifo', [join(root, 'dev/initctl')]);
  if (isRoot) {
    execFileSync('mknod', [join(root, 'dev/console'), 'c', '5', '1']);
    execFileSync('mknod', [join(root, 'dev/vda'), 'b', '254', '0']);
    execFileSync('chown', ['1000:100', join(root, 'etc/init.d/rcS')]);
  }
  utimesSync(join(root, 'etc/init.d/rcS'), 1_600_000_000, 1_600_000_000);
  return root;
}

async function importedTree(root: string, owner: 'root' | 'keep'): Promise<Tree> {
  const tree = newTree();
  await importDir({ tree, hostPath: root, owner });
  return tree;
}

describe('mkrootfs build --from-dir DIR --format cpio -o FILE', () => {
  it('writes a newc archive of the directory; --json says format, path, bytes and sha256', async () => {
    const src = hostTree('src1');
    const r = await cli(['build', '--from-dir', 'src1', '--format', 'cpio', '-o', 'one.cpio', '--owner', 'keep', '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const s = JSON.parse(r.stdout);
    const file = join(dir, 'one.cpio');
    const entries = 11 + (isRoot ? 2 : 0);
    // The one summary shape (build-summary.ts): a cpio archive has no blocks or UUID; its inode count is the entries less the one hard link.
    expect(s).toEqual({ path: file, format: 'cpio', size: readFileSync(file).length, blockSize: null, blocks: null, freeBlocks: null, inodes: entries - 1, freeInodes: null, sha256: sha(file), uuid: null, entries });
    const tree = await importedTree(src, 'keep');
    expect(gnuCpioNames(file)).toContain('bin/busybox');
    expectMtreeMatchesTree(bsdtarMtree(file), tree, { epoch: Number(EPOCH) });
    if (isRoot) {
      const into = join(dir, 'x1');
      mkdirSync(into);
      gnuCpioExtract(file, into);
      expectExtractedMatchesTree(into, tree, { epoch: Number(EPOCH) });
    }
  });

  it.runIf(isRoot)('as root: GNU cpio extracts the same tree the ext2 writer gets, devices and owners included (--owner root)', async () => {
    const src = hostTree('src2');
    const r = await cli(['build', '--from-dir', 'src2', '--format', 'cpio', '-o', 'two.cpio']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/two\.cpio: cpio, \d+ bytes, 13 entries \(\d+ inodes\)\n$/);
    const into = join(dir, 'x2');
    mkdirSync(into);
    gnuCpioExtract(join(dir, 'two.cpio'), into);
    expectExtractedMatchesTree(into, await importedTree(src, 'root'), { epoch: Number(EPOCH) });
  });

  it('is reproducible: same tree and SOURCE_DATE_EPOCH, same bytes; another epoch, other bytes; cpio.gz gunzips to the cpio', async () => {
    hostTree('src3');
    const build = async (out: string, env: Record<string, string>, format = 'cpio'): Promise<string> => {
      const r = await cli(['build', '--from-dir', 'src3', '--format', format, '-o', out, '--sha256'], env);
      expect(r.code, r.stderr).toBe(0);
      return readFileSync(join(dir, out)).toString('latin1');
    };
    const a = await build('r1.cpio', { SOURCE_DATE_EPOCH: EPOCH });
    const b = await build('r2.cpio', { SOURCE_DATE_EPOCH: EPOCH });
    const c = await build('r3.cpio', { SOURCE_DATE_EPOCH: '1700000001' });
    expect(a === b).toBe(true);
    expect(a === c).toBe(false);
    const gz1 = await build('r1.cpio.gz', { SOURCE_DATE_EPOCH: EPOCH }, 'cpio.gz');
    const gz2 = await build('r2.cpio.gz', { SOURCE_DATE_EPOCH: EPOCH }, 'cpio.gz');
    expect(gz1 === gz2).toBe(true);
    expect(gunzipSync(Buffer.from(gz1, 'latin1')).toString('latin1') === a).toBe(true);
  });

  it('ext2 geometry flags with a cpio format, and an unknown format, are usage errors (exit 2) that write nothing', async () => {
    hostTree('src4');
    for (const flags of [['--size', '8M'], ['--block-size', '1024'], ['--inodes', '100'], ['--label', 'x'], ['--reserved-percent', '0']]) {
      const r = await cli(['build', '--from-dir', 'src4', '--format', 'cpio', '-o', 'bad.cpio', ...flags]);
      expect(r.code, flags.join(' ')).toBe(2);
      expect(r.stderr).toContain(`FORMAT_CONFLICT]: ${flags[0]} applies to ext2 images only; --format cpio writes a cpio archive`);
    }
    const r = await cli(['build', '--from-dir', 'src4', '--format', 'tar', '-o', 'bad.cpio']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--format tar is not one of ext2, cpio, cpio.gz');
    expect(existsSync(join(dir, 'bad.cpio'))).toBe(false);
  });

  it('ext2 stays the default, and its summary says format: "ext2"', async () => {
    hostTree('src5');
    const r = await cli(['build', '--from-dir', 'src5', '-o', 'five.img', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const s = JSON.parse(r.stdout);
    expect(s).toMatchObject({ format: 'ext2', path: join(dir, 'five.img'), sha256: sha(join(dir, 'five.img')), blockSize: 4096 });
    expect(readFileSync(join(dir, 'five.img')).readUInt16LE(1024 + 56)).toBe(0xef53);
  });

  it('--help documents the formats with examples', async () => {
    const r = await cli(['build', '--help']);
    expect(r.stdout).toContain('--format <format>');
    expect(r.stdout).toContain('newc ("070701") cpio archive');
    expect(r.stdout).toContain('$ mkrootfs build --from-dir ./rootfs --format cpio -o out/initramfs.cpio');
  });
});

describe('a recipe with image: { format: cpio }', () => {
  const recipe = [
    'image:',
    '  format: cpio',
    'layers:',
    '  - source: tree',
    'dirs:',
    '  - { path: /srv, mode: "0700", uid: 12, gid: 34 }',
    'files:',
    '  - { path: /etc/motd, content: "hi\\n", mode: "0600" }',
    'symlinks:',
    '  - { path: /linuxrc, target: bin/busybox }',
    'hardlinks:',
    '  - { path: /bin/cat, target: /bin/busybox }',
    'devices:',
    '  - { path: /dev/null, type: char, major: 1, minor: 3, mode: "0666" }',
    '  - { path: /dev/pipe, type: fifo }',
    '',
  ].join('\n');

  function project(name: string, text = recipe): string {
    const p = join(dir, name);
    mkdirSync(join(p, 'tree/bin'), { recursive: true });
    writeFileSync(join(p, 'tree/bin/busybox'), Buffer.alloc(4097, 7), { mode: 0o755 });
    writeFileSync(join(p, 'recipe.yml'), text);
    return p;
  }

  it('builds out/rootfs.cpio by default: the recipe\'s tree, read back by GNU cpio and bsdtar', async () => {
    const p = project('rec1');
    const r = await cli(['build', 'recipe.yml', '--json'], { SOURCE_DATE_EPOCH: EPOCH }, p);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('mkrootfs: Write the cpio archive (initramfs)');
    const s = JSON.parse(r.stdout);
    const file = join(p, 'out/rootfs.cpio');
    expect(s).toMatchObject({ format: 'cpio', path: file, size: readFileSync(file).length, sha256: sha(file), blocks: null, uuid: null });
    const loaded = await loadRecipe({ recipePath: 'recipe.yml', cwd: p, env: { SOURCE_DATE_EPOCH: EPOCH } });
    expect(loaded.recipe.image.format).toBe('cpio');
    const tree = await recipeTree(loaded, { epoch: Number(EPOCH), cwd: p });
    expect(gnuCpioNames(file)).toEqual(expect.arrayContaining(['bin/cat', 'dev/null', 'dev/pipe', 'linuxrc', 'srv']));
    expectMtreeMatchesTree(bsdtarMtree(file), tree, { epoch: Number(EPOCH) });
    if (isRoot) {
      const into = join(dir, 'xr');
      mkdirSync(into);
      gnuCpioExtract(file, into);
      expectExtractedMatchesTree(into, tree, { epoch: Number(EPOCH) });
    }
  });

  it('cpio.gz in the recipe, or --format overriding it; --print-recipe shows the format', async () => {
    const p = project('rec2', recipe.replace('format: cpio', 'format: cpio.gz'));
    const r = await cli(['build', 'recipe.yml'], { SOURCE_DATE_EPOCH: EPOCH }, p);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^out\/rootfs\.cpio\.gz: cpio\.gz, \d+ bytes, \d+ entries \(\d+ inodes\), sha256 [0-9a-f]{64}\n$/);
    const plain = await cli(['build', 'recipe.yml', '--format', 'cpio', '-o', 'plain.cpio'], { SOURCE_DATE_EPOCH: EPOCH }, p);
    expect(plain.code, plain.stderr).toBe(0);
    expect(gunzipSync(readFileSync(join(p, 'out/rootfs.cpio.gz'))).equals(readFileSync(join(p, 'plain.cpio')))).toBe(true);
    const shown = await cli(['build', 'recipe.yml', '--format', 'cpio', '--print-recipe'], { SOURCE_DATE_EPOCH: EPOCH }, p);
    expect(parse(shown.stdout).image).toEqual({ format: 'cpio', output: join(p, 'out/rootfs.cpio') });
  });

  it('ext2 geometry in a cpio recipe is an error naming the recipe line; so is an unknown format', async () => {
    const p = project('rec3', 'image:\n  format: cpio\n  blockSize: 1024\n  label: root\nhostname: x\n');
    const r = await cli(['build', 'recipe.yml'], { SOURCE_DATE_EPOCH: EPOCH }, p);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('recipe.yml:3:14: image.blockSize: blockSize applies to ext2 images only; a cpio archive has no geometry');
    expect(r.stderr).toContain('recipe.yml:4:10: image.label: label applies to ext2 images only');
    const q = project('rec4', 'image: { format: cpoi }\nhostname: x\n');
    const bad = await cli(['build', 'recipe.yml'], { SOURCE_DATE_EPOCH: EPOCH }, q);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/recipe\.yml:1:18: image\.format: string "cpoi" is not one of "ext2", "cpio", "cpio\.gz"/);
    expect(bad.stderr).toContain('did you mean "cpio"');
    const flag = await cli(['build', 'recipe.yml', '--block-size', '1024'], { SOURCE_DATE_EPOCH: EPOCH }, project('rec5'));
    expect(flag.code).toBe(2);
    expect(flag.stderr).toContain('--block-size applies to ext2 images only; this build writes cpio');
    expect(existsSync(join(dir, 'rec3/out'))).toBe(false);
  });

  it('--format cpio on a recipe written for ext2 ignores its geometry (documented in --help)', async () => {
    const p = project('rec6', recipe.replace('  format: cpio', '  size: "+8M"\n  blockSize: 1024\n  label: rootfs'));
    const r = await cli(['build', 'recipe.yml', '--format', 'cpio', '--json'], { SOURCE_DATE_EPOCH: EPOCH }, p);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ format: 'cpio', path: join(p, 'out/rootfs.cpio') });
    expect(gnuCpioNames(join(p, 'out/rootfs.cpio'))).toContain('bin/cat');
    const ext2 = await cli(['build', 'recipe.yml', '--json'], { SOURCE_DATE_EPOCH: EPOCH }, p);
    expect(JSON.parse(ext2.stdout)).toMatchObject({ format: 'ext2', blockSize: 1024, path: join(p, 'out/rootfs.img') });
    expect((await cli(['build', '--help'])).stdout).toContain('the ext2 fields of a recipe written for\next2 are then ignored');
  });
});
