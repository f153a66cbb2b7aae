/**
 * One regression test per failure class `mkrootfs inspect` showed on damaged
 * or unusual images (issue 11): each is now a coded error ("corrupt image:
 * WHAT at WHERE", unsupported feature, not a regular file) reached quickly,
 * or — for valid images from other tools — a correct read.
 *
 * Damage is aimed with debugfs (`imap`, `stat`) as the oracle for where
 * things are, so the tests do not trust the reader to find its own targets.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { MkrootfsError } from '../../src/errors.ts';
import { writeImageFile } from '../../src/ext2/write-image.ts';
import { Ext2Reader, memoryImageSource, openImage } from '../../src/ext2/reader.ts';
import { newTree, setNode } from '../../src/tree/tree.ts';
import { debugfs } from '../helpers/oracles.ts';
import { attrs, pseudoBytes, tempDir, text } from './fixtures.ts';

const dir = tempDir('mkrootfs-reader-corrupt-');
const base: Record<string, Uint8Array> = {};

/** Where debugfs says an inode is: byte offset in the image. */
function inodeOffset(img: string, path: string, blockSize: number): number {
  const out = debugfs(img, `imap "${path}"`);
  const m = /located at block (\d+), offset 0x([0-9a-f]+)/.exec(out);
  if (!m) throw new Error(`debugfs imap ${path}: ${out}`);
  return Number(m[1]) * blockSize + parseInt(m[2]!, 16);
}

/** Named blocks from debugfs stat: "(IND):559" → IND → [559], "(0-11):547-558" data ranges under "data". */
function blockMap(img: string, path: string): Map<string, number[]> {
  const out = debugfs(img, `stat "${path}"`);
  const map = new Map<string, number[]>();
  for (const m of out.matchAll(/\(([A-Z]+\d*|[\d-]+)\):(\d+)(?:-(\d+))?/g)) {
    const key = /^[A-Z]/.test(m[1]!) ? m[1]! : 'data';
    const list = map.get(key) ?? [];
    for (let b = Number(m[2]); b <= Number(m[3] ?? m[2]); b++) list.push(b);
    map.set(key, list);
  }
  return map;
}

function put(img: Uint8Array, offset: number, size: 1 | 2 | 4, value: number): Uint8Array {
  const out = img.slice();
  for (let i = 0; i < size; i++) out[offset + i] = (value >>> (8 * i)) & 0xff;
  return out;
}

/** Runs `fn` on a reader of `bytes`; returns the MkrootfsError it throws (or fails the test). */
async function failure(bytes: Uint8Array, fn: (r: Ext2Reader) => Promise<unknown> = (r) => r.readdir('/')): Promise<MkrootfsError> {
  const t0 = performance.now();
  try {
    const r = await Ext2Reader.fromSource(memoryImageSource(bytes), 'test.img');
    await fn(r);
  } catch (err) {
    expect(performance.now() - t0, 'bounded time').toBeLessThan(5000);
    if (!(err instanceof MkrootfsError)) throw err;
    expect(err.exitCode).toBe(2);
    return err;
  }
  throw new Error('expected an error');
}

async function readAll(r: Ext2Reader, path: string): Promise<number> {
  let n = 0;
  for await (const c of r.fileChunks(path)) n += c.length;
  return n;
}

const BS = 1024;
let ours: string;
let ext4: string;

