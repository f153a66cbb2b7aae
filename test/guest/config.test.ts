/** The kernel config fragment and the busybox .config edits. */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { configLine, parseConfigFragment, unmetSettings } from '../../src/guest/kernel.ts';
import { busyboxConfigEdits, editBusyboxConfig } from '../../src/guest/busybox.ts';
import { ASSETS_DIR } from '../../src/guest/index.ts';
import { MkrootfsError } from '../../src/errors.ts';

describe('kernel config fragment', () => {
  const fragment = parseConfigFragment(readFileSync(join(ASSETS_DIR, 'kernel.config'), 'utf8'));
  const bySymbol = new Map(fragment.map((s) => [s.symbol, s.value]));

  it('asks for what the board needs and trims what it lacks', () => {
    for (const on of ['EXT2_FS', 'VIRTIO_MMIO', 'VIRTIO_BLK', 'SERIAL_8250', 'SERIAL_8250_CONSOLE', 'SERIAL_OF_PLATFORM',
      'RTC_DRV_GOLDFISH', 'POWER_RESET_SYSCON', 'POWER_RESET_SYSCON_POWEROFF', 'DEVTMPFS', 'DEVTMPFS_MOUNT', 'TMPFS']) {
      expect(bySymbol.get(on), on).toBe('y');
    }
    for (const off of ['SMP', 'PCI', 'DRM', 'SOUND', 'USB', 'USB_SUPPORT', 'NFS_FS', 'FTRACE', 'DYNAMIC_DEBUG', 'FB', 'LOGO',
      'CGROUPS', 'TYPEC', 'INPUT_MOUSEDEV', 'MSDOS_FS', 'VFAT_FS', 'EXFAT_FS', 'EXT3_FS', 'BLK_DEV_NBD', 'VIRTIO_INPUT', 'VIRTIO_PCI']) {
      expect(bySymbol.get(off), off).toBe('n');
    }
  });

  it('parses values, keeps line numbers, and rejects a malformed line with file:line', () => {
    expect(parseConfigFragment('# a comment\n\nCONFIG_A=y\n# CONFIG_B is not set\nCONFIG_C="x y"\nCONFIG_D=0x10\n')).toEqual([
      { symbol: 'A', value: 'y', line: 3 }, { symbol: 'B', value: 'n', line: 4 },
      { symbol: 'C', value: '"x y"', line: 5 }, { symbol: 'D', value: '0x10', line: 6 },
    ]);
    let err: unknown;
    try { parseConfigFragment('CONFIG_A=y\nSMP=n\n', 'frag.config'); } catch (e) { err = e; }
    expect(err).toBeInstanceOf(MkrootfsError);
    expect((err as MkrootfsError).code).toBe('GUEST_BAD_CONFIG');
    expect((err as MkrootfsError).message).toContain('frag.config:2');
  });

  it('finds settings the final .config does not honour (a disabled symbol may vanish)', () => {
    const frag = parseConfigFragment('CONFIG_A=y\n# CONFIG_B is not set\n# CONFIG_GONE is not set\nCONFIG_S="v"\nCONFIG_LOST=y\n');
    const config = 'CONFIG_A=y\nCONFIG_B=y\nCONFIG_S="v"\n';
    expect(unmetSettings(frag, config).map(configLine)).toEqual(['# CONFIG_B is not set', 'CONFIG_LOST=y']);
  });
});

describe('busybox .config edits', () => {
  it('sets static linking and the cross prefix, drops tc, maps the build path, and keeps the rest', () => {
    const before = 'CONFIG_DESKTOP=y\n# CONFIG_STATIC is not set\nCONFIG_CROSS_COMPILER_PREFIX=""\nCONFIG_EXTRA_CFLAGS=""\nCONFIG_TC=y\nCONFIG_TCPSVD=y\n';
    const after = editBusyboxConfig(before, busyboxConfigEdits('/b/src'));
    expect(after).toBe('CONFIG_DESKTOP=y\nCONFIG_STATIC=y\nCONFIG_CROSS_COMPILER_PREFIX="or1k-linux-musl-"\n'
      + 'CONFIG_EXTRA_CFLAGS="-ffile-prefix-map=/b/src=."\n# CONFIG_TC is not set\nCONFIG_TCPSVD=y\n');
  });

  it('appends settings the config did not mention', () => {
    expect(editBusyboxConfig('CONFIG_X=y', { STATIC: 'y', TC: null })).toBe('CONFIG_X=y\nCONFIG_STATIC=y\n# CONFIG_TC is not set');
  });
});
