/**
 * One SOURCE_DATE_EPOCH parser (src/source-date-epoch.ts) for recipes,
 * --from-dir and boot, bounded by what an ext2 inode written here can hold.
 * Before: 99999999999 wrapped silently with --from-dir, recipes rejected
 * anything past 2^32 − 1, and boot ignored malformed values.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseSourceDateEpoch, SOURCE_DATE_EPOCH_MAX } from '../../src/source-date-epoch.ts';
import { EXT2_TIME_MAX } from '../../src/ext2/time-range.ts';
import { decodeTime, encodeInode, decodeInode } from '../../src/ext2/inode.ts';
import { INODE_SIZE } from '../../src/ext2/layout.ts';
import { e2fsck } from '../helpers/oracles.ts';
import { project, spawnCli } from './helpers.ts';

/** The mtime debugfs reads for a path, with the *_extra epoch bits applied. */
function debugfsMtime(img: string, path: string): number {
  const out = spawnSync('debugfs', ['-R', `stat "${path}"`, img], { encoding: 'latin1' }).stdout;
  const m = /mtime: 0x([0-9a-f]+):([0-9a-f]+)/.exec(out);
  if (!m) throw new Error(`no mtime for ${path}:\n${out}`);
  return decodeTime(parseInt(m[1]!, 16), parseInt(m[2]!, 16));
}

describe('parseSourceDateEpoch', () => {
  it('accepts whole seconds from 0 to the last time an inode holds', () => {
    expect(parseSourceDateEpoch({})).toBeUndefined();
    expect(parseSourceDateEpoch({ SOURCE_DATE_EPOCH: '' })).toBeUndefined();
    expect(parseSourceDateEpoch({ SOURCE_DATE_EPOCH: '0' })).toBe(0);
    expect(parseSourceDateEpoch({ SOURCE_DATE_EPOCH: '1700000000' })).toBe(1_700_000_000);
    expect(parseSourceDateEpoch({ SOURCE_DATE_EPOCH: '4294967296' })).toBe(2 ** 32);
    expect(parseSourceDateEpoch({ SOURCE_DATE_EPOCH: String(SOURCE_DATE_EPOCH_MAX) })).toBe(SOURCE_DATE_EPOCH_MAX);
  });

  it.each(['99999999999', String(SOURCE_DATE_EPOCH_MAX + 1), '9'.repeat(400), '-1', '1.5', ' 17', '1e9', '0x10', 'yesterday'])('rejects %s with a coded error', (value) => {
    let err: unknown;
    try { parseSourceDateEpoch({ SOURCE_DATE_EPOCH: value }); } catch (e) { err = e; }
    expect(err).toMatchObject({ code: 'BAD_SOURCE_DATE_EPOCH', exitCode: 2 });
    expect((err as Error).message.length).toBeLessThan(200);
    expect((err as { hint?: string }).hint).toBeTruthy();
  });

  it('the bound is exactly the range the inode encoder round-trips (no silent wrap)', () => {
    expect(SOURCE_DATE_EPOCH_MAX).toBe(EXT2_TIME_MAX);
    const roundTrip = (t: number): number => {
      const buf = new Uint8Array(INODE_SIZE);
      encodeInode({ mode: 0o100644, uid: 0, gid: 0, size: 0, time: t, linksCount: 1, sectors: 0, block: new Uint32Array(15) }, buf, 0);
      return decodeInode(buf, 0).time;
    };
    for (const t of [0, 2 ** 31 - 1, 2 ** 31, 2 ** 32, 99_999_999, EXT2_TIME_MAX]) expect(roundTrip(t)).toBe(t);
    expect(roundTrip(EXT2_TIME_MAX + 1)).not.toBe(EXT2_TIME_MAX + 1);
  });
});

describe('SOURCE_DATE_EPOCH in every command', () => {
  const dir = project({ 'recipe.yml': 'files:\n  - { path: /etc/motd, content: hi }\n' });
  mkdirSync(join(dir, 'tree/etc'), { recursive: true });
  writeFileSync(join(dir, 'tree/etc/motd'), 'hi\n');
  writeFileSync(join(dir, 'kernel'), 'not an ELF');

  it('99999999999 is refused by build (recipe and --from-dir) and boot, before any work', () => {
    const env = { SOURCE_DATE_EPOCH: '99999999999' };
    for (const args of [['build', 'recipe.yml', '-o', 'r.img'], ['build', '--from-dir', 'tree', '-o', 'd.img'], ['boot', '--kernel', 'kernel', '--print-machine']]) {
      const r = spawnCli(args, { cwd: dir, env });
      expect(r.status, `${args.join(' ')}: ${r.stderr}`).toBe(2);
      expect(r.stderr).toContain('[BAD_SOURCE_DATE_EPOCH]');
      expect(r.stderr).toContain('out of range');
    }
  });

  it('a malformed value is refused by boot too (it used to mean 0)', () => {
    const r = spawnCli(['boot', '--kernel', 'kernel', '--print-machine'], { cwd: dir, env: { SOURCE_DATE_EPOCH: 'yesterday' } });
    expect(r.status, r.stderr).toBe(2);
    expect(r.stderr).toContain('[BAD_SOURCE_DATE_EPOCH]');
  });

  it('a time past 2038 (and the last one) is stored exactly by recipes and --from-dir alike', () => {
    for (const epoch of [5_000_000_000, SOURCE_DATE_EPOCH_MAX]) {
      const env = { SOURCE_DATE_EPOCH: String(epoch) };
      const r = spawnCli(['build', 'recipe.yml', '-o', 'late-r.img'], { cwd: dir, env });
      expect(r.status, r.stderr).toBe(0);
      const d = spawnCli(['build', '--from-dir', 'tree', '-o', 'late-d.img'], { cwd: dir, env });
      expect(d.status, d.stderr).toBe(0);
      for (const img of ['late-r.img', 'late-d.img']) expect(e2fsck(join(dir, img)).status, img).toBe(0);
      expect(debugfsMtime(join(dir, 'late-r.img'), '/etc/motd')).toBe(epoch);
    }
  });
});
