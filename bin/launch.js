// Shared by the launchers. Runs the compiled CLI (dist/cli/, bundled by `npm
// run build` and shipped in the npm package). In a checkout whose sources are
// newer than dist/, it runs the TypeScript sources through tsx (a development
// dependency) instead, so an edit takes effect without a rebuild.
import { readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

// `mkrootfs ... | head` closes the pipe early: end quietly, never with a stack trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw err;
  });
}

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

function mtime(path) {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return undefined;
  }
}

function newestSource(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(path));
    else if (entry.name.endsWith('.ts')) newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

/** 'dist' (compiled; always so in an installed package), or 'sources' (a checkout with newer sources). */
function pick() {
  if (process.env.MKROOTFS_NO_BUNDLE) return 'sources';
  const built = mtime(join(root, 'dist', 'BUILT'));
  if (mtime(join(root, 'src')) === undefined) return 'dist';
  if (built === undefined) return 'sources';
  return built >= Math.max(newestSource(join(root, 'src')), newestSource(join(root, 'emulator'))) ? 'dist' : 'sources';
}

export async function loadMain() {
  if (pick() === 'dist') return (await import('../dist/cli/main.js')).main;
  let register;
  try {
    ({ register } = await import('tsx/esm/api'));
  } catch {
    process.stderr.write('mkrootfs: the compiled CLI (dist/) is missing or older than the sources, and tsx is not installed\n'
      + '  hint: run `npm run build` (or `npm ci` for the development tools)\n');
    process.exit(1);
  }
  register();
  return (await import('../src/cli/main.ts')).main;
}
