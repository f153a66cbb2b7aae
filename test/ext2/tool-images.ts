/**
 * Images made by the tools users compare us with — mke2fs (ext2, ext3, ext4
 * in many feature combinations) and genext2fs — from one host source tree,
 * for the reader tests. Device nodes are added with `debugfs -w mknod` (no
 * root needed); owners are set only when the tests run as root.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chownSync, linkSync, mkdirSync, symlinkSync, utimesSync, writeFileSync, openSync, writeSync, closeSync, ftruncateSync, lutimesSync, readdirSync, lstatSync } from 'node:fs';
import { join } from 'node:path';
import { pseudoBytes } from './fixtures.ts';

export const SOURCE_MTIME = 1_700_000_000;
const isRoot = process.getuid?.() === 0;

export interface SourceOptions {
  /** Include the 4.2 MB file (double-indirect blocks at 4 KiB) and the 70 MB sparse file (triple-indirect at 1 KiB). */
  large: boolean;
  /** Files in /many (a hash-tree directory after `e2fsck -D`). */
  manyFiles: number;
}

function writeSparse(path: string, size: number, pieces: [number, Uint8Array][]): void {
  const fd = openSync(path, 'w');
  try {
    for (const [at, data] of pieces) writeSync(fd, data, 0, data.length, at);
    ftruncateSync(fd, size);
  } finally {
    closeSync(fd);
  }
}

