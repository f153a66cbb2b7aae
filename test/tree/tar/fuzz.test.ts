/**
 * Seeded, bounded fuzzing of tar layers: valid archives (GNU tar, Python
 * tarfile, hand-made pax/sparse members; plain and gzip/xz/zstd-compressed)
 * are mutated — flipped bytes, garbage and extreme numbers in header fields,
 * changed type flags, truncation, inserted and duplicated blocks — and
 * imported in random chunk sizes, in memory; a smaller set goes through the
 * whole recipe build (e2fsck checks every image built). Every case must end,
 * within seconds, either imported or with a coded error of exit code 2: never
 * an internal error, never a hang. A failure prints its seed and case number.
 */
import { describe, expect, it, beforeAll } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { importTar } from '../../../src/tree/tar-import.ts';
import { newTree } from '../../../src/tree/tree.ts';
import { MkrootfsError } from '../../../src/errors.ts';
import { RecipeError } from '../../../src/recipe/recipe-error.ts';
import { buildIn, project } from '../../recipe/helpers.ts';
import { makeTar } from './make-tar.ts';
import { mulberry32 } from '../../helpers/prng.ts';

const SEED = Number(process.env.MKROOTFS_FUZZ_SEED ?? 0x7a11);
const CASES = Number(process.env.MKROOTFS_FUZZ_CASES ?? 400);
const BUILD_CASES = 25;
const CASE_LIMIT_MS = 10_000;

const prng = mulberry32;

const run = (cmd: string, args: string[], input?: Uint8Array): Uint8Array => new Uint8Array(execFileSync(cmd, args, { input, maxBuffer: 1 << 28 }));

let seeds: Uint8Array[] = [];

beforeAll(() => {
  const dir = mkdtempSync(join(tmpdir(), 'mkrootfs-tar-fuzz-'));
  const src = join(dir, 'src');
  execFileSync('sh', ['-c', [
    'mkdir -p src/etc/init.d src/bin src/' + 'l'.repeat(120),
    'printf "root:x:0:0\\n" > src/etc/passwd', 'printf "#!/bin/sh\\n" > src/etc/init.d/rcS', 'chmod 4755 src/etc/init.d/rcS',
    'head -c 20000 /dev/urandom > src/bin/busybox', 'ln src/bin/busybox src/bin/ls', 'ln -s busybox src/bin/sh', 'mkfifo src/fifo',
    'truncate -s 300000 src/sparse && printf data | dd of=src/sparse bs=1 seek=70000 conv=notrunc 2>/dev/null',
  ].join(' && ')], { cwd: dir });
  const tars = [
    run('tar', ['--format=gnu', '--sparse', '-C', src, '-cf', '-', '.']),
    run('tar', ['--format=pax', '--sparse', '-C', src, '-cf', '-', '.']),
    run('tar', ['--format=pax', '--sparse', '--sparse-version=0.1', '-C', src, '-cf', '-', '.']),
    run('tar', ['--format=ustar', '-C', src, '-cf', '-', 'etc', 'bin']),
    makeTar([
      { name: 'g', pax: [['uid', '3000000'], ['path', 'p/' + 'x'.repeat(200)], ['mtime', '-5.5']], body: 'pax' },
      { name: 's', pax: [['GNU.sparse.size', '9000'], ['GNU.sparse.map', '0,3,8000,2']], body: 'abcde' },
      { name: 'd/', type: '5' }, { name: 'h', type: '1', linkname: 'g' }, { name: 'c', type: '3' },
    ]),
  ];
  seeds = [
    ...tars,
    gzipSync(tars[0]!), run('xz', ['-c', '-0'], tars[1]!), run('zstd', ['-c', '-q', '-3'], tars[2]!),
  ];
}, 120_000);

/** One mutation of `data` (a copy); compressed seeds are sometimes mutated before compression instead. */
function mutate(rand: () => number, data: Uint8Array): Uint8Array {
  const int = (n: number): number => Math.floor(rand() * n);
  let out = new Uint8Array(data);
  const rounds = 1 + int(3);
  for (let r = 0; r < rounds; r++) {
    const blocks = Math.max(1, Math.floor(out.length / 512));
    const op = int(8);
    if (op === 0) {
      for (let i = 0, n = 1 + int(8); i < n; i++) out[int(out.length)] = int(256);
    } else if (op === 1) {
      // A numeric header field filled with garbage, huge octal, or base-256.
      const fields = [[100, 8], [108, 8], [116, 8], [124, 12], [136, 12], [329, 8], [337, 8], [483, 12], [386, 12], [398, 12]];
      const [off, len] = fields[int(fields.length)]!;
      const at = int(blocks) * 512 + off!;
      const kind = int(4);
      for (let i = 0; i < len! && at + i < out.length; i++) {
        out[at + i] = kind === 0 ? int(256) : kind === 1 ? 0x37 : kind === 2 ? (i === 0 ? 0x80 : 0xff) : (i === 0 ? 0xff : int(256));
      }
    } else if (op === 2) {
      const at = int(blocks) * 512 + 156;
      if (at < out.length) out[at] = 'xXgLKSVMDN01234567Z\0'.charCodeAt(int(20));
    } else if (op === 3) {
      out = out.subarray(0, int(out.length + 1));
    } else if (op === 4) {
      const at = int(blocks) * 512;
      const dup = out.subarray(at, at + 512);
      out = new Uint8Array([...out.subarray(0, at), ...dup, ...out.subarray(at)]);
    } else if (op === 5) {
      const at = int(out.length + 1);
      const junk = Uint8Array.from({ length: 1 + int(700) }, () => int(256));
      out = new Uint8Array([...out.subarray(0, at), ...junk, ...out.subarray(at)]);
    } else if (op === 6) {
      // A pax record's length or value garbled: overwrite digits near an '=' with others.
      const eq = out.indexOf(0x3d, int(out.length));
      if (eq > 3) for (let i = 1; i <= 3; i++) out[eq - i] = 0x30 + int(10);
    } else {
      const at = int(blocks) * 512;
      out.fill(0, at, Math.min(out.length, at + 512));
    }
  }
  return out;
}

