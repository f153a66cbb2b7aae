/**
 * The launchers in bin/ as a user starts them from a checkout: on the
 * compiled path (dist/, made by scripts/build.mjs) and on the sources path
 * (tsx), --version answers with package.json's version and a reader that
 * closes the pipe early ends the process quietly. Which of the two a
 * checkout runs (bin/build-stamp.js) follows every kind of source change.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { main } from '../../src/cli/main.ts';
import { packageVersion } from '../../src/cli/version.ts';
// @ts-expect-error plain JavaScript launcher code, without types
import { buildStartTime, pickBuild, writeBuildStamp } from '../../bin/build-stamp.js';

const pick = pickBuild as (root: string) => 'dist' | 'sources';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;

function sh(script: string, env: Record<string, string> = {}): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync('bash', ['-c', script], { cwd: ROOT, env: { ...process.env, ...env }, encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('launchers', () => {
  it('packageVersion finds package.json from the sources and from dist/', () => {
    expect(packageVersion()).toBe(VERSION);
    expect(packageVersion(join(ROOT, 'dist', 'src', 'cli'))).toBe(VERSION);
    expect(packageVersion('/')).toBe('unknown');
  });

  it('--version and -V print the version on stdout and exit 0', async () => {
    for (const flag of ['--version', '-V']) {
      let out = '';
      const io = { stdout: { write: (s: string) => { out += s; return true; } }, stderr: { write: () => true }, stdin: process.stdin, env: {}, cwd: ROOT };
      expect(await main([flag], io as never)).toBe(0);
      expect(out).toBe(`${VERSION}\n`);
    }
  });

  for (const [path, env] of [['compiled', {}], ['sources (tsx)', { MKROOTFS_NO_BUNDLE: '1' }]] as const) {
    it(`${path}: mkrootfs -V, boot --version, and a closed pipe end quietly`, () => {
      expect(sh('node bin/mkrootfs.js -V', env)).toEqual({ status: 0, stdout: `${VERSION}\n`, stderr: '' });
      expect(sh('node bin/boot.js --version', env)).toEqual({ status: 0, stdout: `${VERSION}\n`, stderr: '' });
      // Several rounds: the crash this guards against showed in most runs, not all.
      for (let i = 0; i < 3; i++) {
        const r = sh('node bin/mkrootfs.js boot --help | head -c 6; echo " ${PIPESTATUS[0]}"', env);
        expect(r.stderr).toBe('');
        expect(r.stdout).toMatch(/^Usage: (0|141)\n$/);
        const s = sh('node bin/mkrootfs.js schema | head -c 1 >/dev/null; echo "${PIPESTATUS[0]}"', env);
        expect(s.stderr).toBe('');
        expect(s.stdout).toMatch(/^(0|141)\n$/);
      }
    });
  }
});

describe('dist/ or the sources (bin/build-stamp.js)', () => {
  const hourAgo = Date.now() / 1000 - 3600;
  const noBundle = process.env.MKROOTFS_NO_BUNDLE;
  beforeAll(() => { delete process.env.MKROOTFS_NO_BUNDLE; });
  afterAll(() => { if (noBundle !== undefined) process.env.MKROOTFS_NO_BUNDLE = noBundle; });
  const old = (path: string): void => utimesSync(path, hourAgo, hourAgo);

  /** A checkout: sources an hour old, then a build stamp. */
  function checkout(): string {
    const root = mkdtempSync(join(tmpdir(), 'mkrootfs-stamp-'));
    for (const dir of ['src/cli', 'emulator/cpu', 'dist']) mkdirSync(join(root, dir), { recursive: true });
    for (const file of ['src/main.ts', 'src/cli/run.ts', 'emulator/cpu/cpu.ts', 'src/cli/notes.md']) writeFileSync(join(root, file), 'x');
    for (const path of ['src/main.ts', 'src/cli/run.ts', 'emulator/cpu/cpu.ts', 'src/cli/notes.md', 'src/cli', 'emulator/cpu', 'src', 'emulator']) old(join(root, path));
    writeBuildStamp(root, join(root, 'dist'), buildStartTime(root), 'test\n');
    return root;
  }

  it('dist/ while no source changed; the sources after an edit (in place or by rename), a removed or renamed file', () => {
    const root = checkout();
    try {
      expect(readFileSync(join(root, 'dist', 'SOURCES'), 'utf8')).toBe('src/cli/run.ts\nsrc/main.ts\nemulator/cpu/cpu.ts\n');
      expect(pick(root)).toBe('dist');
      writeFileSync(join(root, 'src/cli/run.ts'), 'y'); // edited in place: the directory's time is unchanged
      expect(pick(root)).toBe('sources');
      old(join(root, 'src/cli/run.ts'));
      expect(pick(root)).toBe('dist');

      // A new file (or an editor's swap file) alone changes nothing; importing it is an edit.
      writeFileSync(join(root, 'emulator/cpu/mmu.ts'), 'x');
      writeFileSync(join(root, 'emulator/cpu/.cpu.ts.swp'), 'x');
      expect(pick(root)).toBe('dist');
      writeFileSync(join(root, 'emulator/cpu/cpu.ts'), "import './mmu.ts';");
      expect(pick(root)).toBe('sources');
      old(join(root, 'emulator/cpu/cpu.ts'));
      expect(pick(root)).toBe('dist');

      // Saved by writing a new file and renaming it over the old one.
      writeFileSync(join(root, 'src/main.ts.tmp'), 'y');
      renameSync(join(root, 'src/main.ts.tmp'), join(root, 'src/main.ts'));
      expect(pick(root)).toBe('sources');
      old(join(root, 'src/main.ts'));
      expect(pick(root)).toBe('dist');

      renameSync(join(root, 'src/main.ts'), join(root, 'src/main2.ts'));
      expect(pick(root)).toBe('sources'); // a listed file is gone
      renameSync(join(root, 'src/main2.ts'), join(root, 'src/main.ts'));
      expect(pick(root)).toBe('dist');
      rmSync(join(root, 'src/cli/run.ts'));
      expect(pick(root)).toBe('sources');

      writeFileSync(join(root, 'src/cli/run.ts'), 'x');
      old(join(root, 'src/cli/run.ts'));
      writeFileSync(join(root, 'src/cli/notes.md'), 'y'); // not a source
      expect(pick(root)).toBe('dist');
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('without SOURCES (an older dist/) it walks the trees; without BUILT, the sources; without src/ (a package), dist/', () => {
    const root = checkout();
    try {
      rmSync(join(root, 'dist', 'SOURCES'));
      expect(pick(root)).toBe('dist');
      writeFileSync(join(root, 'emulator/cpu/cpu.ts'), 'y');
      expect(pick(root)).toBe('sources');
      rmSync(join(root, 'dist', 'BUILT'));
      expect(pick(root)).toBe('sources');
      rmSync(join(root, 'src'), { recursive: true });
      expect(pick(root)).toBe('dist');
      process.env.MKROOTFS_NO_BUNDLE = '1';
      expect(pick(root)).toBe('sources');
      delete process.env.MKROOTFS_NO_BUNDLE;
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
