/** Debian package checks against the real dpkg database. */
import { describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensurePackages, findDsc, installCommand, installedVersions, KEY_PACKAGES, REQUIRED_PACKAGES } from '../../src/guest/packages.ts';
import type { StepContext } from '../../src/guest/step.ts';
import { MkrootfsError } from '../../src/errors.ts';

const ctx: StepContext = { logs: mkdtempSync(join(tmpdir(), 'guest-pkg-')), env: { PATH: process.env.PATH! }, progress: () => {}, now: () => 0 };

describe('Debian packages', () => {
  it('reads installed versions with dpkg-query and leaves unknown packages out', async () => {
    const v = await installedVersions([...KEY_PACKAGES, 'mkrootfs-no-such-package']);
    expect(Object.keys(v).sort()).toEqual([...KEY_PACKAGES].sort());
    expect(v['linux-source-6.12']).toMatch(/^6\.12\.\d+/);
    expect(v['gcc-or1k-elf']).toMatch(/^12\./);
  });

  it('remembers the versions in memoDir while the dpkg database is unchanged, and only for the same names', async () => {
    const memoDir = mkdtempSync(join(tmpdir(), 'mkrootfs-dpkg-memo-'));
    const names = [...KEY_PACKAGES, 'mkrootfs-no-such-package'];
    const direct = await installedVersions(names);
    expect(await installedVersions(names, { memoDir })).toEqual(direct);
    const file = join(memoDir, 'dpkg-versions.json');
    expect(existsSync(file)).toBe(true);
    // A memo with the current stamp is believed (this is what spares dpkg-query) ...
    const memo = JSON.parse(readFileSync(file, 'utf8')) as { id: string; versions: Record<string, string> };
    const fresh = mkdtempSync(join(tmpdir(), 'mkrootfs-dpkg-memo-'));
    writeFileSync(join(fresh, 'dpkg-versions.json'), JSON.stringify({ id: memo.id, versions: { 'gcc-or1k-elf': 'remembered' } }));
    expect(await installedVersions(names, { memoDir: fresh })).toEqual({ 'gcc-or1k-elf': 'remembered' });
    // ... one from another dpkg database state, or for other names, is not.
    const stale = mkdtempSync(join(tmpdir(), 'mkrootfs-dpkg-memo-'));
    writeFileSync(join(stale, 'dpkg-versions.json'), JSON.stringify({ id: memo.id.replace(/^\d+/, '1'), versions: {} }));
    expect(await installedVersions(names.slice(0, 2), { memoDir: stale })).toEqual(await installedVersions(names.slice(0, 2)));
  });

  it('needs the guest toolchain, kernel source and kernel build tools', () => {
    for (const p of ['gcc-or1k-elf', 'binutils-or1k-elf', 'linux-source-6.12', 'bc', 'flex', 'bison', 'libelf-dev', 'dpkg-dev']) {
      expect(REQUIRED_PACKAGES).toContain(p);
    }
  });

  it('as a normal user, a missing package is an error carrying the exact apt-get command', async () => {
    const err = await ensurePackages(ctx, { root: false, packages: ['bc', 'mkrootfs-no-such-package'] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MkrootfsError);
    const e = err as MkrootfsError;
    expect(e.code).toBe('GUEST_PACKAGES_MISSING');
    expect(e.exitCode).toBe(1);
    expect(e.message).toContain('sudo apt-get install -y --no-install-recommends mkrootfs-no-such-package');
    expect(e.data).toEqual({ missing: ['mkrootfs-no-such-package'], command: installCommand(['mkrootfs-no-such-package']) });
  });

  it('returns versions when everything is installed', async () => {
    const v = await ensurePackages(ctx, { root: false, packages: ['bc', 'flex'] });
    expect(Object.keys(v).sort()).toEqual(['bc', 'flex']);
  });

  it('finds a downloaded source package by its .dsc', () => {
    const dir = mkdtempSync(join(tmpdir(), 'guest-src-'));
    expect(findDsc(dir, 'musl')).toBeUndefined();
    writeFileSync(join(dir, 'musl_1.2.3-1.dsc'), '');
    writeFileSync(join(dir, 'musl-extra_9.dsc'), '');
    writeFileSync(join(dir, 'busybox_1.35.0-4+deb12u1.dsc'), '');
    expect(findDsc(dir, 'musl')).toBe(join(dir, 'musl_1.2.3-1.dsc'));
    expect(findDsc(dir, 'busybox')).toBe(join(dir, 'busybox_1.35.0-4+deb12u1.dsc'));
  });
});
