/**
 * The Node host's page compiler (emulator/host/page-tiers.ts): both tiers
 * give working modules, and a baseline compile leaves V8's flags as they
 * were. The oracle is V8's own check: a code cache carries a hash of the
 * flags it was made under, and a process whose flags differ rejects it (as
 * the CLI bundle's code cache would then be rejected on every start). The
 * cache is made in a fresh process, the check runs in another after its
 * compiles.
 */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const PAGE_TIERS = pathToFileURL(join(ROOT, 'emulator/host/page-tiers.ts')).href;

/** Runs an ES module script in a fresh Node (TypeScript through tsx); returns its stdout. */
function node(script: string): string {
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: ROOT, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`node exited ${r.status}: ${r.stderr}`);
  return r.stdout.trim();
}

describe('compilePage', () => {
  it('compiles for both tiers, and leaves V8\'s flags as they were: a code cache made by a fresh process is accepted after baseline compiles', () => {
    const cacheFile = join(mkdtempSync(join(tmpdir(), 'page-tiers-')), 'probe.cache');
    const probe = `const source = 'function twice(x) { return 2 * x; } twice(21);';`;
    node(`import { Script } from 'node:vm'; import { writeFileSync } from 'node:fs'; ${probe}
      const s = new Script(source, { filename: 'probe.js' }); s.runInThisContext(); writeFileSync(${JSON.stringify(cacheFile)}, s.createCachedData());`);
    const out = node(`import { Script } from 'node:vm'; import { readFileSync } from 'node:fs'; ${probe}
      const { compilePage } = await import(${JSON.stringify(PAGE_TIERS)});
      // A module exporting f() -> 42.
      const bytes = new Uint8Array([0,97,115,109,1,0,0,0,1,5,1,96,0,1,127,3,2,1,0,7,5,1,1,102,0,0,10,6,1,4,0,65,42,11]);
      const results = ['baseline', 'optimized', 'baseline'].map((tier) => new WebAssembly.Instance(compilePage(bytes, tier)).exports.f());
      const s = new Script(source, { filename: 'probe.js', cachedData: readFileSync(${JSON.stringify(cacheFile)}) });
      process.stdout.write(JSON.stringify({ results, rejected: s.cachedDataRejected }));`);
    expect(JSON.parse(out)).toEqual({ results: [42, 42, 42], rejected: false });
  });
});
