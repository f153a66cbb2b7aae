/**
 * Fuzzing the image reader and `mkrootfs inspect` with damaged images:
 * seeded mutations (bit flips, truncations, smashed superblock / group
 * descriptor / inode / directory entry fields, damaged blocks, one at a time
 * or stacked; see image-mutations.ts) of images from our writer, mke2fs and
 * genext2fs.
 *
 * Each case walks the whole image (every directory, stat of every entry,
 * every symlink, the first 64 KiB of every file) and must end in a correct
 * read or a coded MkrootfsError — never an internal error — within a time
 * bound, with a bounded number of reads and bounded memory.
 *
 * Bounded and deterministic: MKROOTFS_FUZZ_SEED and MKROOTFS_FUZZ_CASES
 * (cases per base image) reproduce or widen a run; a failure names the seed,
 * base image and mutation.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.ts';
import { MkrootfsError } from '../../src/errors.ts';
import { Ext2Reader, memoryImageSource, type ImageSource } from '../../src/ext2/reader.ts';
import { writeImageFile } from '../../src/ext2/write-image.ts';
import { allTypesTree, tempDir } from './fixtures.ts';
import { mutateImage, mutateImageStacked, Rng } from './image-mutations.ts';
import { makeSourceTree, makeToolImage, TOOL_IMAGES } from './tool-images.ts';

const SEED = Number(process.env.MKROOTFS_FUZZ_SEED ?? 20_251_107);
const CASES = Number(process.env.MKROOTFS_FUZZ_CASES ?? 30);
/** Error codes a damaged image may produce. */
const EXPECTED = new Set(['IMAGE_CORRUPT', 'IMAGE_TRUNCATED', 'IMAGE_UNSUPPORTED_FEATURE', 'IMAGE_NOT_EXT2', 'IMAGE_PATH_NOT_FOUND', 'IMAGE_FILE_TOO_LARGE']);
const CASE_MS = 2000;
const CASE_READS = 200_000;
const CASE_MEMORY = 64 << 20;
const FILE_BYTES = 64 << 10;

const dir = tempDir('mkrootfs-reader-fuzz-');
const bases: { name: string; bytes: Uint8Array }[] = [];

beforeAll(async () => {
  for (const blockSize of [1024, 4096] as const) {
    const out = join(dir, `ours-${blockSize}.img`);
    await writeImageFile({ tree: allTypesTree(), output: out, options: { blockSize, epoch: 1_700_000_000 } });
    bases.push({ name: `mkrootfs ${blockSize}`, bytes: new Uint8Array(readFileSync(out)) });
  }
  const src = join(dir, 'src');
  makeSourceTree(src, { large: false, manyFiles: 80 });
  const pick = (name: string, blockSize: number) => TOOL_IMAGES.find((v) => v.name === name && v.blockSize === blockSize)!;
  const tools = [
    pick('ext2 128-byte inodes, many groups', 1024),
    pick('ext3 128-byte inodes, htree', 1024),
    pick('ext4 default htree', 4096),
    pick('ext4 inline_data', 1024),
    pick('ext4 meta_bg, many groups', 1024),
    pick('genext2fs', 1024),
    pick('genext2fs', 4096),
  ];
  for (const v of tools) {
    const out = join(dir, `${v.tool}-${bases.length}.img`);
    makeToolImage(v, src, out, 12);
    bases.push({ name: `${v.name} ${v.blockSize}`, bytes: new Uint8Array(readFileSync(out)) });
  }
}, 120_000);

interface Meter { reads: number; peakArrayBuffers: number }

/** Counts reads and samples ArrayBuffer memory while the reader works. */
function metered(source: ImageSource, meter: Meter): ImageSource {
  return {
    size: source.size,
    read(buf, offset, length, position) {
      if (++meter.reads % 64 === 0) meter.peakArrayBuffers = Math.max(meter.peakArrayBuffers, process.memoryUsage().arrayBuffers);
      if (meter.reads > CASE_READS) throw new Error(`more than ${CASE_READS} reads: unbounded work`);
      return source.read(buf, offset, length, position);
    },
    close: () => source.close(),
  };
}

/** Walks everything reachable; returns the error codes met (throws on anything else). */
async function walkImage(bytes: Uint8Array, meter: Meter): Promise<string[]> {
  const codes: string[] = [];
  const guard = async (fn: () => Promise<unknown>): Promise<void> => {
    try {
      await fn();
    } catch (err) {
      if (!(err instanceof MkrootfsError) || !EXPECTED.has(err.code)) throw err;
      if (err.code !== 'IMAGE_FILE_TOO_LARGE' && err.exitCode !== 2) throw err;
      codes.push(err.code);
    }
  };
  let r: Ext2Reader | undefined;
  await guard(async () => { r = await Ext2Reader.fromSource(metered(memoryImageSource(bytes), meter), 'fuzz.img'); });
  if (!r) return codes;
  const seen = new Set<number>([2]);
  const queue = [2];
  let entries = 0;
  while (queue.length && entries < 3000) {
    const ino = queue.shift()!;
    let list: { name: string; ino: number }[] = [];
    await guard(async () => { list = await r!.readdirIno(ino); });
    for (const e of list) {
      if (e.name === '.' || e.name === '..' || ++entries > 3000) continue;
      await guard(async () => {
        const st = await r!.statIno(e.ino);
        if (st.type === 'dir' && !seen.has(e.ino)) { seen.add(e.ino); queue.push(e.ino); }
        if (st.type === 'symlink') await r!.readlinkIno(e.ino);
        if (st.type === 'file') {
          let n = 0;
          for await (const c of r!.fileChunksIno(e.ino)) if ((n += c.length) >= FILE_BYTES) break;
        }
      });
    }
  }
  await r.close();
  return codes;
}

