// Shared by the launchers. Runs the compiled CLI (dist/cli/mkrootfs.cjs,
// bundled by `npm run build` and shipped in the npm package, loaded through
// V8's code cache: bin/cli-bundle.js). In a checkout whose sources are
// newer than dist/, it runs the TypeScript sources through tsx (a development
// dependency) instead, so an edit takes effect without a rebuild (how that is
// decided, cheaply: bin/build-stamp.js).
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pickBuild } from './build-stamp.js';
import { cacheCommand, loadBundle } from './cli-bundle.js';

// `mkrootfs ... | head` closes the pipe early: end quietly, never with a stack trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw err;
  });
}

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** The CLI's main(); `args` (what it will be given) picks the code cache. */
export async function loadMain(args = []) {
  if (pickBuild(root) === 'dist') return loadBundle(join(root, 'dist', 'cli', 'mkrootfs.cjs'), { command: cacheCommand(args) }).main;
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
