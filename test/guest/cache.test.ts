/** Cache key and layout: stable for equal inputs, different for any changed input. */
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { GUEST_BUILD_REVISION, guestDirs, guestKey, guestLayout, kernelKey, or1ksimKernelKey, resolveCacheDir, type GuestKeyInputs } from '../../src/guest/cache.ts';
import { assetHashes, ASSETS_DIR } from '../../src/guest/index.ts';

// Made-up inputs (the versions need not be installed): the golden key below is a function of these literals
// alone, so it does not change when Debian's packages move to a new point release.
const inputs: GuestKeyInputs = {
  packages: { 'linux-source-6.12': '6.12.117-1~deb12u1', 'gcc-or1k-elf': '12.2.0-14+deb12u1+1.0.4+b2', 'binutils-or1k-elf': '2.40-2+1.0.7+b1' },
  sources: { busybox: 'a'.repeat(64), musl: 'b'.repeat(64) },
  assets: { 'kernel.config': 'c'.repeat(64) },
};

describe('guestKey', () => {
  it('is 16 hex digits and a fixed function of the inputs (golden value)', () => {
    expect(GUEST_BUILD_REVISION).toBe(1);
    // If this changes, every cached guest is rebuilt: change it only on purpose.
    expect(guestKey(inputs)).toBe(guestKey(structuredClone(inputs)));
    expect(guestKey(inputs)).toMatch(/^[0-9a-f]{16}$/);
    expect(guestKey(inputs)).toMatchInlineSnapshot(`"473592bb5718b6d0"`);
  });

  it('does not depend on the order of keys in the records', () => {
    const reordered: GuestKeyInputs = {
      assets: { ...inputs.assets },
      sources: { musl: inputs.sources.musl!, busybox: inputs.sources.busybox! },
      packages: Object.fromEntries(Object.entries(inputs.packages).reverse()),
    };
    expect(guestKey(reordered)).toBe(guestKey(inputs));
  });

  it('changes when any package version, source or asset changes', () => {
    const base = guestKey(inputs);
    const variants: GuestKeyInputs[] = [
      { ...inputs, packages: { ...inputs.packages, 'linux-source-6.12': '6.12.118-1~deb12u1' } },
      { ...inputs, packages: { ...inputs.packages, 'gcc-or1k-elf': '12.2.0-15' } },
      { ...inputs, sources: { ...inputs.sources, musl: 'd'.repeat(64) } },
      { ...inputs, assets: { ...inputs.assets, 'kernel.config': 'e'.repeat(64) } },
      { ...inputs, assets: { ...inputs.assets, 'new-asset': 'f'.repeat(64) } },
    ];
    const keys = new Set(variants.map(guestKey));
    expect(keys.size).toBe(variants.length);
    expect(keys.has(base)).toBe(false);
  });

  it('or1ksimKernelKey depends on the kernel source and toolchain only (no fragment), and differs from the virt kernel\'s', () => {
    const k = or1ksimKernelKey(inputs.packages);
    expect(k).toMatch(/^[0-9a-f]{16}$/);
    expect(k).not.toBe(kernelKey(inputs));
    expect(or1ksimKernelKey({ ...inputs.packages, 'busybox': 'other' })).toBe(k);
    expect(or1ksimKernelKey({ ...inputs.packages, 'linux-source-6.12': '6.12.200-1' })).not.toBe(k);
    expect(guestDirs('/c', 'x').kernelOr1ksim(k)).toBe(`/c/guest/kernel-or1ksim-${k}`);
  });

  it('kernelKey depends only on the kernel inputs, so userland changes reuse the built kernel', () => {
    const k = kernelKey(inputs);
    expect(k).toMatch(/^[0-9a-f]{16}$/);
    expect(kernelKey({ ...inputs, sources: { busybox: '0'.repeat(64), musl: '1'.repeat(64) } })).toBe(k);
    expect(kernelKey({ ...inputs, assets: { ...inputs.assets, 'or1k-linux-musl-gcc.in': '2'.repeat(64) } })).toBe(k);
    expect(kernelKey({ ...inputs, assets: { ...inputs.assets, 'kernel.config': '3'.repeat(64) } })).not.toBe(k);
    expect(kernelKey({ ...inputs, packages: { ...inputs.packages, 'linux-source-6.12': '6.12.200-1' } })).not.toBe(k);
    expect(kernelKey({ ...inputs, packages: { ...inputs.packages, 'binutils-or1k-elf': '2.41-1' } })).not.toBe(k);
  });

  it('hashes every shipped asset (kernel fragment, linker script, wrapper template)', () => {
    const h = assetHashes(ASSETS_DIR);
    expect(Object.keys(h)).toEqual(['kernel.config', 'or1k-linux-musl-gcc.in', 'or1k-linux-musl.ld']);
    for (const v of Object.values(h)) expect(v).toMatch(/^[0-9a-f]{64}$/);
    expect(assetHashes(ASSETS_DIR)).toEqual(h);
  });
});

describe('cache directory and layout', () => {
  it('prefers --cache-dir, then MKROOTFS_CACHE_DIR, then XDG_CACHE_HOME, then ~/.cache', () => {
    const env = { HOME: '/home/u', XDG_CACHE_HOME: '/xdg', MKROOTFS_CACHE_DIR: '/env-cache' };
    expect(resolveCacheDir({ cacheDir: 'rel', env, cwd: '/w' })).toBe('/w/rel');
    expect(resolveCacheDir({ env, cwd: '/w' })).toBe('/env-cache');
    expect(resolveCacheDir({ env: { HOME: '/home/u', XDG_CACHE_HOME: '/xdg' }, cwd: '/w' })).toBe('/xdg/mkrootfs');
    expect(resolveCacheDir({ env: { HOME: '/home/u' }, cwd: '/w' })).toBe('/home/u/.cache/mkrootfs');
  });

  it('puts every output under <cache>/guest/<key>', () => {
    const d = guestDirs('/c', '0123456789abcdef');
    expect(d).toMatchObject({
      root: '/c/guest', final: '/c/guest/0123456789abcdef', build: '/c/guest/.build-0123456789abcdef',
      lock: '/c/guest/.lock-0123456789abcdef', sources: '/c/sources',
    });
    expect(d.kernel('fedcba9876543210')).toBe('/c/guest/kernel-fedcba9876543210');
    const l = guestLayout(d.final, 'k');
    expect(l).toEqual({
      key: 'k', dir: d.final, kernel: join(d.final, 'vmlinux'), busybox: join(d.final, 'busybox'),
      cc: join(d.final, 'bin/or1k-linux-musl-gcc'), sysroot: join(d.final, 'sysroot'), logs: join(d.final, 'logs'),
    });
  });
});
