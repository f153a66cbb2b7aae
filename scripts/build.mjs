// Builds the published package into dist/: `tsc -p tsconfig.build.json`
// compiles src/ and emulator/ to ES2022 JavaScript with .d.ts types (relative
// `.ts` imports rewritten to `.js`), and the guest's build assets are copied
// beside the compiled guest builder, which reads them at run time.
//
// The output goes to a temporary directory that replaces dist/ only when the
// whole build succeeded, so a failed build never leaves a half dist/ that
// the launchers would trust.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');
const tmp = join(root, `.dist-build-${process.pid}`);
const old = join(root, `.dist-old-${process.pid}`);

const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
rmSync(tmp, { recursive: true, force: true });
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
// Marks a complete build: bin/launch.js compares its time with the sources'.
writeFileSync(join(tmp, 'BUILT'), 'tsc -p tsconfig.build.json\n');

if (existsSync(dist)) renameSync(dist, old);
renameSync(tmp, dist);
rmSync(old, { recursive: true, force: true });
console.error('build: dist/ (src/ and emulator/ compiled, with types)');

function* walk(dir) {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) yield* walk(p);
    else yield p;
  }
}
