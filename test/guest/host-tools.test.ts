/**
 * The guest build's host tool check, against this machine's real PATH and
 * dpkg database (scripts/setup has installed everything), and against a PATH
 * from which one tool has been taken away — what a fresh machine looks like.
 */
import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, realpathSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkHostTools, findOnPath, HOST_TOOLS, missingHostTools } from '../../src/guest/host-tools.ts';
import { REQUIRED_PACKAGES } from '../../src/guest/packages.ts';
import { MkrootfsError } from '../../src/errors.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const PATH = process.env.PATH!;
/** Packages every Debian system has (Essential: yes): setup need not install them. */
const ESSENTIAL = ['tar', 'coreutils', 'perl-base'];

/** The packages dpkg says own `file` (on a merged-/usr system dpkg may record /bin/x for /usr/bin/x). */
function dpkgOwners(file: string): string[] {
  for (const candidate of [file, file.replace(/^\/usr\//, '/')]) {
    try {
      const line = execFileSync('dpkg-query', ['-S', candidate], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).split('\n')[0]!;
      return line.slice(0, line.lastIndexOf(': ')).split(', ').map((o) => o.replace(/:.*$/, ''));
    } catch {
      // not recorded under this name
    }
  }
  return [];
}

/** A directory of links to every command tool except `without`. */
function pathWithout(without: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'host-tools-'));
  for (const t of HOST_TOOLS) {
    if (t.need.startsWith('/') || t.need === without) continue;
    symlinkSync(findOnPath(t.need, PATH)!, join(dir, t.need));
  }
  return dir;
}

describe('guest host tools', () => {
  it('are all present on a machine prepared by scripts/setup', () => {
    expect(missingHostTools(PATH)).toEqual([]);
    expect(() => checkHostTools(PATH)).not.toThrow();
  });

  it('each comes from the Debian package it names (dpkg -S)', () => {
    for (const t of HOST_TOOLS) {
      const file = t.need.startsWith('/') ? t.need : findOnPath(t.need, PATH)!;
      // The name itself (gcc -> gcc), else what it links to (xz -> /usr/bin/xz on merged /usr).
      const owners = dpkgOwners(file);
      expect(owners.length > 0 ? owners : dpkgOwners(realpathSync(file)), `${t.need} -> ${file}`).toContain(t.pkg);
    }
  });

  it('a missing rsync stops the build before it starts, naming the tool and the apt command', () => {
    const err = (() => {
      try {
        checkHostTools(pathWithout('rsync'));
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(MkrootfsError);
    const e = err as MkrootfsError;
    expect(e.code).toBe('GUEST_TOOLS_MISSING');
    expect(e.message).toContain('rsync (Debian package rsync), for the kernel\'s headers_install');
    expect(e.message).toContain('sudo apt-get install -y --no-install-recommends rsync');
    expect(e.data).toMatchObject({ missing: ['rsync'], packages: ['rsync'] });
  });

  it('scripts/setup installs every package the guest build needs', () => {
    const setup = readFileSync(join(ROOT, 'scripts/setup'), 'utf8');
    const listed = /packages=\(([\s\S]*?)\n\)/.exec(setup)![1]!.split('\n').filter((l) => !l.trim().startsWith('#')).join(' ').split(/\s+/).filter(Boolean);
    for (const p of REQUIRED_PACKAGES) expect(listed, `scripts/setup lacks ${p}`).toContain(p);
    for (const t of HOST_TOOLS) {
      if (ESSENTIAL.includes(t.pkg) || t.pkg === 'patch') continue; // patch: a dependency of dpkg-dev
      expect(REQUIRED_PACKAGES, `${t.need}: ${t.pkg}`).toContain(t.pkg);
    }
  });
});
