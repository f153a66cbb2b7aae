/**
 * SOURCE_DATE_EPOCH: every time in the image is clamped to it (host files
 * from the future, generated files), and builds are reproducible.
 */
import { describe, expect, it } from 'vitest';
import { mkdirSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildIn, listImage, project } from './helpers.ts';
import { debugfsStats } from '../helpers/oracles.ts';

function setup(): string {
  const dir = project({
    'recipe.yml': 'layers: [{ source: tree }]\nfiles: [{ path: /etc/motd, content: hi }]\nmounts: [{ device: proc, path: /proc, type: proc }]\n',
  });
  mkdirSync(join(dir, 'tree/old'), { recursive: true });
  writeFileSync(join(dir, 'tree/old/file'), 'old');
  writeFileSync(join(dir, 'tree/future'), 'future');
  utimesSync(join(dir, 'tree/old/file'), 1_000_000, 1_000_000);
  utimesSync(join(dir, 'tree/old'), 1_000_000, 1_000_000);
  utimesSync(join(dir, 'tree/future'), 4_000_000_000, 4_000_000_000);
  utimesSync(join(dir, 'tree'), 4_000_000_000, 4_000_000_000);
  return dir;
}

describe('SOURCE_DATE_EPOCH', () => {
  it('clamps every time; entries the recipe makes get exactly the epoch', async () => {
    const dir = setup();
    const { img } = await buildIn(dir, { env: { SOURCE_DATE_EPOCH: '1700000000' } });
    const paths = [...listImage(img).keys()];
    const stats = debugfsStats(img, ['/', ...paths]);
    const times = Object.fromEntries(['/', ...paths].map((p, i) => [p, stats[i]!.mtime]));
    expect(times).toEqual({
      '/': 1700000000,
      '/etc': 1700000000,
      '/etc/fstab': 1700000000,
      '/etc/motd': 1700000000,
      '/future': 1700000000,
      '/old': 1_000_000,
      '/old/file': 1_000_000,
      '/proc': 1700000000,
    });
  });

  it('without SOURCE_DATE_EPOCH the clamp is 0: no clock is ever read', async () => {
    const dir = setup();
    const { img } = await buildIn(dir, { env: { SOURCE_DATE_EPOCH: '' } });
    const stats = debugfsStats(img, ['/', '/old/file', '/etc/motd', '/future']);
    expect(stats.map((s) => s.mtime)).toEqual([0, 0, 0, 0]);
  });

  it('two builds of the same inputs are byte-identical; a different epoch changes them', async () => {
    const dir = setup();
    const a = await buildIn(dir, { output: 'a.img', env: { SOURCE_DATE_EPOCH: '1700000000' } });
    const b = await buildIn(dir, { output: 'b.img', env: { SOURCE_DATE_EPOCH: '1700000000' } });
    const c = await buildIn(dir, { output: 'c.img', env: { SOURCE_DATE_EPOCH: '1700000001' } });
    expect(a.summary.sha256).toBe(b.summary.sha256);
    expect(c.summary.sha256).not.toBe(a.summary.sha256);
  });

  it('rejects a malformed SOURCE_DATE_EPOCH', async () => {
    await expect(buildIn(setup(), { env: { SOURCE_DATE_EPOCH: 'yesterday' } })).rejects.toMatchObject({ code: 'BAD_SOURCE_DATE_EPOCH', exitCode: 2 });
  });
});
