/**
 * bootImage (src/boot/boot-image.ts), the library's boot check, on a real
 * image and kernel: boots after the first in a process are seeded with the
 * previous boot's translations (src/boot/translations.ts), and that changes
 * nothing the guest does: the console and the instruction count are those
 * of the JavaScript interpreter alone.
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bootImage, type BootImageOptions } from '../../src/boot/boot-image.ts';
import { buildFromRecipe } from '../../src/pipeline.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const work = mkdtempSync(join(tmpdir(), 'boot-image-'));

describe('bootImage', () => {
  it('seeds a boot with the previous boot\'s translations of the same kernel: same console and instruction count as the JavaScript interpreter', async () => {
    const built = await buildFromRecipe({ recipePath: join(ROOT, 'recipes/busybox.yml'), output: join(work, 'rootfs.img'), env: process.env });
    const opts: BootImageOptions = {
      image: built.path,
      // MKROOTFS_TEST_KERNEL: another vmlinux than the guest cache's, as in test/e2e/boot.test.ts.
      ...(process.env.MKROOTFS_TEST_KERNEL ? { kernel: process.env.MKROOTFS_TEST_KERNEL } : {}),
      append: 'console=ttyS0 root=/dev/vda rw mkrootfs.poweroff',
      expect: ['mkrootfs: boot OK', 'reboot: Power down'],
      timeoutS: 60,
      env: { ...process.env, MKROOTFS_NO_TRANSLATION_CACHE: '' },
    };
    const first = await bootImage(opts);
    const second = await bootImage(opts);
    const unseeded = await bootImage({ ...opts, translationCache: false });
    const interp = await bootImage({ ...opts, jit: false });
    for (const r of [first, second, unseeded, interp]) expect(r.ok, `${r.status}: ${r.message}\n${r.lastLines.join('\n')}`).toBe(true);
    // The first boot of the kernel in this process translates; the second
    // restores those pages and has little left to translate.
    expect(first.jit).toMatchObject({ enabled: true, restoredPages: 0 });
    expect(first.jit.translations).toBeGreaterThan(0);
    expect(second.jit.restoredPages).toBeGreaterThan(0);
    expect(second.jit.translations).toBeLessThan(first.jit.translations);
    expect(unseeded.jit.restoredPages).toBe(0);
    expect(interp.jit).toEqual({ enabled: false, translations: 0, restoredPages: 0, retiredTranslated: 0 });
    // Some of each translated boot ran in translated code, more of the seeded one's.
    for (const r of [first, second]) expect(r.jit.retiredTranslated).toBeGreaterThan(0);
    expect(second.jit.retiredTranslated).toBeGreaterThan(first.jit.retiredTranslated);
    expect(second.jit.retiredTranslated).toBeLessThan(second.instructions);
    for (const r of [first, second, unseeded]) {
      expect(r.console).toBe(interp.console);
      expect(r.instructions).toBe(interp.instructions);
    }
  });
});
