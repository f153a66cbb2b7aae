/**
 * The compiled CLI's V8 code cache (bin/cli-bundle.js): written at the
 * first run of a command, used by the next, keyed by the bundle's content,
 * recovered from when damaged, optional, and never a reason to fail. Runs
 * the real dist/cli/mkrootfs.cjs (scripts/setup builds it) in child
 * processes, each with its own cache root.
 */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { appendFileSync, chmodSync, copyFileSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
// @ts-expect-error plain JavaScript launcher code, without types
import { cacheCommand, codeCacheDir } from '../../bin/cli-bundle.js';
// @ts-expect-error plain JavaScript launcher code, without types
import { pickBuild } from '../../bin/build-stamp.js';
import { spinElf } from '../helpers/or1k-elf.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const BUNDLE = join(ROOT, 'dist', 'cli', 'mkrootfs.cjs');

/** Loads `bundle` as the launcher does, runs its main(args); stdout gets the cache state first, on a line of its own. */
function run(cacheRoot: string, args: string[], opts: { bundle?: string; env?: Record<string, string> } = {}): { status: number | null; state: string; out: string; stderr: string } {
  const script = `
    import { loadBundle } from ${JSON.stringify(join(ROOT, 'bin', 'cli-bundle.js'))};
    const args = JSON.parse(process.argv[1]);
    const { main } = loadBundle(${JSON.stringify(opts.bundle ?? BUNDLE)}, { command: 'boot', onCache: (s) => process.stdout.write(s + '\\n') });
    process.exitCode = await main(args);`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script, JSON.stringify(args)], {
    cwd: ROOT, encoding: 'utf8', timeout: 60_000,
    env: { ...process.env, MKROOTFS_CACHE_DIR: cacheRoot, MKROOTFS_NO_CODE_CACHE: '', ...opts.env },
  });
  const [state = '', ...rest] = r.stdout.split('\n');
  return { status: r.status, state, out: rest.join('\n'), stderr: r.stderr };
}

const caches = (root: string): string[] => {
  try {
    return readdirSync(join(root, 'v8')).sort();
  } catch {
    return [];
  }
};

