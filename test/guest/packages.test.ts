/** Debian package checks against the real dpkg database. */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
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
