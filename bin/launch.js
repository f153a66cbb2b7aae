// Shared by the launchers. Runs the compiled CLI (dist/cli/mkrootfs.cjs,
// bundled by `npm run build` and shipped in the npm package, loaded through
// V8's code cache: bin/cli-bundle.js). In a checkout whose sources are
// newer than dist/, it runs the TypeScript sources through tsx (a development
// dependency) instead, so an edit takes effect without a rebuild (how that is
// decided, cheaply: bin/build-stamp.js).
//
// The launchers are CommonJS (bin/package.json): a process whose entry is
// an ES module sets up Node's module loader first, ~8 ms of start-up that
// the compiled path never needs.
'use strict';
const { join } = require('node:path');
const { pickBuild } = require('./build-stamp.js');
const { cacheCommand, loadBundle } = require('./cli-bundle.js');

// `mkrootfs ... | head` closes the pipe early: end quietly, never with a stack trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw err;
  });
}

const root = join(__dirname, '..');

/** The CLI's main(); `args` (what it will be given) picks the code cache. */
async function loadMain(args = []) {
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

/** Runs the CLI with `args`; its exit code becomes the process's. */
function launch(args) {
  loadMain(args).then((main) => main(args)).then((code) => {
    process.exitCode = code;
  }, (err) => {
    // main() reports its own errors; this is a launcher fault (an unreadable dist/, say).
    process.stderr.write(`mkrootfs: ${err && err.stack ? err.stack : String(err)}\n`);
    process.exitCode = 1;
  });
}

module.exports = { launch };
