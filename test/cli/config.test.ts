/**
 * Tool defaults (src/cli/config.ts): found in every place cosmiconfig
 * searches, also through the quick "no config can exist" check that spares
 * `mkrootfs boot` from loading cosmiconfig; the search stops at the nearest
 * package.json; no config gives no settings.
 */
import { describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { loadToolConfig } from '../../src/cli/config.ts';

function tree(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'mkrootfs-config-'));
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), content);
  }
  return root;
}

describe('loadToolConfig', () => {
  it('finds no settings without a config file', async () => {
    const root = tree({ 'package.json': '{"name":"x"}', 'a/b/keep': '' });
    expect(await loadToolConfig(join(root, 'a/b'))).toEqual({});
  });

  it.each([
    ['.mkrootfsrc', 'outputDir: o1\n'],
    ['.mkrootfsrc.json', '{"outputDir":"o1"}'],
    ['.config/mkrootfsrc.yaml', 'outputDir: o1\n'],
    ['mkrootfs.config.mjs', 'export default { outputDir: "o1" };\n'],
  ])('finds %s in a parent directory below the project root', async (name, content) => {
    const root = tree({ 'package.json': '{"name":"x"}', [`p/${name}`]: content, 'p/a/b/keep': '' });
    const found = await loadToolConfig(join(root, 'p/a/b'));
    expect(found.filepath).toBe(join(root, 'p', name));
    expect(found.outputDir).toBe(join(root, 'p', name.startsWith('.config/') ? '.config' : '', 'o1'));
  });

  it('reads package.json#mkrootfs and stops at the nearest package.json', async () => {
    const root = tree({ '.mkrootfsrc.yml': 'outputDir: outer\n', 'pkg/package.json': JSON.stringify({ name: 'y', mkrootfs: { outputDir: 'inner' } }), 'plain/package.json': '{"name":"z"}', 'pkg/sub/keep': '' });
    expect((await loadToolConfig(join(root, 'pkg/sub'))).outputDir).toBe(join(root, 'pkg/inner'));
    expect(await loadToolConfig(join(root, 'plain'))).toEqual({});
  });
});