describe('reader fuzzing', () => {
  it(`survives ${CASES} mutations of each base image (seed ${SEED})`, async () => {
    const failures: string[] = [];
    const tally = new Map<string, number>();
    let slowest = 0;
    for (const [b, base] of bases.entries()) {
      for (let k = 0; k < CASES; k++) {
        const seed = (SEED + b * 100_003 + k * 7919) >>> 0;
        const m = k % 3 === 2 ? mutateImageStacked(base.bytes, seed) : mutateImage(base.bytes, seed);
        const label = `${base.name}, seed ${seed}${k % 3 === 2 ? ' (stacked)' : ''}: ${m.description}`;
        const meter: Meter = { reads: 0, peakArrayBuffers: 0 };
        const before = process.memoryUsage().arrayBuffers;
        const t0 = performance.now();
        try {
          const codes = await walkImage(m.bytes, meter);
          for (const c of codes.length ? new Set(codes) : ['ok']) tally.set(c, (tally.get(c) ?? 0) + 1);
        } catch (err) {
          failures.push(`${label} -> ${(err as Error)?.stack?.split('\n').slice(0, 3).join(' | ') ?? String(err)}`);
        }
        const ms = performance.now() - t0;
        slowest = Math.max(slowest, ms);
        if (ms > CASE_MS) failures.push(`${label} -> took ${Math.round(ms)} ms`);
        if (meter.peakArrayBuffers - before > CASE_MEMORY) failures.push(`${label} -> ${meter.peakArrayBuffers - before} bytes of ArrayBuffers`);
      }
    }
    expect(failures, `tally ${JSON.stringify([...tally])}`).toEqual([]);
    // The mutations must bite: many cases end in a corrupt-image error.
    expect(tally.get('IMAGE_CORRUPT') ?? 0).toBeGreaterThan(bases.length * CASES * 0.2);
    expect(slowest).toBeLessThan(CASE_MS);
  }, 120_000);
});

describe('inspect fuzzing (the CLI in-process)', () => {
  async function inspect(args: string[]): Promise<{ code: number; stderr: string }> {
    let stderr = '';
    let bytes = 0;
    const stdout = new Writable({ write(c: Buffer, _e, cb) { bytes += c.length; cb(); } });
    const err = new Writable({ write(c: Buffer, _e, cb) { stderr += c.toString(); cb(); } });
    const code = await main(['inspect', ...args], { stdout, stderr: err, stdin: new PassThrough(), env: {}, cwd: dir });
    return { code, stderr };
  }

  it('exits 0 or 2 with a coded error, never an internal error', async () => {
    const rng = new Rng(SEED);
    const img = join(dir, 'cli-fuzz.img');
    const failures: string[] = [];
    const runs = Math.max(20, Math.floor(CASES * 0.8));
    for (let k = 0; k < runs; k++) {
      const base = bases[k % bases.length]!;
      const seed = rng.int(2 ** 31);
      const m = mutateImage(base.bytes, seed);
      writeFileSync(img, m.bytes);
      // Listings and single entries only: a damaged size can make a file legitimately huge (sparse) to print.
      for (const args of [[img], [img, '/etc', '--json'], [img, '/bin/sh'], [img, '/links'], [img, '/dev']]) {
        const t0 = performance.now();
        const { code, stderr } = await inspect(args);
        const label = `${base.name}, seed ${seed} (${m.description}), inspect ${args.slice(1).join(' ')}`;
        if (stderr.includes('internal error') || !(code === 0 || code === 2)) failures.push(`${label}: exit ${code}: ${stderr}`);
        else if (code === 2 && !/^mkrootfs: error \[IMAGE_[A-Z0-9_]+\]: /m.test(stderr)) failures.push(`${label}: uncoded: ${stderr}`);
        if (performance.now() - t0 > CASE_MS) failures.push(`${label}: took ${Math.round(performance.now() - t0)} ms`);
      }
    }
    expect(failures).toEqual([]);
  }, 120_000);

  it('rejects paths that are not regular files without opening them', async () => {
    const fifo = join(dir, 'fifo');
    spawnSync('mkfifo', [fifo]);
    for (const p of [fifo, dir, '/dev/null', '/dev/zero', join(dir, 'missing.img')]) {
      const { code, stderr } = await inspect([p]);
      expect(code, p).toBe(2);
      expect(stderr, p).toMatch(/^mkrootfs: error \[IMAGE_NOT_(REGULAR|FOUND)\]: /);
    }
  });
});
