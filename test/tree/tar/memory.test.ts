/**
 * Memory does not follow the archive: each case runs in its own process
 * (rss-probe.ts) and compares its peak RSS with the same process importing a
 * tiny archive. A 256 MiB layer streamed from disk, and a 1 MiB gzip bomb that
 * expands to 1 GiB, each cost less than 64 MiB over that baseline. (By hand,
 * through the build: a 3 GiB layer peaks at 156 MiB RSS.)
 */
import { afterAll, describe, expect, it, beforeAll } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createHash } from 'node:crypto';
import { gzipSync, constants } from 'node:zlib';
import { header, makeTar } from './make-tar.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const TSX = join(ROOT, 'node_modules/.bin/tsx');
const PROBE = join(ROOT, 'test/tree/tar/rss-probe.ts');
const work = mkdtempSync(join(tmpdir(), 'mkrootfs-tar-memory-'));

interface Probe { ok: boolean; code?: string; entries?: number; maxRssMiB: number; sha256?: Record<string, string> }

function probe(...args: string[]): Probe {
  const out = execFileSync(TSX, [PROBE, ...args], { encoding: 'utf8', maxBuffer: 1 << 24 });
  return JSON.parse(out.trim().split('\n').pop()!) as Probe;
}

function spill(): string {
  return mkdtempSync(join(work, 'spill-'));
}

afterAll(() => rmSync(work, { recursive: true, force: true }));

let baseline: number;

beforeAll(() => {
  writeFileSync(join(work, 'tiny.tar'), makeTar([{ name: 'a', body: 'x' }]));
  baseline = probe('import', join(work, 'tiny.tar'), spill()).maxRssMiB;
}, 120_000);

/** A gzip stream of `header` then `zeros` zero bytes and the end blocks, made of repeated members (cheap to build). */
function gzipBomb(size: number): Uint8Array {
  const piece = gzipSync(new Uint8Array(64 << 20), { level: constants.Z_BEST_COMPRESSION });
  const parts: Uint8Array[] = [gzipSync(header({ name: 'zeros', size }))];
  for (let left = size; left > 0; left -= 64 << 20) parts.push(left >= 64 << 20 ? piece : gzipSync(new Uint8Array(left)));
  parts.push(gzipSync(new Uint8Array(1024)));
  return Buffer.concat(parts);
}

describe('bounded memory', () => {
  it('a 256 MiB layer streamed from disk: contents exact, peak RSS within 64 MiB of a tiny one', () => {
    const src = join(work, 'src');
    mkdirSync(src);
    const expected: Record<string, string> = {};
    for (let i = 0; i < 4; i++) {
      const data = execFileSync('head', ['-c', String(64 << 20), '/dev/urandom'], { maxBuffer: 1 << 27 });
      writeFileSync(join(src, `f${i}`), data);
      expected[`/f${i}`] = createHash('sha256').update(data).digest('hex');
    }
    execFileSync('tar', ['--format=pax', '-C', src, '-cf', join(work, 'big.tar'), 'f0', 'f1', 'f2', 'f3']);
    rmSync(src, { recursive: true });
    const r = probe('import', join(work, 'big.tar'), spill(), '--hash');
    expect(r.ok).toBe(true);
    expect(r.sha256).toEqual(expected);
    expect(r.maxRssMiB - baseline).toBeLessThan(64);
  }, 120_000);

  it('a 1 MiB gzip bomb of 1 GiB: refused by default, and bounded even when allowed to expand fully', () => {
    const bomb = gzipBomb(1 << 30);
    expect(bomb.length).toBeLessThan(1.1 * (1 << 20));
    writeFileSync(join(work, 'bomb.tar.gz'), bomb);
    const refused = probe('import', join(work, 'bomb.tar.gz'), spill());
    expect([refused.ok, refused.code]).toEqual([false, 'TAR_EXPANSION_LIMIT']);
    expect(refused.maxRssMiB - baseline).toBeLessThan(64);
    const allowed = probe('import', join(work, 'bomb.tar.gz'), spill(), '100000');
    expect(allowed).toMatchObject({ ok: true, entries: 1 });
    expect(allowed.maxRssMiB - baseline).toBeLessThan(64);
  }, 120_000);

  it('the same bomb through a recipe build is refused (it peaked at 3.2 GB before)', () => {
    const dir = join(work, 'project');
    mkdirSync(dir);
    writeFileSync(join(dir, 'bomb.tar.gz'), gzipBomb(1 << 30));
    writeFileSync(join(dir, 'recipe.yml'), 'layers:\n  - source: bomb.tar.gz\n');
    const r = probe('build', dir);
    expect([r.ok, r.code]).toEqual([false, 'TAR_EXPANSION_LIMIT']);
    expect(r.maxRssMiB).toBeLessThan(400);
  }, 120_000);
});
