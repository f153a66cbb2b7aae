/**
 * busybox from the guest build: a static or1k binary whose applets run under
 * qemu-or1k, and reproducible — rebuilt twice from source in two different
 * directories, the binary is byte-identical to the cached one.
 * (The kernel's reproducibility is checked by hand; a second kernel build is
 * too slow for a unit test. See src/guest/README.md.)
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { buildGuest, GUEST_EPOCH, type GuestResult } from '../../src/guest/index.ts';
import { buildBusybox } from '../../src/guest/busybox.ts';
import { findDsc } from '../../src/guest/packages.ts';
import { guestDirs, resolveCacheDir } from '../../src/guest/cache.ts';
import type { StepContext } from '../../src/guest/step.ts';

let guest: GuestResult;
const sha256 = (p: string): string => createHash('sha256').update(readFileSync(p)).digest('hex');

beforeAll(async () => {
  guest = await buildGuest();
});

describe('guest busybox', () => {
  it('is the make-install tree with a static busybox whose applets run under qemu-or1k', () => {
    const bin = join(guest.busybox, 'bin', 'busybox');
    expect(readlinkSync(join(guest.busybox, 'bin', 'sh'))).toBe('busybox');
    expect(existsSync(join(guest.busybox, 'sbin', 'init'))).toBe(true);
    expect(existsSync(join(guest.busybox, 'linuxrc'))).toBe(true);
    const hdr = spawnSync('or1k-elf-readelf', ['-h', '-l', bin], { encoding: 'utf8' }).stdout;
    expect(hdr).toContain('OpenRISC');
    expect(hdr).not.toMatch(/INTERP|DYNAMIC/);
    const echo = spawnSync('qemu-or1k', [bin, 'echo', 'applet', 'ok'], { encoding: 'utf8' });
    expect(echo.stdout).toBe('applet ok\n');
    const banner = spawnSync('qemu-or1k', [bin], { encoding: 'utf8' }).stdout;
    // No build date or host in the banner: reproducible bytes.
    expect(banner).toMatch(/^BusyBox v1\.35\.0 \S*\s*multi-call binary/);
    expect(banner.split('\n')[0]).not.toMatch(/20\d\d-\d\d-\d\d/);
    expect(spawnSync('qemu-or1k', [bin, 'tc'], { encoding: 'utf8' }).stderr).toMatch(/applet not found/);
  });

  it('rebuilds byte-identically from source in other directories', async () => {
    const cacheDir = resolveCacheDir({ env: process.env });
    const dsc = findDsc(guestDirs(cacheDir, guest.key).sources, 'busybox')!;
    expect(dsc).toBeDefined();
    const hashes: string[] = [];
    for (const name of ['one', 'other-longer-name']) {
      const root = mkdtempSync(join(tmpdir(), `busybox-repro-${name}-`));
      const logs = join(root, 'logs');
      mkdirSync(logs);
      const ctx: StepContext = { logs, env: { PATH: process.env.PATH!, LC_ALL: 'C', TZ: 'UTC' }, progress: () => {}, now: () => performance.now() };
      await buildBusybox(ctx, { dsc, workDir: root, binDir: dirname(guest.cc), installDir: join(root, 'install'), jobs: 3, epoch: GUEST_EPOCH });
      hashes.push(sha256(join(root, 'install', 'bin', 'busybox')));
      rmSync(root, { recursive: true, force: true });
    }
    expect(hashes[0]).toBe(hashes[1]);
    expect(hashes[0]).toBe(sha256(join(guest.busybox, 'bin', 'busybox')));
  }, 900_000);
});
