/**
 * The launchers in bin/ as a user starts them from a checkout: on the
 * compiled path (dist/, made by scripts/build.mjs) and on the sources path
 * (tsx), --version answers with package.json's version and a reader that
 * closes the pipe early ends the process quietly.
 */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { main } from '../../src/cli/main.ts';
import { packageVersion } from '../../src/cli/version.ts';

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
