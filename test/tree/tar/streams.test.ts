/**
 * Compressed and sparse tar layers, streamed: gzip, xz and zstd (made by the
 * gzip, xz and zstd programs) read in chunks of any size, concatenated
 * streams, truncation, what each decoder refuses, the expansion guard, and
 * sparse members in every GNU format (made by GNU tar) with exact contents,
 * in memory and spilled to host files.
 */
import { afterAll, describe, expect, it, beforeAll } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, openSync, closeSync, readFileSync, rmSync, writeFileSync, writeSync, ftruncateSync } from 'node:fs';
import * as fsp from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { createHash } from 'node:crypto';
import { importTar } from '../../../src/tree/tar-import.ts';
import { hostSink } from '../../../src/tree/tar/host-sink.ts';
import { lookup, newTree, walk, type ContentSource, type Tree } from '../../../src/tree/tree.ts';
import { MkrootfsError } from '../../../src/errors.ts';
import { concat, makeTar } from './make-tar.ts';

const work = mkdtempSync(join(tmpdir(), 'mkrootfs-tar-streams-'));
const run = (cmd: string, args: string[], input?: Uint8Array): Uint8Array => new Uint8Array(execFileSync(cmd, args, { input, maxBuffer: 1 << 30 }));

async function* chunked(data: Uint8Array, size: number): AsyncGenerator<Uint8Array> {
  for (let o = 0; o < data.length; o += size) yield data.subarray(o, o + size);
}

async function load(archive: Uint8Array, opts: { chunk?: number; maxRatio?: number; spill?: string } = {}): Promise<Tree> {
  const tree = newTree();
  await importTar({
    tree, dest: '/', owner: 'keep', name: 'layer.tar', maxRatio: opts.maxRatio,
    archive: opts.chunk ? { chunks: chunked(archive, opts.chunk), size: archive.length } : archive,
    sink: opts.spill ? hostSink({ fs: fsp, dir: opts.spill }) : undefined,
  });
  return tree;
}

async function refusal(archive: Uint8Array, opts: { maxRatio?: number } = {}): Promise<MkrootfsError> {
  try {
    await load(archive, opts);
  } catch (err) {
    if (err instanceof MkrootfsError) return err;
    throw err;
  }
  throw new Error('expected the archive to be refused');
}

const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

function contentBytes(c: ContentSource): Buffer {
  if (c.kind === 'bytes') return Buffer.from(c.data);
  if (c.kind === 'zero') return Buffer.alloc(c.size);
  return readFileSync(c.path);
}

/** path → SHA-256 of the contents of every regular file (deep-comparing megabytes is slow). */
function files(tree: Tree): Map<string, string> {
  const out = new Map<string, string>();
  walk(tree, (p, n) => { if (n.type === 'file') out.set(p, sha(contentBytes(n.content))); });
  return out;
}

afterAll(() => rmSync(work, { recursive: true, force: true }));

// A host tree with text, random and zero-filled files, and sparse files with holes at the start, middle and end.
const src = join(work, 'src');
let expected: Map<string, string>;
let plain: Uint8Array;

beforeAll(() => {
  mkdirSync(join(src, 'etc'), { recursive: true });
  let seed = 7;
  const rand = (n: number): Buffer => { const b = Buffer.alloc(n); for (let i = 0; i < n; i++) { seed = (seed * 1103515245 + 12345) >>> 0; b[i] = seed >>> 24; } return b; };
  const plainFiles: [string, Buffer][] = [
    ['/etc/motd', Buffer.from('hello\n')],
    ['/random', rand(40_000)],
    ['/zeros', Buffer.alloc(70_000)],
    ['/empty', Buffer.alloc(0)],
  ];
  expected = new Map(plainFiles.map(([p, b]) => [p, sha(b)]));
  for (const [p, b] of plainFiles) writeFileSync(join(src, p), b);
  const sparse = (name: string, size: number, pieces: [number, Buffer][]): void => {
    const fd = openSync(join(src, name), 'w');
    ftruncateSync(fd, size);
    const img = Buffer.alloc(size);
    for (const [at, b] of pieces) { writeSync(fd, b, 0, b.length, at); b.copy(img, at); }
    closeSync(fd);
    expected.set('/' + name, sha(img));
  };
  sparse('sparse-mid', 5 << 20, [[8192, rand(5000)], [3 << 20, rand(4096)]]);
  sparse('sparse-start', 2 << 20, [[0, rand(10)]]);
  sparse('sparse-end', 1 << 20, [[(1 << 20) - 100, rand(100)]]);
  sparse('all-hole', 3 << 20, []);
  execFileSync('tar', ['--format=pax', '--sparse', '-C', src, '-cf', join(work, 'plain.tar'), '.']);
  plain = new Uint8Array(readFileSync(join(work, 'plain.tar')));
});

