/**
 * `--size 8T` (issue 11: "internal error: Maximum call stack size exceeded",
 * from spreading 200,000 metadata pieces into one push). An 8 TiB sparse image
 * has 65,536 block groups; writing their bitmaps takes 1-2 minutes and about
 * 700 MB of memory, so this runs only with MKROOTFS_HEAVY=1.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { e2fsckClean } from '../helpers/oracles.ts';

describe.skipIf(!process.env.MKROOTFS_HEAVY)('huge images (MKROOTFS_HEAVY=1)', () => {
  it('builds an 8 TiB sparse image that e2fsck -fn accepts', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mkrootfs-huge-'));
    mkdirSync(join(dir, 'tree/etc'), { recursive: true });
    writeFileSync(join(dir, 'tree/etc/hostname'), 'huge\n');
    const img = join(dir, 'huge.img');
    try {
      const r = spawnSync(process.execPath, [resolve('bin/mkrootfs.js'), 'build', '--from-dir', 'tree', '-o', img, '--size', '8T', '--inodes', '2000000'], {
        cwd: dir, encoding: 'utf8', env: { ...process.env, MKROOTFS_NO_BUNDLE: '1' }, timeout: 900_000,
      });
      expect(r.stderr).not.toContain('internal error');
      expect(r.status, r.stderr).toBe(0);
      expect(statSync(img).size).toBe(8 * 2 ** 40);
      e2fsckClean(img);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 1_200_000);
});
