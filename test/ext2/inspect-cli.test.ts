/**
 * `mkrootfs inspect` in-process (main() with an injected io) on images from
 * other tools and on damaged ones: what it prints, how it streams, and the
 * exit code and message of each failure.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, truncateSync, writeFileSync, copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.ts';
import { debugfs, debugfsLs, dumpe2fsHeader } from '../helpers/oracles.ts';
import { pseudoBytes, tempDir } from './fixtures.ts';

const dir = tempDir('mkrootfs-inspect-');
let ext4: string;

interface Run { code: number; stdout: Buffer; stderr: string }

async function inspect(args: string[], stdout?: Writable): Promise<Run> {
  const out: Buffer[] = [];
  let stderr = '';
  const sink = stdout ?? new Writable({ write(c: Buffer, _e, cb) { out.push(c); cb(); } });
  const err = new Writable({ write(c: Buffer, _e, cb) { stderr += c.toString(); cb(); } });
  const code = await main(['inspect', ...args], { stdout: sink, stderr: err, stdin: new PassThrough(), env: {}, cwd: dir });
  return { code, stdout: Buffer.concat(out), stderr };
}

beforeAll(() => {
  const src = join(dir, 'src');
  mkdirSync(join(src, 'etc'), { recursive: true });
  writeFileSync(join(src, 'etc/hostname'), 'box\n');
  writeFileSync(join(src, 'blob'), pseudoBytes(3_000_000, 3));
  const fd = join(src, 'sparse');
  writeFileSync(fd, 'start');
  truncateSync(fd, 40 << 20);
  execFileSync('ln', ['-s', 'etc/hostname', join(src, 'link')]);
  ext4 = join(dir, 'ext4.img');
  execFileSync('mke2fs', ['-q', '-F', '-t', 'ext4', '-d', src, ext4, '16M']);
});

describe('inspect on an mke2fs -t ext4 image', () => {
  it('lists the root as debugfs does, with link targets', async () => {
    const r = await inspect(['ext4.img']);
    expect(r.code).toBe(0);
    const names = r.stdout.toString().trim().split('\n').map((l) => / \d\d:\d\d (.*)$/.exec(l)![1]!.replace(/ -> .*/, ''));
    expect(names).toEqual(debugfsLs(ext4, '/').filter((e) => e.ino && e.name !== '.' && e.name !== '..').map((e) => e.name));
    expect(r.stdout.toString()).toMatch(/^lrwxrwxrwx .* link -> etc\/hostname$/m);
  });

  it('prints a file byte for byte, and its sha256 with --json', async () => {
    const blob = Buffer.from(pseudoBytes(3_000_000, 3));
    expect((await inspect(['ext4.img', '/blob'])).stdout.equals(blob)).toBe(true);
    const json = JSON.parse((await inspect(['ext4.img', '/blob', '--json'])).stdout.toString());
    expect(json.sha256).toBe(createHash('sha256').update(blob).digest('hex'));
    expect(json.image.features).toEqual(expect.arrayContaining(['extent', '64bit', 'flex_bg', 'metadata_csum', 'dir_index']));
    expect(json.image.inodeSize).toBe(256);
  });

  it('streams a 40 MiB sparse file to a slow reader without buffering it', async () => {
    let bytes = 0;
    let maxBuffered = 0;
    const slow = new Writable({
      highWaterMark: 64 << 10,
      write(c: Buffer, _e, cb) { bytes += c.length; setImmediate(cb); },
    });
    const origWrite = slow.write.bind(slow);
    slow.write = ((chunk: Buffer, ...rest: never[]) => { const ok = origWrite(chunk, ...rest); maxBuffered = Math.max(maxBuffered, slow.writableLength); return ok; }) as typeof slow.write;
    const r = await inspect(['ext4.img', '/sparse'], slow);
    expect(r.code).toBe(0);
    expect(bytes).toBe(40 << 20);
    expect(maxBuffered).toBeLessThanOrEqual(2 << 20);
  });

  it('warns about a journal that needs recovery, and still reads', async () => {
    const img = join(dir, 'recover.img');
    copyFileSync(ext4, img);
    spawnSync('debugfs', ['-w', '-R', 'feature needs_recovery', img]);
    const r = await inspect(['recover.img', '/etc/hostname']);
    expect(r.code).toBe(0);
    expect(r.stdout.toString()).toBe('box\n');
    expect(r.stderr).toMatch(/warning: recover\.img has a journal that needs recovery/);
  });

  it('warns about a truncated image, reads what it holds, and fails clearly past its end', async () => {
    const img = join(dir, 'short.img');
    copyFileSync(ext4, img);
    const bs = Number(dumpe2fsHeader(ext4).get('Block size'));
    const root = Number(/\(0\):(\d+)/.exec(debugfs(ext4, 'stat /'))![1]);
    const blobEnd = Number(/\(0-\d+\):\d+-(\d+)/.exec(debugfs(ext4, 'stat /blob'))![1]);
    expect(blobEnd).toBeGreaterThan(root + 1);
    truncateSync(img, (root + 1) * bs);
    const ls = await inspect(['short.img', '/']);
    expect(ls.stderr).toMatch(/warning: short\.img is shorter than the file system it holds/);
    expect(ls.code).toBe(0);
    expect(ls.stdout.toString()).toMatch(/ blob$/m);
    const cat = await inspect(['short.img', '/blob']);
    expect(cat.code).toBe(2);
    expect(cat.stderr, cat.stderr).toMatch(new RegExp(`^mkrootfs: error \\[IMAGE_TRUNCATED\\]: corrupt image: the image ends at byte ${(root + 1) * bs}, before (byte \\d+|all of its blocks) at inode \\d+(, logical block \\d+)? \\(while reading /blob\\)$`, 'm'));
  });
});