beforeAll(async () => {
  const t = newTree(attrs());
  const a = attrs();
  for (let i = 0; i < 40; i++) setNode(t, `/dir/file-${i}`, { type: 'file', content: { kind: 'bytes', data: text(`f${i}\n`) }, ...attrs({ perm: 0o644 }) }, a);
  setNode(t, '/big', { type: 'file', content: { kind: 'bytes', data: pseudoBytes(300_000, 5) }, ...attrs({ perm: 0o644 }) }, a);
  setNode(t, '/link', { type: 'symlink', target: text('/' + 'x'.repeat(100)), ...attrs({ perm: 0o777 }) }, a);
  ours = join(dir, 'ours.img');
  await writeImageFile({ tree: t, output: ours, options: { blockSize: BS, epoch: 1_700_000_000 } });
  base.ours = new Uint8Array(readFileSync(ours));

  const src = join(dir, 'src');
  mkdirSync(join(src, 'dir'), { recursive: true });
  for (let i = 0; i < 40; i++) writeFileSync(join(src, 'dir', `file-${i}`), `f${i}\n`);
  const runs = Buffer.alloc(40 * 8192);
  for (let i = 0; i < 40; i++) runs.set(pseudoBytes(1024, i + 1), i * 8192);
  writeFileSync(join(src, 'runs'), runs); // zero blocks between the runs: holes, 40 extents (a depth-1 tree)
  ext4 = join(dir, 'ext4.img');
  execFileSync('mke2fs', ['-q', '-F', '-t', 'ext4', '-b', String(BS), '-d', src, ext4, '8M']);
  base.ext4 = new Uint8Array(readFileSync(ext4));
});

describe('valid images from other tools (were internal errors)', () => {
  it('reads genext2fs images with 128-byte inodes (was "Invalid DataView length 256")', async () => {
    const img = join(dir, 'gen.img');
    execFileSync('genext2fs', ['-B', '1024', '-b', '4096', '-d', join(dir, 'src'), img]);
    const r = await openImage(img);
    try {
      expect(r.geometry.inodeSize).toBe(128);
      expect((await r.readdir('/dir')).length).toBe(40);
      expect(new TextDecoder().decode(await r.readFile('/dir/file-7'))).toBe('f7\n');
    } finally {
      await r.close();
    }
  });

  it('reads mke2fs -t ext4 -d images: extents, not block pointers (was "corrupt directory entry … (rec_len 0)")', async () => {
    const r = await openImage(ext4);
    try {
      expect((await r.readdir('/dir')).map((e) => e.name)).toContain('file-39');
      const runs = await r.readFile('/runs');
      expect(Buffer.from(runs.subarray(39 * 8192, 39 * 8192 + 1024)).equals(Buffer.from(pseudoBytes(1024, 40)))).toBe(true);
    } finally {
      await r.close();
    }
  });
});

describe('"reading \'inodeTable\'": inode numbers and groups out of range', () => {
  it('a directory entry naming an inode past the inode count', async () => {
    const root = blockMap(ours, '/').get('data')![0]!;
    // The first entry of the root directory ('.') now names inode 0x7fffffff.
    const err = await failure(put(base.ours!, root * BS, 4, 0x7fffffff));
    expect(err.code).toBe('IMAGE_CORRUPT');
    expect(err.message).toMatch(/^corrupt image: directory entry for inode 2147483647 \(the image has \d+\) at directory inode 2, block \d+, byte 0/);
  });

  it('s_inodes_per_group that disagrees with the inode count', async () => {
    const err = await failure(put(base.ours!, 1024 + 40, 4, 7));
    expect(err.message).toMatch(/^corrupt image: inode count \d+ is not \d+ groups of 7 inodes at the superblock/);
  });

  it('a group descriptor whose inode table lies outside the file system', async () => {
    const err = await failure(put(base.ours!, 2 * BS + 8, 4, 0xfffffff0));
    expect(err.message).toMatch(/^corrupt image: inode table at block 4294967280 .* at group descriptor 0 \(block 2\)/);
  });
});

describe('"Invalid DataView length": sizes and truncation', () => {
  it.each([0, 100, 129, 2048, 65535])('s_inode_size %i', async (size) => {
    const err = await failure(put(base.ours!, 1024 + 88, 2, size));
    expect(err.message).toContain(`corrupt image: inode size ${size}`);
  });

  it('an image cut inside the inode table, and inside the superblock', async () => {
    const itable = inodeOffset(ours, '/', BS);
    const cut = await failure(base.ours!.slice(0, itable));
    expect(cut.code).toBe('IMAGE_TRUNCATED');
    expect(cut.message).toMatch(/^corrupt image: the image ends at byte \d+, before byte \d+ at inode 2/);
    expect((await failure(base.ours!.slice(0, 1500))).code).toBe('IMAGE_TRUNCATED');
    expect((await failure(base.ours!.slice(0, 1000))).code).toBe('IMAGE_NOT_EXT2');
    expect((await failure(new Uint8Array(0))).message).toContain('the file is empty');
  });
});