function compressedSeed(rand: () => number): Uint8Array {
  const tar = mutate(rand, seeds[Math.floor(rand() * 5)]!);
  const c = Math.floor(rand() * 3);
  return c === 0 ? gzipSync(tar) : c === 1 ? run('xz', ['-c', '-0'], tar) : run('zstd', ['-c', '-q'], tar);
}

async function* chunked(data: Uint8Array, size: number): AsyncGenerator<Uint8Array> {
  for (let o = 0; o < data.length; o += size) yield data.subarray(o, o + size);
}

function withinLimit<T>(p: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([p, new Promise<T>((_, rej) => { timer = setTimeout(() => rej(new Error(`${what}: no result after ${CASE_LIMIT_MS} ms (hang)`)), CASE_LIMIT_MS); })])
    .finally(() => clearTimeout(timer));
}

describe(`fuzzed tar layers (seed ${SEED})`, () => {
  it(`${CASES} mutated archives imported in memory: imported or a coded error, never internal, never a hang`, async () => {
    const rand = prng(SEED);
    const outcomes = new Map<string, number>();
    for (let i = 0; i < CASES; i++) {
      const archive = rand() < 0.15 ? compressedSeed(rand) : mutate(rand, seeds[Math.floor(rand() * seeds.length)]!);
      const chunk = [1 << 20, 512, 7, 4093][Math.floor(rand() * 4)]!;
      const what = `seed ${SEED} case ${i}`;
      try {
        await withinLimit(importTar({ tree: newTree(), archive: { chunks: chunked(archive, chunk), size: archive.length }, dest: '/', owner: 'keep', name: 'fuzz.tar' }), what);
        outcomes.set('ok', (outcomes.get('ok') ?? 0) + 1);
      } catch (err) {
        if (!(err instanceof MkrootfsError)) throw new Error(`${what}: uncoded error: ${(err as Error)?.stack ?? String(err)}`);
        expect(err.code, `${what}: ${err.message}`).not.toMatch(/^(INTERNAL|IO_)/);
        expect(err.exitCode, `${what}: ${err.code} ${err.message}`).toBe(2);
        expect(err.message, what).toMatch(/^fuzz\.tar: /);
        outcomes.set(err.code, (outcomes.get(err.code) ?? 0) + 1);
      }
    }
    // The mutations reach past the first header: many archives still import, and many kinds of error occur.
    expect(outcomes.get('ok') ?? 0).toBeGreaterThan(CASES / 20);
    expect(outcomes.size).toBeGreaterThan(6);
  }, 300_000);

  it(`${BUILD_CASES} mutated archives through the recipe build: an image e2fsck accepts, or coded recipe issues`, async () => {
    const rand = prng(SEED ^ 0x5eed);
    let built = 0;
    for (let i = 0; i < BUILD_CASES; i++) {
      const archive = mutate(rand, seeds[Math.floor(rand() * seeds.length)]!);
      const dir = project({ 'recipe.yml': 'layers:\n  - { source: layer.tar, owner: keep }\n' });
      mkdirSync(join(dir, 'out'), { recursive: true });
      writeFileSync(join(dir, 'layer.tar'), archive);
      const what = `seed ${SEED ^ 0x5eed} build case ${i}`;
      try {
        await withinLimit(buildIn(dir), what);
        built++;
      } catch (err) {
        if (!(err instanceof RecipeError)) throw new Error(`${what}: not a recipe error: ${(err as Error)?.stack ?? String(err)}`);
        for (const issue of err.issues) expect(issue.code, `${what}: ${issue.message}`).not.toMatch(/^(RECIPE_BUILD|INTERNAL|IO_)/);
      }
    }
    expect(built).toBeGreaterThan(BUILD_CASES / 10);
  }, 300_000);
});