describe('compressed layers stream in chunks of any size', () => {
  const compressors: [string, () => Uint8Array][] = [
    ['none', () => plain],
    ['gzip', () => run('gzip', ['-c', '-6'], plain)],
    ['xz', () => run('xz', ['-c', '-T1', '--check=crc64'], plain)],
    ['xz crc32', () => run('xz', ['-c', '-T1', '-0', '--check=crc32'], plain)],
    ['zstd', () => run('zstd', ['-c', '-q', '-19'], plain)],
    ['zstd --long', () => run('zstd', ['-c', '-q', '--long=27'], plain)],
  ];
  for (const [name, make] of compressors) {
    it(name, async () => {
      const archive = make();
      // Odd chunk sizes stress the zstd gate and the tar reader; one-byte chunks cost gzip and xz a round trip each.
      for (const chunk of name.startsWith('zstd') || name === 'none' ? [1, 509, 65536, undefined] : [509, 65536, undefined]) {
        expect(files(await load(archive, { chunk }))).toEqual(expected);
      }
    });
  }

  it('concatenated gzip members, xz streams and zstd frames (with a skippable frame)', async () => {
    const cut = 10 * 512 + 100;
    const [a, b] = [plain.subarray(0, cut), plain.subarray(cut)];
    const skippable = new Uint8Array([0x5e, 0x2a, 0x4d, 0x18, 3, 0, 0, 0, 1, 2, 3]);
    for (const archive of [
      concat([gzipSync(a), gzipSync(b)]),
      concat([run('xz', ['-c'], a), run('xz', ['-c'], b)]),
      concat([run('zstd', ['-c', '-q'], a), skippable, run('zstd', ['-c', '-q', '--no-check'], b)]),
    ]) {
      expect(files(await load(archive, { chunk: 4093 }))).toEqual(expected);
    }
  });

  it('truncated or corrupt streams are errors naming the archive (exit 2)', async () => {
    for (const [code, archive] of [
      ['TAR_BAD_GZIP', gzipSync(plain).subarray(0, 5000)],
      ['TAR_BAD_XZ', run('xz', ['-c'], plain).subarray(0, 5000)],
      ['TAR_BAD_ZSTD', run('zstd', ['-c', '-q'], plain).subarray(0, 5000)],
      ['TAR_BAD_GZIP', (() => { const g = gzipSync(plain); g[g.length - 6] ^= 0xff; return g; })()],
    ] as const) {
      const err = await refusal(archive);
      expect([err.code, err.exitCode]).toEqual([code, 2]);
      expect(err.message).toMatch(/^layer\.tar: is not a valid/);
    }
  });

  it('unsupported compressions and xz/zstd features are named', async () => {
    const bz = await refusal(run('bzip2', ['-c'], plain));
    expect(bz.code).toBe('TAR_UNSUPPORTED_COMPRESSION');
    expect(bz.message).toContain('bzip2');
    const sha = await refusal(run('xz', ['-c', '--check=sha256'], plain));
    expect(sha.code).toBe('TAR_BAD_XZ');
    expect(sha.message).toContain('SHA-256');
    const bigDict = await refusal(run('xz', ['-c', '-T1', '--lzma2=preset=1,dict=128MiB'], plain.subarray(0, 4096)));
    expect(bigDict.message).toContain('dictionary over 64 MiB');
    // zstd frame headers: a 256 MiB window, and a dictionary.
    const frame = (fhd: number, extra: number[]): Uint8Array => new Uint8Array([0x28, 0xb5, 0x2f, 0xfd, fhd, ...extra, 0x01, 0x00, 0x00]);
    const window = await refusal(frame(0x00, [18 << 3]));
    expect([window.code, window.message]).toEqual(['TAR_BAD_ZSTD', expect.stringContaining('268435456-byte window')]);
    expect((await refusal(frame(0x01, [10 << 3, 7]))).message).toContain('dictionary 7');
  });

  it('a zstd stream of empty blocks in a 128 MiB window is stopped at once (not minutes of window shifting)', async () => {
    const blocks = new Uint8Array(3 * 300_000); // 300,000 empty raw blocks
    const bomb = concat([new Uint8Array([0x28, 0xb5, 0x2f, 0xfd, 0x00, 17 << 3]), blocks, new Uint8Array([0x01, 0x00, 0x00])]);
    const t0 = performance.now();
    const err = await refusal(bomb);
    expect(err.code).toBe('TAR_BAD_ZSTD');
    expect(err.message).toContain('decompression bomb');
    expect(performance.now() - t0).toBeLessThan(5000);
  });
});

