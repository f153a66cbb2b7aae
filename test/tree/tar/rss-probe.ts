/**
 * Run as its own process (tsx) by the memory tests, so its peak RSS is its
 * own: imports one archive, streamed from disk with contents spilled to a
 * scratch directory, or builds a recipe. Prints one JSON line:
 * { ok, code?, entries?, maxRssMiB, sha256? } (sha256: path → digest of each
 * regular file, when asked).
 *
 *   tsx rss-probe.ts import ARCHIVE SPILL_DIR [MAX_RATIO] [--hash]
 *   tsx rss-probe.ts build PROJECT_DIR
 */
import { closeSync, createReadStream, openSync, readSync, statSync } from 'node:fs';
import * as fsp from 'node:fs/promises';
import { createHash, type Hash } from 'node:crypto';
import { join, resolve } from 'node:path';
import { importTar } from '../../../src/tree/tar-import.ts';
import { hostSink } from '../../../src/tree/tar/host-sink.ts';
import { newTree, walk, displayName } from '../../../src/tree/tree.ts';
import { buildFromRecipe } from '../../../src/pipeline.ts';
import { RecipeError } from '../../../src/recipe/recipe-error.ts';

const [mode, a, b, c] = process.argv.slice(2);
/** Hashes a file in 1 MiB reads (reading it whole would be the memory this probe measures). */
function hashFile(h: Hash, path: string): void {
  const fd = openSync(path, 'r');
  const buf = Buffer.alloc(1 << 20);
  for (let n; (n = readSync(fd, buf, 0, buf.length, null)) > 0;) h.update(buf.subarray(0, n));
  closeSync(fd);
}
const mib = (): number => Math.round(process.resourceUsage().maxRSS / 1024);
try {
  if (mode === 'import') {
    const tree = newTree();
    const r = await importTar({
      tree, dest: '/', owner: 'keep', name: a!,
      archive: { chunks: createReadStream(a!, { highWaterMark: 1 << 20 }), size: statSync(a!).size },
      sink: hostSink({ fs: fsp, dir: b! }),
      maxRatio: c !== undefined && c !== '--hash' ? Number(c) : undefined,
    });
    const sha256: Record<string, string> = {};
    if (process.argv.includes('--hash')) {
      walk(tree, (p, n) => {
        if (n.type !== 'file') return;
        const h = createHash('sha256');
        if (n.content.kind === 'host') hashFile(h, n.content.path);
        else if (n.content.kind === 'bytes') h.update(n.content.data);
        else h.update(Buffer.alloc(n.content.size));
        sha256[displayName(p)] = h.digest('hex');
      });
    }
    console.log(JSON.stringify({ ok: true, entries: r.entries, maxRssMiB: mib(), sha256 }));
  } else {
    await buildFromRecipe({ recipePath: 'recipe.yml', cwd: resolve(a!), env: { SOURCE_DATE_EPOCH: '1000000000' }, output: join(resolve(a!), 'out.img') });
    console.log(JSON.stringify({ ok: true, maxRssMiB: mib() }));
  }
} catch (err) {
  const code = err instanceof RecipeError ? err.issues.map((i) => i.code).join(',') : (err as { code?: string }).code;
  console.log(JSON.stringify({ ok: false, code, message: (err as Error).message, maxRssMiB: mib() }));
}