describe('inspect failures: exit 2 and a coded message', () => {
  it.each([
    ['a directory', (): string => 'src', /\[IMAGE_NOT_REGULAR\]: .*src is a directory, not an image file/],
    ['a FIFO', (): string => { spawnSync('mkfifo', [join(dir, 'pipe')]); return 'pipe'; }, /\[IMAGE_NOT_REGULAR\]: .*pipe is a FIFO \(named pipe\), not an image file/],
    ['a device', (): string => '/dev/zero', /\[IMAGE_NOT_REGULAR\]: \/dev\/zero is a character device/],
    ['a missing file', (): string => 'nope.img', /\[IMAGE_NOT_FOUND\]: .*nope\.img: no such image file/],
    ['an empty file', (): string => { writeFileSync(join(dir, 'empty.img'), ''); return 'empty.img'; }, /\[IMAGE_NOT_EXT2\]: \/.*\/empty\.img is not an ext2 image \(the file is empty\)/],
    ['a damaged directory', (): string => {
      const img = new Uint8Array(readFileSync(ext4));
      const root = Number(/\(0\):(\d+)/.exec(execFileSync('debugfs', ['-R', 'stat /', ext4], { stdio: ['ignore', 'pipe', 'ignore'] }).toString())![1]);
      const bs = Number(dumpe2fsHeader(ext4).get('Block size'));
      img[root * bs + 4] = 0; // rec_len of '.'
      img[root * bs + 5] = 0;
      writeFileSync(join(dir, 'bad.img'), img);
      return 'bad.img';
    }, /\[IMAGE_CORRUPT\]: corrupt image: directory entry length 0 \(a multiple of 4, at least 12\) at directory inode 2, block \d+, byte 0 \(while listing \/\)/],
  ] as const)('%s', async (_label, arg, re) => {
    const t0 = performance.now();
    const r = await inspect([arg()]);
    expect(performance.now() - t0).toBeLessThan(5000);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(re);
    expect(r.stderr).toMatch(/\n {2}hint: /);
    expect(r.stderr).not.toContain('internal error');
  });
});
