/** guestVar (recipes' ${guest.KEY}) and `mkrootfs guest --print` against the real cache. */
import { beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildGuest, type GuestResult } from '../../src/guest/index.ts';
import { guestVar } from '../../src/guest/vars.ts';
import { MkrootfsError } from '../../src/errors.ts';
import { guestDirs, resolveCacheDir } from '../../src/guest/cache.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
let guest: GuestResult;

beforeAll(async () => {
  guest = await buildGuest();
});

function mkrootfs(args: string[], env: Record<string, string | undefined> = process.env) {
  return spawnSync(process.execPath, [join(ROOT, 'bin/mkrootfs.js'), ...args], { encoding: 'utf8', env: env as NodeJS.ProcessEnv, timeout: 120_000 });
}

describe('guestVar', () => {
  it('resolves kernel, busybox, cc, sysroot and dir to existing paths of the cached build', async () => {
    expect(await guestVar('kernel')).toBe(guest.kernel);
    expect(statSync(await guestVar('kernel')).size).toBeGreaterThan(1 << 20);
    expect(existsSync(join(await guestVar('busybox'), 'bin', 'busybox'))).toBe(true);
    expect(statSync(await guestVar('cc')).mode & 0o111).not.toBe(0);
    expect(existsSync(join(await guestVar('sysroot'), 'lib', 'libc.a'))).toBe(true);
    expect(await guestVar('dir')).toBe(guest.dir);
    expect(await guestVar('kernel', { build: false })).toBe(guest.kernel);
  });

  it('rejects an unknown key with the list of valid ones (usage error)', async () => {
    await expect(guestVar('vmlinuz')).rejects.toMatchObject({ code: 'GUEST_UNKNOWN_VAR', exitCode: 2 });
  });

  it('with build:false and an empty cache, throws GUEST_NOT_BUILT with hint "run: mkrootfs guest"', async () => {
    const cacheDir = mkdtempSync(join(tmpdir(), 'empty-cache-'));
    const err = await guestVar('kernel', { cacheDir, build: false }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MkrootfsError);
    expect((err as MkrootfsError).code).toBe('GUEST_NOT_BUILT');
    expect((err as MkrootfsError).hint).toBe('run: mkrootfs guest');
  });
});

describe('an interrupted build', () => {
  it('is never taken for a cached one: only a renamed, complete directory counts', async () => {
    const cacheDir = mkdtempSync(join(tmpdir(), 'half-cache-'));
    symlinkSync(guestDirs(resolveCacheDir({ env: process.env }), guest.key).sources, join(cacheDir, 'sources'));
    const dirs = guestDirs(cacheDir, guest.key);
    // What a build killed in its kernel step leaves behind.
    mkdirSync(join(dirs.build, 'out', 'logs'), { recursive: true });
    writeFileSync(join(dirs.build, 'out', 'vmlinux'), 'half');
    const err = await buildGuest({ cacheDir, build: false }).catch((e: unknown) => e);
    expect((err as MkrootfsError).code).toBe('GUEST_NOT_BUILT');
    expect((err as MkrootfsError).message).toContain(`no guest build for key ${guest.key}`);
    // A final directory without its manifest (written last) is not complete either.
    mkdirSync(dirs.final, { recursive: true });
    writeFileSync(join(dirs.final, 'vmlinux'), 'half');
    await expect(buildGuest({ cacheDir, build: false })).rejects.toMatchObject({ code: 'GUEST_NOT_BUILT' });
  });
});

describe('mkrootfs guest --print', () => {
  it('prints the cached paths as JSON, without building', () => {
    const r = mkrootfs(['guest', '--print', '--no-build']);
    expect(r.status).toBe(0);
    const json = JSON.parse(r.stdout) as Record<string, string>;
    expect(Object.keys(json)).toEqual(['key', 'dir', 'kernel', 'kernelOr1ksim', 'busybox', 'cc', 'sysroot', 'logs']);
    // The or1ksim_defconfig kernel: its path once built (mkrootfs guest), null until then.
    if (json.kernelOr1ksim !== null) expect(statSync(json.kernelOr1ksim!).size).toBeGreaterThan(1 << 20);
    expect(json).toMatchObject({ key: guest.key, dir: guest.dir, kernel: guest.kernel, busybox: guest.busybox, cc: guest.cc, sysroot: guest.sysroot, logs: guest.logs });
    for (const step of ['kernel-build', 'musl', 'busybox-build']) expect(existsSync(join(json.logs!, `${step}.log`))).toBe(true);
  });

  it('--no-build with an empty --cache-dir exits 1 with GUEST_NOT_BUILT and the hint', () => {
    const cacheDir = mkdtempSync(join(tmpdir(), 'empty-cache-'));
    const r = mkrootfs(['guest', '--print', '--no-build', '--cache-dir', cacheDir]);
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('[GUEST_NOT_BUILT]');
    expect(r.stderr).toContain('hint: run: mkrootfs guest');
  });

  it('honours MKROOTFS_CACHE_DIR', () => {
    const cacheDir = mkdtempSync(join(tmpdir(), 'env-cache-'));
    const r = mkrootfs(['guest', '--print', '--no-build'], { ...process.env, MKROOTFS_CACHE_DIR: cacheDir });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(cacheDir);
  });
});