describe('"corrupt directory entry": entries checked against their block', () => {
  it.each([[0, /directory entry length 0 \(a multiple of 4, at least 12\)/], [6, /directory entry length 6/], [4094, /past the end of the block/]] as const)('rec_len %i', async (len, re) => {
    const root = blockMap(ours, '/').get('data')![0]!;
    const err = await failure(put(base.ours!, root * BS + 4, 2, len));
    expect(err.code).toBe('IMAGE_CORRUPT');
    expect(err.message).toMatch(re);
    expect(err.message).toMatch(/at directory inode 2, block \d+, byte 0/);
  });

  it('a name longer than its entry', async () => {
    const root = blockMap(ours, '/').get('data')![0]!;
    const err = await failure(put(base.ours!, root * BS + 6, 1, 200));
    expect(err.message).toMatch(/directory entry name of 200 bytes in a 12-byte entry/);
  });
});

describe('"Invalid typed array length": sizes never allocate', () => {
  it('a size beyond what the block map can address', async () => {
    const at = inodeOffset(ours, '/big', BS);
    const err = await failure(put(base.ours!, at + 108, 4, 0xffffffff), (r) => r.readFile('/big'));
    expect(err.message).toMatch(/^corrupt image: size \d+ beyond the \d+ bytes its block map can address at inode \d+ \(while reading \/big\)/);
  });

  it('a 1 TiB sparse size streams its first chunk without allocating the file', async () => {
    const at = inodeOffset(ext4, '/runs', BS);
    const img = put(base.ext4!, at + 108, 4, 256); // i_size_high: +1 TiB
    const r = await Ext2Reader.fromSource(memoryImageSource(img), 'test.img');
    expect((await r.stat('/runs')).size).toBe(2 ** 40 + 40 * 8192);
    const before = process.memoryUsage().arrayBuffers;
    let n = 0;
    for await (const c of r.fileChunks('/runs')) { n += c.length; if (n >= 8 << 20) break; }
    expect(n).toBeGreaterThanOrEqual(8 << 20);
    expect(n).toBeLessThan(10 << 20);
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(64 << 20);
    await expect(r.readFile('/runs')).rejects.toMatchObject({ code: 'IMAGE_FILE_TOO_LARGE' });
  });
});