/** Writes the source tree at `root`. */
export function makeSourceTree(root: string, opts: SourceOptions): void {
  const p = (rel: string): string => join(root, rel);
  for (const d of ['big', 'sparse', 'links', 'many', 'deep/a/b/c/d/e/f/g', 'sp ace', 'etc', 'empty-dir']) mkdirSync(p(d), { recursive: true });
  writeFileSync(p('small.txt'), 'hello world\n');
  writeFileSync(p('empty'), '');
  writeFileSync(p('big/f13k'), pseudoBytes(13 * 1024 + 7, 11));
  writeFileSync(p('big/f300k'), pseudoBytes(300_000, 12));
  writeSparse(p('sparse/hole-mid'), 3 * 1024 * 1024 + 3000, [[0, pseudoBytes(5000, 13)], [3 * 1024 * 1024, pseudoBytes(3000, 14)]]);
  writeSparse(p('sparse/tail'), 5 * 1024 * 1024, [[0, new TextEncoder().encode('head')]]);
  // 20 runs of data: more extents than fit in the inode (a depth-1 tree).
  writeSparse(p('sparse/runs'), 20 * 131072, Array.from({ length: 20 }, (_, i) => [i * 131072, pseudoBytes(65536, 100 + i)] as [number, Uint8Array]));
  // 400 one-KiB pieces 8 KiB apart: 400 extents, a depth-2 tree with 1 KiB blocks.
  writeSparse(p('sparse/fragments'), 400 * 8192, Array.from({ length: 400 }, (_, i) => [i * 8192, pseudoBytes(1024, 1000 + i)] as [number, Uint8Array]));
  if (opts.large) {
    writeFileSync(p('big/f4200k'), pseudoBytes(4200 * 1024 + 5, 15));
    writeSparse(p('sparse/far'), 70 * 1024 * 1024 + 4096, [[70 * 1024 * 1024, pseudoBytes(4096, 16)]]);
  }
  for (let i = 0; i < opts.manyFiles; i++) writeFileSync(p(`many/file-${String(i).padStart(4, '0')}-${'x'.repeat(i % 40)}`), `n${i}\n`);
  writeFileSync(p('deep/a/b/c/d/e/f/g/leaf'), 'leaf\n');
  writeFileSync(p('etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\n');
  writeFileSync(p('sp ace/ünï cødé'), 'unicode\n');
  writeFileSync(p('n'.repeat(255)), 'long name\n');
  symlinkSync('busybox', p('links/fast'));
  symlinkSync('x'.repeat(59), p('links/edge59'));
  symlinkSync('y'.repeat(60), p('links/edge60'));
  symlinkSync('/' + 'long-target/'.repeat(10), p('links/slow'));
  symlinkSync('z'.repeat(1000), p('links/huge'));
  linkSync(p('big/f13k'), p('links/hard'));
  if (isRoot) {
    chownSync(p('small.txt'), 1000, 100);
    chownSync(p('etc/passwd'), 100000, 100001);
  }
  execFileSync('chmod', ['4755', p('big/f13k')]);
  execFileSync('chmod', ['1777', p('deep')]);
  execFileSync('chmod', ['2750', p('etc')]);
  const touch = (rel: string): void => {
    const full = p(rel);
    if (lstatSync(full).isSymbolicLink()) lutimesSync(full, SOURCE_MTIME, SOURCE_MTIME);
    else utimesSync(full, SOURCE_MTIME, SOURCE_MTIME);
    if (lstatSync(full).isDirectory()) for (const e of readdirSync(full)) touch(join(rel, e));
  };
  touch('.');
}

/** Special files added to every image afterwards (debugfs syntax), under /dev. */
export const DEVICE_NODES = [
  { name: 'null', type: 'c', major: 1, minor: 3 },
  { name: 'sda', type: 'b', major: 8, minor: 0 },
  { name: 'mid', type: 'b', major: 259, minor: 256 },
  { name: 'wide', type: 'c', major: 4095, minor: 65535 },
  { name: 'fifo', type: 'p', major: 0, minor: 0 },
] as const;

function addDevices(img: string): void {
  // debugfs mknod takes a name in the current directory, not a path.
  const cmds = ['mkdir dev', 'cd /dev', ...DEVICE_NODES.map((d) => (d.type === 'p' ? `mknod ${d.name} p` : `mknod ${d.name} ${d.type} ${d.major} ${d.minor}`))];
  const r = spawnSync('debugfs', ['-w', '-f', '-', img], { input: cmds.join('\n') + '\n' });
  if (r.status !== 0) throw new Error(`debugfs mknod failed on ${img}: ${r.stderr}`);
}

export interface ToolImage { name: string; tool: 'mke2fs' | 'genext2fs'; blockSize: number; args: string[]; htree?: boolean }

/** The variants: every layout and inode format the reader claims to read. */
export const TOOL_IMAGES: ToolImage[] = [
  { name: 'ext2 128-byte inodes, many groups', tool: 'mke2fs', blockSize: 1024, args: ['-t', 'ext2', '-I', '128', '-g', '2048'] },
  { name: 'ext2 revision 0', tool: 'mke2fs', blockSize: 4096, args: ['-t', 'ext2', '-r', '0'] },
  { name: 'ext2 htree', tool: 'mke2fs', blockSize: 2048, args: ['-t', 'ext2'], htree: true },
  { name: 'ext3 128-byte inodes, htree', tool: 'mke2fs', blockSize: 1024, args: ['-t', 'ext3', '-I', '128'], htree: true },
  { name: 'ext4 default', tool: 'mke2fs', blockSize: 1024, args: ['-t', 'ext4'] },
  { name: 'ext4 default htree', tool: 'mke2fs', blockSize: 4096, args: ['-t', 'ext4'], htree: true },
  { name: 'ext4 without extents (indirect maps)', tool: 'mke2fs', blockSize: 2048, args: ['-t', 'ext4', '-O', '^extent,^64bit'] },
  { name: 'ext4 uninit_bg, no flex_bg, 32-bit', tool: 'mke2fs', blockSize: 4096, args: ['-t', 'ext4', '-I', '128', '-O', '^flex_bg,^64bit,^metadata_csum,uninit_bg'] },
  { name: 'ext4 inline_data', tool: 'mke2fs', blockSize: 1024, args: ['-t', 'ext4', '-O', 'inline_data'] },
  { name: 'ext4 inline_data', tool: 'mke2fs', blockSize: 4096, args: ['-t', 'ext4', '-O', 'inline_data'] },
  { name: 'ext4 meta_bg, many groups', tool: 'mke2fs', blockSize: 1024, args: ['-t', 'ext4', '-O', 'meta_bg,^resize_inode', '-g', '1024'] },
  { name: 'ext4 bigalloc', tool: 'mke2fs', blockSize: 2048, args: ['-t', 'ext4', '-O', 'bigalloc', '-C', '8192'] },
  { name: 'ext4 large_dir casefold', tool: 'mke2fs', blockSize: 4096, args: ['-t', 'ext4', '-O', 'large_dir,casefold'] },
  { name: 'genext2fs', tool: 'genext2fs', blockSize: 1024, args: [] },
  { name: 'genext2fs', tool: 'genext2fs', blockSize: 2048, args: [] },
  { name: 'genext2fs', tool: 'genext2fs', blockSize: 4096, args: [] },
  { name: 'genext2fs Hurd', tool: 'genext2fs', blockSize: 1024, args: ['-o', 'hurd'] },
];

const FIXED = '11111111-2222-3333-4444-555555555555';

/** Makes `v` from `src` at `img` (`mb` MiB), adds the device nodes, and checks it with e2fsck. */
export function makeToolImage(v: ToolImage, src: string, img: string, mb: number): void {
  const env = { ...process.env, E2FSPROGS_FAKE_TIME: String(SOURCE_MTIME) };
  const r = v.tool === 'mke2fs'
    ? spawnSync('mke2fs', ['-q', '-F', '-b', String(v.blockSize), '-U', FIXED, '-E', `hash_seed=${FIXED}`, ...v.args, '-d', src, img, `${mb}M`], { env })
    : spawnSync('genext2fs', ['-B', String(v.blockSize), '-b', String((mb * 1024 * 1024) / v.blockSize), '-N', '4096', '-z', ...v.args, '-d', src, img], { env });
  if (r.status !== 0) throw new Error(`${v.tool} ${v.args.join(' ')} failed: ${r.stderr}`);
  if (v.htree) spawnSync('e2fsck', ['-fyD', img]); // exit 1: "file system was modified"
  addDevices(img);
  const check = spawnSync('e2fsck', ['-fn', img]);
  if (check.status !== 0) throw new Error(`e2fsck -fn ${img} (${v.name}) exited ${check.status}: ${check.stdout}`);
}
