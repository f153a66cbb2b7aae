// Shared by the launchers: run the bundled CLI (dist/cli.mjs, made by
// `npm run build`) when it is newer than every source file, else run the
// TypeScript sources through tsx. The freshness check costs a few ms.
import { readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

function newestSource(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(path));
    else if (entry.name.endsWith('.ts')) newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

function bundleIsFresh() {
  if (process.env.MKROOTFS_NO_BUNDLE) return false;
  let built;
  try {
    built = statSync(join(root, 'dist', 'cli.mjs')).mtimeMs;
  } catch {
    return false;
  }
  return built >= Math.max(newestSource(join(root, 'src')), newestSource(join(root, 'emulator')));
}

export async function loadMain() {
  if (bundleIsFresh()) return (await import('../dist/cli.mjs')).main;
  const { register } = await import('tsx/esm/api');
  register();
  return (await import('../src/cli/main.ts')).main;
}