describe('loops and cycles end', () => {
  it('an indirect block whose pointers all point back at itself', async () => {
    const ind = blockMap(ours, '/big').get('IND')![0]!;
    const img = base.ours!.slice();
    const v = new DataView(img.buffer);
    for (let i = 0; i < BS / 4; i++) v.setUint32(ind * BS + i * 4, ind, true);
    const dind = blockMap(ours, '/big').get('DIND')![0]!;
    for (let i = 0; i < BS / 4; i++) v.setUint32(dind * BS + i * 4, ind, true);
    // Claim 60 MiB: 60,000 blocks through the same two blocks.
    const at = inodeOffset(ours, '/big', BS);
    v.setUint32(at + 4, 60 << 20, true);
    const err = await failure(img, (r) => readAll(r, '/big'));
    expect(err.message).toMatch(/^corrupt image: the block map of inode \d+ and its blocks map more blocks than the inode has allocated at inode \d+/);
  });

  it('a directory whose blocks are all the same block', async () => {
    const at = inodeOffset(ours, '/dir', BS);
    const first = blockMap(ours, '/dir').get('data')![0]!;
    const img = base.ours!.slice();
    const v = new DataView(img.buffer);
    for (let i = 0; i < 12; i++) v.setUint32(at + 40 + i * 4, first, true);
    v.setUint32(at + 4, 12 * BS, true);
    const err = await failure(img, (r) => r.readdir('/dir'));
    expect(err.message).toMatch(/map more blocks than the inode has allocated/);
  });

  it('a directory over holes', async () => {
    const at = inodeOffset(ours, '/dir', BS);
    const err = await failure(put(base.ours!, at + 4, 4, 0x40000000), (r) => r.readdir('/dir'));
    expect(err.message).toMatch(/^corrupt image: hole in a directory \(logical block \d+\) at inode \d+/);
  });

  it('an extent tree deeper than ext4 allows', async () => {
    const at = inodeOffset(ext4, '/runs', BS);
    const err = await failure(put(base.ext4!, at + 40 + 6, 2, 6), (r) => readAll(r, '/runs'));
    expect(err.message).toMatch(/^corrupt image: extent tree depth 6 \(at most 5\) at inode \d+ \(extent root\)/);
  });

  it('an extent index pointing back at its own node', async () => {
    const etb = blockMap(ext4, '/runs').get('ETB0')![0]!;
    const at = inodeOffset(ext4, '/runs', BS);
    // The root (depth 1) points at the leaf; make it a depth-2 root whose index is the leaf's own block,
    // and the leaf a depth-1 index pointing at itself.
    let img = put(base.ext4!, at + 40 + 6, 2, 2);
    img = put(img, etb * BS + 6, 2, 1);
    img = put(img, etb * BS + 12 + 4, 4, etb);
    img = put(img, etb * BS + 12 + 8, 2, 0);
    const err = await failure(img, (r) => readAll(r, '/runs'));
    expect(err.code).toBe('IMAGE_CORRUPT');
    expect(err.message).toMatch(/extent tree depth 1 \(want 0\)|extent index/);
  });

  it('an extent past the end of the file system', async () => {
    const at = inodeOffset(ext4, '/dir/file-3', BS);
    const err = await failure(put(base.ext4!, at + 40 + 12 + 8, 4, 0x7fffffff), (r) => r.readFile('/dir/file-3'));
    expect(err.message).toMatch(/^corrupt image: extent blocks 2147483647-2147483647 outside the file system/);
  });
});

describe('unsupported features are named (exit 2)', () => {
  it.each([
    [0x1, 'compression'],
    [0x8, 'journal_dev'],
    [0x1000, 'dirdata'],
    [0x40000000, 'FEATURE_I30'],
  ] as const)('incompat bit %i: %s', async (bit, name) => {
    const v = new DataView(base.ours!.buffer.slice(0));
    const img = put(base.ours!, 1024 + 96, 4, (v.getUint32(1024 + 96, true) | bit) >>> 0);
    const err = await failure(img);
    expect(err.code).toBe('IMAGE_UNSUPPORTED_FEATURE');
    expect(err.message).toMatch(new RegExp(`^unsupported feature ${name}: `));
  });

  it('revision 2', async () => {
    const err = await failure(put(base.ours!, 1024 + 76, 4, 2));
    expect(err.message).toMatch(/^unsupported feature revision 2/);
  });

  it('an encrypted file', async () => {
    const at = inodeOffset(ext4, '/dir/file-3', BS);
    const flags = new DataView(base.ext4!.buffer).getUint32(at + 32, true);
    const err = await failure(put(base.ext4!, at + 32, 4, flags | 0x800), (r) => r.readFile('/dir/file-3'));
    expect(err.message).toMatch(/^unsupported feature encrypt: inode \d+ is encrypted/);
  });
});

describe('the image path must be a regular file', () => {
  it.each([
    ['a directory', (): string => dir, 'IMAGE_NOT_REGULAR', /is a directory, not an image file/],
    ['a FIFO (never opened: no hang)', (): string => { const p = join(dir, 'fifo'); spawnSync('mkfifo', [p]); return p; }, 'IMAGE_NOT_REGULAR', /is a FIFO/],
    ['a character device', (): string => '/dev/null', 'IMAGE_NOT_REGULAR', /is a character device/],
    ['missing', (): string => join(dir, 'nope.img'), 'IMAGE_NOT_FOUND', /no such image file/],
  ] as const)('%s', async (_label, path, code, re) => {
    const err = await openImage(path()).then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(MkrootfsError);
    expect(err).toMatchObject({ code, exitCode: 2 });
    expect((err as Error).message).toMatch(re);
  });
});
