/**
 * The recipe → tree step is pure: here it runs entirely on memfs (recipe,
 * sources, tar layer, device table), with a fixed epoch and no clock.
 */
import { describe, expect, it } from 'vitest';
import { Volume } from 'memfs';
import * as tarStream from 'tar-stream';
import { loadRecipe } from '../../src/recipe/load.ts';
import { recipeToTree } from '../../src/recipe/to-tree.ts';
import type { HostFs } from '../../src/recipe/host-fs.ts';
import { lookup, walk } from '../../src/tree/tree.ts';

async function tarOf(files: Record<string, string>): Promise<Buffer> {
  const pack = tarStream.pack();
  const chunks: Buffer[] = [];
  const done = new Promise<void>((res) => { pack.on('data', (c: unknown) => { chunks.push(c as Buffer); }); pack.on('end', () => res()); });
  for (const [name, body] of Object.entries(files)) pack.entry({ name, mtime: new Date(2_000_000_000_000), mode: 0o644 }, body);
  pack.finalize();
  await done;
  return Buffer.concat(chunks);
}

describe('recipeToTree on memfs', () => {
  it('builds the tree from in-memory host files with the epoch as the only time', async () => {
    const vol = Volume.fromJSON({
      '/p/recipe.yml': 'layers: [{ source: base.tar, dest: /opt }]\nfiles: [{ path: /etc/motd, source: motd }]\ndeviceTable: dev.txt\nhostname: mem\n',
      '/p/motd': 'from memfs\n',
      '/p/dev.txt': '/dev/ttyS c 600 0 0 4 64 0 1 2\n',
    });
    vol.writeFileSync('/p/base.tar', await tarOf({ 'a/b.txt': 'in tar' }));
    const fs = vol.promises as unknown as HostFs;
    const loaded = await loadRecipe({ recipePath: 'recipe.yml', cwd: '/p', fs });
    const tree = await recipeToTree({
      recipe: loaded.recipe, locate: loaded.locate, sources: loaded.sources, fs, epoch: 1234,
      importDir: async () => { throw new Error('no directory layers here'); },
    });
    const paths: string[] = [];
    walk(tree, (p, n) => { paths.push(`${p} ${n.type} ${n.mtime}`); });
    expect(paths).toEqual([
      '/ dir 1234',
      '/dev dir 1234',
      '/dev/ttyS0 char 1234',
      '/dev/ttyS1 char 1234',
      '/etc dir 1234',
      '/etc/hostname file 1234',
      '/etc/motd file 1234',
      '/opt dir 1234',
      '/opt/a dir 1234',
      '/opt/a/b.txt file 1234',
    ]);
    expect(lookup(tree, '/etc/motd')).toMatchObject({ content: { kind: 'host', path: '/p/motd', size: 11 } });
    expect(lookup(tree, '/dev/ttyS1')).toMatchObject({ major: 4, minor: 65 });
  });
});
