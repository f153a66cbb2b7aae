// Builds the published package into dist/: `tsc -p tsconfig.build.json`
// compiles src/ and emulator/ to ES2022 JavaScript with .d.ts types (relative
// `.ts` imports rewritten to `.js`): the library and emulator the package
// exports. The guest's build assets are copied beside the compiled guest
// builder, which reads them at run time.
//
// The CLI the launchers run is bundled apart by esbuild into one file,
// dist/cli/mkrootfs.cjs (see bundleCli): start-up reads one file instead of
// ~60 modules, through V8's code cache (bin/cli-bundle.js), so `mkrootfs
// boot` reaches its first guest instruction sooner.
//
// The output goes to a temporary directory that replaces dist/ only when the
// whole build succeeded, so a failed build never leaves a half dist/ that
// the launchers would trust.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { build } from 'esbuild';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildStartTime, writeBuildStamp } from '../bin/build-stamp.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');
const tmp = join(root, `.dist-build-${process.pid}`);
const old = join(root, `.dist-old-${process.pid}`);

const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
rmSync(tmp, { recursive: true, force: true });
const started = buildStartTime(root);
const r = spawnSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json'), '--outDir', tmp], { stdio: 'inherit', cwd: root });
if (r.status !== 0) {
  rmSync(tmp, { recursive: true, force: true });
  console.error('build: tsc failed; dist/ left as it was');
  process.exit(r.status ?? 1);
}
// tsc rewrites `.ts` specifiers in JavaScript but keeps them in .d.ts files,
// where a consumer's compiler would look for the missing .ts sources.
for (const file of walk(tmp)) {
  if (!file.endsWith('.d.ts')) continue;
  const text = readFileSync(file, 'utf8');
  const fixed = text.replace(/((?:from|import)\s*\(?\s*)(['"])(\.{1,2}\/[^'"]*)\.ts\2/g, '$1$2$3.js$2');
  if (fixed !== text) writeFileSync(file, fixed);
}
cpSync(join(root, 'src', 'guest', 'assets'), join(tmp, 'src', 'guest', 'assets'), { recursive: true });
try {
  await bundleCli(join(tmp, 'cli'));
} catch (err) {
  rmSync(tmp, { recursive: true, force: true });
  console.error(`build: bundling the CLI failed; dist/ left as it was\n${err.message}`);
  process.exit(1);
}
// Marks a complete build, dated when it started, with the list of sources the
// launchers compare with it (bin/build-stamp.js).
writeBuildStamp(root, tmp, started, 'tsc -p tsconfig.build.json; esbuild src/cli/main.ts -> dist/cli/mkrootfs.cjs\n');

if (existsSync(dist)) renameSync(dist, old);
renameSync(tmp, dist);
rmSync(old, { recursive: true, force: true });
console.error('build: dist/ (src/ and emulator/ compiled, with types; the CLI bundled in dist/cli/)');

/**
 * The CLI as one CommonJS file, `outdir`/mkrootfs.cjs, which the launchers
 * run through V8's code cache (bin/cli-bundle.js: Node 20 caches no ES
 * module's compiled code, and a script's cache needs one script). Each
 * command's module still loads lazily inside it (esbuild turns the dynamic
 * imports into deferred requires). commander is bundled in; the other
 * dependencies stay external (each has a CommonJS entry) and load from
 * node_modules only when a command requires them. Whitespace and comments
 * are dropped (less to read, hash and compile; names stay, for stack
 * traces), which also leaves the file ASCII, as the launcher decodes it.
 * The guest builder finds its assets beside the bundle.
 */
async function bundleCli(outdir) {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  const outfile = join(outdir, 'mkrootfs.cjs');
  await build({
    absWorkingDir: root,
    entryPoints: ['src/cli/main.ts'],
    outfile,
    bundle: true,
    format: 'cjs',
    platform: 'node',
    target: 'node20',
    external: Object.keys(pkg.dependencies).filter((name) => name !== 'commander'),
    // Dynamic import() of a dependency becomes require(): a vm.Script has no module loader.
    supported: { 'dynamic-import': false },
    // The two uses of import.meta.url (package.json lookup, guest assets) want the bundle's own URL.
    define: { 'import.meta.url': '__mkrootfsBundleUrl' },
    banner: { js: "var __mkrootfsBundleUrl = require('node:url').pathToFileURL(__filename).href;" },
    minifyWhitespace: true,
    plugins: [lazyCommanderChildProcess()],
    logLevel: 'warning',
  });
  const text = readFileSync(outfile);
  const bad = text.findIndex((b) => b > 0x7f);
  if (bad >= 0) throw new Error(`${outfile}: byte ${bad} is not ASCII (bin/cli-bundle.js decodes the bundle as Latin-1)`);
  if (/\bimport\(/.test(text.toString('latin1'))) throw new Error(`${outfile}: an import() is left, which a vm.Script cannot run`);
  cpSync(join(root, 'src', 'guest', 'assets'), join(outdir, 'assets'), { recursive: true });
}

/**
 * commander requires node:child_process at load time, only to run
 * executable subcommands, which mkrootfs has none of. Loading it (and
 * net, dgram ... behind it) is a noticeable part of start-up: the bundle
 * requires it on first use instead.
 */
function lazyCommanderChildProcess() {
  return {
    name: 'lazy-commander-child-process',
    setup(b) {
      b.onLoad({ filter: /[\\/]commander[\\/]lib[\\/]command\.js$/ }, (args) => {
        const text = readFileSync(args.path, 'utf8');
        const eager = "const childProcess = require('node:child_process');";
        if (!text.includes(eager)) throw new Error(`${args.path}: "${eager}" not found (commander changed): update lazyCommanderChildProcess in scripts/build.mjs`);
        const lazy = "const childProcess = { get spawn() { return require('node:child_process').spawn; } };";
        return { contents: text.replace(eager, lazy), loader: 'js' };
      });
    },
  };
}

function* walk(dir) {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) yield* walk(p);
    else yield p;
  }
}