describe('the expansion guard', () => {
  it('stops a gzip bomb early and names the way to raise the limit', async () => {
    const bomb = makeTar([{ name: 'zeros', size: 100 << 20 }], false);
    const gz = gzipSync(concat([bomb.subarray(0, 512), new Uint8Array(100 << 20), new Uint8Array(1024)]), { level: 1 });
    expect(gz.length).toBeLessThan(500_000);
    const err = await refusal(gz);
    expect([err.code, err.exitCode]).toEqual(['TAR_EXPANSION_LIMIT', 2]);
    expect(err.message).toContain('decompression bomb');
    expect(err.hint).toContain('maxRatio');
    // A trusted archive passes with a higher ratio; its zeros stay holes in the spilled file.
    const dir = mkdtempSync(join(work, 'spill-'));
    const tree = await load(gz, { maxRatio: 2000, spill: dir });
    expect(lookup(tree, 'zeros')).toMatchObject({ type: 'file', content: { kind: 'zero', size: 100 << 20 } });
  });

  it('counts sparse holes: a tiny archive declaring a 1 TiB sparse file is refused', async () => {
    const tar = makeTar([{ name: 'huge', pax: [['GNU.sparse.major', '1'], ['GNU.sparse.minor', '0'], ['GNU.sparse.name', 'huge'], ['GNU.sparse.realsize', String(2 ** 40)]], body: '0\n'.padEnd(512, '\0') }]);
    const err = await refusal(tar);
    expect(err.code).toBe('TAR_EXPANSION_LIMIT');
    expect(err.message).toContain('sparse holes');
  });
});

describe('sparse members', () => {
  for (const [name, args] of [
    ['old GNU (S)', ['--format=gnu', '--sparse']],
    ['pax 0.0', ['--format=pax', '--sparse', '--sparse-version=0.0']],
    ['pax 0.1', ['--format=pax', '--sparse', '--sparse-version=0.1']],
    ['pax 1.0', ['--format=pax', '--sparse', '--sparse-version=1.0']],
  ] as const) {
    it(`${name}: exact contents, in memory and spilled to sparse host files`, async () => {
      const archive = run('tar', [...args, '-C', src, '-cf', '-', '.']);
      expect(archive.length).toBeLessThan(1 << 20); // the holes are not in the archive
      expect(files(await load(archive))).toEqual(expected);
      const dir = mkdtempSync(join(work, 'spill-'));
      const tree = await load(archive, { chunk: 3000, spill: dir });
      expect(files(tree)).toEqual(expected);
      expect(lookup(tree, 'all-hole')).toMatchObject({ content: { kind: 'zero', size: 3 << 20 } });
      const mid = lookup(tree, 'sparse-mid');
      if (mid?.type !== 'file' || mid.content.kind !== 'host') throw new Error('sparse-mid was not spilled');
      // The spilled file is sparse too: a few blocks allocated, not 5 MiB.
      const st = await fsp.stat(mid.content.path);
      expect(st.size).toBe(5 << 20);
      expect(st.blocks * 512).toBeLessThan(1 << 20);
    });
  }

  it('invalid sparse maps are refused', async () => {
    const map = (m: string, size: number, body: string): Uint8Array =>
      makeTar([{ name: 's', pax: [['GNU.sparse.size', String(size)], ['GNU.sparse.map', m]], body }]);
    for (const [archive, words] of [
      [map('0,10,5,10', 100, 'x'.repeat(20)), 'overlaps'],
      [map('0,10,95,10', 100, 'x'.repeat(20)), 'beyond'],
      [map('0,10', 100, 'x'.repeat(20)), 'accounts for 10 bytes but 20'],
      [map('0,10,20', 100, 'x'.repeat(10)), 'offset without a size'],
      [map('0,a', 100, 'x'), 'not a number'],
    ] as const) {
      const err = await refusal(archive);
      expect(err.code).toBe('TAR_BAD_SPARSE');
      expect(err.message).toContain(words);
      expect(err.message).toContain('entry "s"');
    }
    const v2 = makeTar([{ name: 's', pax: [['GNU.sparse.major', '2'], ['GNU.sparse.minor', '0']], body: '' }]);
    expect((await refusal(v2)).code).toBe('TAR_UNSUPPORTED');
  });
});
