/**
 * `mkrootfs inspect IMG [PATH]`: looks inside an ext2/ext3/ext4 image with
 * our own reader — lists a directory `ls -l` style, prints a file's bytes,
 * shows a symlink or device node. No mounting, no e2fsprogs.
 *
 * A file's bytes are streamed (with backpressure), so a large or sparse file
 * costs a chunk of memory, not its size. A damaged image is an error with a
 * code (IMAGE_CORRUPT, IMAGE_TRUNCATED, IMAGE_UNSUPPORTED_FEATURE, exit 2).
 */
import type { Command } from 'commander';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { resolve } from 'node:path';
import type { CommandContext } from '../main.ts';
import { info, type CliIo } from '../io.ts';
import { openImage, type Ext2Reader, type Ext2Stat } from '../../ext2/reader.ts';
import { formatUuid } from '../../ext2/identity.ts';
import { displayName, toBinary } from '../../tree/tree.ts';

const HELP = `
A directory is listed like ls -l (mode, links, uid, gid, size or device
numbers, mtime in UTC, name, -> symlink target); a regular file's bytes are
written to stdout; a symlink or special file is shown as one listing line.
--json prints the image summary and the entry (or entries) as JSON.

Reads ext2, ext3 and ext4 images (mkrootfs, mke2fs, genext2fs, the kernel):
128- and 256-byte inodes, extents, hash-tree directories, inline data,
64bit, flex_bg, meta_bg, bigalloc. Images using compression, an external
journal device, dirdata or encrypted files are refused by feature name.

Exit codes: 0 ok, 1 runtime error, 2 not an image file, not ext2/3/4, a
corrupt or truncated image, an unsupported feature, or no such path.

Examples:
  $ mkrootfs inspect out/rootfs.img                  list the root directory
  $ mkrootfs inspect out/rootfs.img /etc             list /etc
  $ mkrootfs inspect out/rootfs.img /etc/inittab     print a file
  $ mkrootfs inspect out/rootfs.img /bin --json      machine-readable listing`;

const TYPE_CHAR: Record<Ext2Stat['type'], string> = { file: '-', dir: 'd', symlink: 'l', char: 'c', block: 'b', fifo: 'p', socket: 's', unknown: '?' };

export function modeString(st: Ext2Stat): string {
  const p = st.perm;
  const rwx = (shift: number, special: number, ch: string): string => {
    const r = p & (4 << shift) ? 'r' : '-';
    const w = p & (2 << shift) ? 'w' : '-';
    const x = p & (1 << shift);
    const s = p & special;
    const e = s ? (x ? ch : ch.toUpperCase()) : x ? 'x' : '-';
    return r + w + e;
  };
  return TYPE_CHAR[st.type] + rwx(6, 0o4000, 's') + rwx(3, 0o2000, 's') + rwx(0, 0o1000, 't');
}

function isoTime(t: number): string {
  const d = new Date(t * 1000);
  return Number.isNaN(d.getTime()) ? String(t) : d.toISOString().replace('T', ' ').slice(0, 16);
}

function bytesToText(b: Uint8Array): string {
  let s = '';
  for (const x of b) s += String.fromCharCode(x);
  return s;
}

async function target(r: Ext2Reader, st: Ext2Stat): Promise<string> {
  return displayName(bytesToText(await r.readlinkIno(st.ino)));
}

async function listingLine(r: Ext2Reader, st: Ext2Stat, name: string): Promise<string> {
  const sizeCol = st.type === 'char' || st.type === 'block' ? `${st.major}, ${st.minor}` : String(st.size);
  let line = `${modeString(st)} ${String(st.links).padStart(3)} ${String(st.uid).padStart(5)} ${String(st.gid).padStart(5)} ${sizeCol.padStart(10)} ${isoTime(st.mtime)} ${displayName(name)}`;
  if (st.type === 'symlink') line += ` -> ${await target(r, st)}`;
  return line;
}

async function entryJson(r: Ext2Reader, st: Ext2Stat, name: string): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = { name: displayName(name), ...st };
  if (st.type === 'symlink') out.target = await target(r, st);
  return out;
}

/** Writes with backpressure: a slow or closed reader never makes us buffer a whole file. */
async function write(io: CliIo, chunk: Uint8Array | string): Promise<void> {
  if (!io.stdout.write(typeof chunk === 'string' ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength))) await once(io.stdout, 'drain');
}

function imageSummary(r: Ext2Reader, image: string): Record<string, unknown> {
  const g = r.geometry;
  return {
    path: image, blockSize: r.blockSize, blocks: g.blocksCount, freeBlocks: g.freeBlocksCount,
    inodes: g.inodesCount, freeInodes: g.freeInodesCount, inodeSize: g.inodeSize, uuid: formatUuid(g.uuid),
    label: new TextDecoder().decode(g.volumeName).replace(/\0+$/, ''), features: g.features,
    ...(r.truncated ? { truncated: true } : {}), ...(r.needsRecovery ? { needsRecovery: true } : {}),
  };
}

export function defineInspect(program: Command, ctx: CommandContext): void {
  program
    .command('inspect')
    .description('List a directory or print a file inside an ext2/3/4 image (read with our own reader)')
    .argument('<image>', 'ext2, ext3 or ext4 image file')
    .argument('[path]', 'path inside the image', '/')
    .option('--json', 'print JSON instead of text')
    .addHelpText('after', HELP)
    .action(async (image: string, pathText: string, flags: { json?: boolean }) => {
      const io = ctx.io;
      const r = await openImage(resolve(io.cwd, image));
      try {
        if (r.truncated) info(io, `mkrootfs: warning: ${image} is shorter than the file system it holds (truncated?); reads past its end will fail`);
        if (r.needsRecovery) info(io, `mkrootfs: warning: ${image} has a journal that needs recovery; showing the state before it is replayed`);
        const path = toBinary(pathText);
        const st = await r.stat(path);
        const name = path === '/' ? '/' : path.slice(path.lastIndexOf('/') + 1);
        if (flags.json) {
          const result: Record<string, unknown> = { image: imageSummary(r, image), path: pathText, entry: await entryJson(r, st, name) };
          if (st.type === 'dir') {
            const entries = [];
            for (const e of await r.readdir(path)) entries.push(await entryJson(r, await r.statIno(e.ino), e.name));
            result.entries = entries;
          } else if (st.type === 'file') {
            const hash = createHash('sha256');
            for await (const chunk of r.fileChunks(path)) hash.update(chunk);
            result.sha256 = hash.digest('hex');
          }
          await write(io, JSON.stringify(result, null, 2) + '\n');
        } else if (st.type === 'dir') {
          const lines: string[] = [];
          for (const e of await r.readdir(path)) lines.push(await listingLine(r, await r.statIno(e.ino), e.name) + '\n');
          await write(io, lines.join(''));
        } else if (st.type === 'file') {
          for await (const chunk of r.fileChunks(path)) await write(io, chunk);
        } else {
          await write(io, await listingLine(r, st, path) + '\n');
        }
      } finally {
        await r.close();
      }
      ctx.setExit(0);
    });
}
