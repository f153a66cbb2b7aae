// Bundles the CLI (src/cli/main.ts and everything it imports from src/ and
// emulator/) into dist/cli.mjs, so the launchers start without compiling
// TypeScript on the fly. Dependencies stay external (resolved from node_modules).
import { build } from 'esbuild';
import { mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const entryPoints = { cli: join(root, 'src/cli/main.ts') };
mkdirSync(join(root, 'dist'), { recursive: true });
const tmp = join(root, 'dist', '.build');
rmSync(tmp, { recursive: true, force: true });
await build({
  entryPoints,
  outdir: tmp,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  packages: 'external',
  outExtension: { '.js': '.mjs' },
  sourcemap: 'linked',
  logLevel: 'warning',
});
// Chunks first, the entry (cli.mjs) last: the launcher only trusts a bundle
// whose cli.mjs is newer than the sources, and stale chunks are removed.
const fresh = new Set(readdirSync(tmp));
for (const name of readdirSync(join(root, 'dist'))) {
  if (name !== '.build' && !fresh.has(name)) rmSync(join(root, 'dist', name));
}
for (const name of [...fresh].sort((a, b) => Number(a.startsWith('cli.')) - Number(b.startsWith('cli.')))) renameSync(join(tmp, name), join(root, 'dist', name));
rmSync(tmp, { recursive: true, force: true });
console.error('bundle: dist/cli.mjs');