describe('the CLI bundle code cache (bin/cli-bundle.js)', () => {
  // The launchers run dist/ only while it is newer than the sources (scripts/setup builds it before the tests).
  const needDist = (): void => expect(pickBuild(ROOT), 'dist/ is older than the sources: run `npm run build`').toBe('dist');
  it('the first run writes the cache, the next uses it, with the same output', () => {
    const root = mkdtempSync(join(tmpdir(), 'mkrootfs-v8-'));
    const first = run(root, ['boot', '--help']);
    expect(first).toMatchObject({ status: 0, state: 'miss', stderr: '' });
    expect(first.out).toMatch(/^Usage: mkrootfs boot/);
    const files = caches(root);
    expect(files).toHaveLength(1);
    expect(files[0]).toMatch(new RegExp(`^cli-[0-9a-f]{16}-${process.version.replace(/\./g, '\\.')}-${process.arch}-boot\\.bin$`));
    const second = run(root, ['boot', '--help']);
    expect(second).toMatchObject({ status: 0, state: 'hit', stderr: '' });
    expect(second.out).toBe(first.out);
    expect(caches(root)).toEqual(files);
  });

  // V8 does not check its cached data in release builds (damaged data aborts
  // the process), so the launcher checks a SHA-256 of it first.
  it('a damaged cache is rejected, rewritten, then used', () => {
    const root = mkdtempSync(join(tmpdir(), 'mkrootfs-v8-'));
    expect(run(root, ['--version']).state).toBe('miss');
    const [file] = caches(root);
    const path = join(root, 'v8', file!);
    const good = readFileSync(path);
    const bad = Buffer.from(good);
    for (let i = 64; i < bad.length; i += 97) bad[i] = bad[i]! ^ 0x5a;
    writeFileSync(path, bad);
    expect(run(root, ['--version'])).toMatchObject({ status: 0, state: 'miss', stderr: '' });
    expect(readFileSync(path).equals(bad)).toBe(false);
    expect(run(root, ['--version'])).toMatchObject({ status: 0, state: 'hit' });
    writeFileSync(path, 'not a cache');
    expect(run(root, ['--version'])).toMatchObject({ status: 0, state: 'miss', stderr: '' });
    // Well framed (our checksum holds) but not V8's: V8 rejects it.
    const junk = Buffer.alloc(4096, 0x37);
    const magic = good.subarray(0, good.indexOf(0x0a) + 1);
    writeFileSync(path, Buffer.concat([magic, createHash('sha256').update(junk).digest(), junk]));
    expect(run(root, ['--version'])).toMatchObject({ status: 0, state: 'miss', stderr: '' });
    expect(run(root, ['--version'])).toMatchObject({ status: 0, state: 'hit' });
  });

  it('a cache file others may write is not used (cached bytecode runs as this user)', () => {
    const root = mkdtempSync(join(tmpdir(), 'mkrootfs-v8-'));
    expect(run(root, ['--version']).state).toBe('miss');
    const [file] = caches(root);
    const path = join(root, 'v8', file!);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(statSync(join(root, 'v8')).mode & 0o777).toBe(0o700);
    chmodSync(path, 0o622);
    expect(run(root, ['--version'])).toMatchObject({ status: 0, state: 'miss', stderr: '' });
    // Written again, as this user's own.
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(run(root, ['--version']).state).toBe('hit');
  });

  it('a changed bundle gets a cache of its own: an old cache never runs new code', () => {
    const root = mkdtempSync(join(tmpdir(), 'mkrootfs-v8-'));
    expect(run(root, ['--version']).state).toBe('miss');
    // A copy beside the original (so it finds package.json and its assets the same way), one byte longer.
    const dir = mkdtempSync(join(dirname(BUNDLE), '.test-'));
    const copy = join(dir, 'mkrootfs.cjs');
    copyFileSync(BUNDLE, copy);
    appendFileSync(copy, ' ');
    try {
      const r = run(root, ['--version'], { bundle: copy });
      expect(r).toMatchObject({ status: 0, state: 'miss', stderr: '' });
      expect(caches(root)).toHaveLength(2);
      expect(run(root, ['--version'], { bundle: copy }).state).toBe('hit');
    } finally {
      spawnSync('rm', ['-rf', dir]);
    }
  });

  it('MKROOTFS_NO_CODE_CACHE=1 reads and writes none; an unusable cache root only costs the compile', () => {
    const root = mkdtempSync(join(tmpdir(), 'mkrootfs-v8-'));
    expect(run(root, ['--version'], { env: { MKROOTFS_NO_CODE_CACHE: '1' } })).toMatchObject({ status: 0, state: 'off', stderr: '' });
    expect(caches(root)).toEqual([]);
    // The cache root is a file: nothing can be created under it.
    const file = join(root, 'plain-file');
    writeFileSync(file, 'x');
    const r = run(file, ['--version']);
    expect(r).toMatchObject({ status: 0, state: 'miss', stderr: '' });
    expect(r.out.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('the launcher picks the cache by command, and the directory as the guest cache does', () => {
    expect(cacheCommand(['boot', 'x.img', '--json'])).toBe('boot');
    expect(cacheCommand(['--json', 'build', 'r.yml'])).toBe('build');
    expect(cacheCommand(['recipes/busybox.yml'])).toBe('main');
    expect(cacheCommand(['-V'])).toBe('main');
    expect(codeCacheDir({ MKROOTFS_CACHE_DIR: '/c' })).toBe('/c/v8');
    expect(codeCacheDir({ XDG_CACHE_HOME: '/x' })).toBe('/x/mkrootfs/v8');
    expect(codeCacheDir({ HOME: '/h' })).toBe('/h/.cache/mkrootfs/v8');
  });

  it('bin/mkrootfs.js runs the cached bundle: a second start reports the same version', () => {
    needDist();
    const root = mkdtempSync(join(tmpdir(), 'mkrootfs-v8-'));
    const env: NodeJS.ProcessEnv = { ...process.env, MKROOTFS_CACHE_DIR: root, MKROOTFS_NO_CODE_CACHE: '' };
    delete env.MKROOTFS_NO_BUNDLE;
    const a = spawnSync(process.execPath, [join(ROOT, 'bin', 'mkrootfs.js'), '-V'], { encoding: 'utf8', env });
    expect(caches(root)).toEqual([expect.stringMatching(/-main\.bin$/)]);
    const b = spawnSync(process.execPath, [join(ROOT, 'bin', 'boot.js'), '--version'], { encoding: 'utf8', env });
    expect(a.stdout).toBe(b.stdout);
    expect(caches(root)).toEqual([expect.stringMatching(/-boot\.bin$/), expect.stringMatching(/-main\.bin$/)]);
  });

  it('boot keeps the emulator\'s emitted modules beside: the next boot compiles them unchanged, a damaged one is made again', () => {
    needDist();
    const root = mkdtempSync(join(tmpdir(), 'mkrootfs-v8-'));
    const kernel = join(root, 'spin.elf');
    writeFileSync(kernel, spinElf());
    // (The translation cache, tested below, would add a third module file.)
    const env: NodeJS.ProcessEnv = { ...process.env, MKROOTFS_CACHE_DIR: root, MKROOTFS_NO_CODE_CACHE: '', MKROOTFS_NO_TRANSLATION_CACHE: '1' };
    delete env.MKROOTFS_NO_BUNDLE;
    const boot = (): { status: number | null; instructions: number } => {
      const r = spawnSync(process.execPath, [join(ROOT, 'bin', 'boot.js'), '--kernel', kernel, '--timeout', '0.001', '--json'], { cwd: root, encoding: 'utf8', env });
      return { status: r.status, instructions: (JSON.parse(r.stdout) as { instructions: number }).instructions };
    };
    const first = boot();
    expect(first.status).toBe(124);
    const wasm = caches(root).filter((f) => f.startsWith('wasm-'));
    expect(wasm).toHaveLength(2); // the interpreter and the chain
    const files = wasm.map((f) => join(root, 'v8', f));
    const stamp = files.map((f) => [statSync(f).mtimeMs, readFileSync(f)] as const);
    expect(boot()).toEqual(first);
    // Used, not made again: same files, untouched.
    files.forEach((f, i) => {
      expect(statSync(f).mtimeMs).toBe(stamp[i]![0]);
      expect(readFileSync(f).equals(stamp[i]![1])).toBe(true);
    });
    for (const f of files) writeFileSync(f, Buffer.concat([readFileSync(f).subarray(0, 60), Buffer.alloc(64, 0xee)]));
    expect(boot()).toEqual(first);
    files.forEach((f, i) => expect(readFileSync(f).equals(stamp[i]![1])).toBe(true));
  });
});

describe('the translation cache (boot, src/cli/code-cache.ts)', () => {
  it('a boot seeds the next boot of the same kernel with its translated pages; same run, nothing translated again', () => {
    expect(pickBuild(ROOT), 'dist/ is older than the sources: run `npm run build`').toBe('dist');
    const root = mkdtempSync(join(tmpdir(), 'mkrootfs-v8-'));
    const kernel = join(root, 'spin.elf');
    writeFileSync(kernel, spinElf());
    const env: NodeJS.ProcessEnv = { ...process.env, MKROOTFS_CACHE_DIR: root, MKROOTFS_NO_CODE_CACHE: '', MKROOTFS_NO_TRANSLATION_CACHE: '' };
    delete env.MKROOTFS_NO_BUNDLE;
    type Jit = { translations: number; restoredPages: number };
    const boot = (extra: NodeJS.ProcessEnv = {}): { status: number | null; instructions: number; jit: Jit } => {
      // Past the timeout's first run slice (2^20 instructions): the spin loop's block is well past the threshold.
      const r = spawnSync(process.execPath, [join(ROOT, 'bin', 'boot.js'), '--kernel', kernel, '--timeout', '0.01', '--json'], { cwd: root, encoding: 'utf8', env: { ...env, ...extra } });
      const j = JSON.parse(r.stdout) as { instructions: number; jit: Jit };
      return { status: r.status, instructions: j.instructions, jit: { translations: j.jit.translations, restoredPages: j.jit.restoredPages } };
    };
    const first = boot();
    expect(first).toMatchObject({ status: 124, jit: { translations: 1, restoredPages: 0 } });
    expect(caches(root).filter((f) => f.startsWith('wasm-'))).toHaveLength(3); // the interpreter, the chain, the pages
    const second = boot();
    expect(second).toEqual({ ...first, jit: { translations: 0, restoredPages: 1 } });
    expect(boot({ MKROOTFS_NO_TRANSLATION_CACHE: '1' })).toEqual(first);
    // Another kernel at the same path: its page does not match; translated afresh, then kept.
    const other = spinElf();
    other[0x1100 + 12] = 0x15; // an l.nop at 0x10c, after the spin loop (0x100, file offset 0x1100): the same run, another page
    writeFileSync(kernel, other);
    expect(boot()).toMatchObject({ status: 124, instructions: first.instructions, jit: { translations: 1, restoredPages: 0 } });
    expect(boot()).toMatchObject({ jit: { translations: 0, restoredPages: 1 } });
  });
});
