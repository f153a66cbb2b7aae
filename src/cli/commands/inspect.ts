/**
 * `mkrootfs inspect IMG [PATH]`: looks inside an ext2 image with our own
 * reader — lists a directory `ls -l` style, prints a file's bytes, shows a
 * symlink or device node. No mounting, no e2fsprogs.
 */
import type { Command } from 'commander';
import { createHash } from 'node:crypto';
import { resolve } from 'node:path';
import type { CommandContext } from '../main.ts';
import { openImage, type Ext2Reader, type Ext2Stat } from '../../ext2/reader.ts';
import { formatUuid } from '../../ext2/identity.ts';
import { displayName, toBinary } from '../../tree/tree.ts';

const HELP = `
A directory is listed like ls -l (mode, links, uid, gid, size or device
numbers, mtime in UTC, name, -> symlink target); a regular file's bytes are
written to stdout; a symlink or special file is shown as one listing line.
--json prints the image summary and the entry (or entries) as JSON.

Exit codes: 0 ok, 1 runtime error, 2 not an ext2 image or no such path.

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
  return new Date(t * 1000).toISOString().replace('T', ' ').slice(0, 16);
}

async function listingLine(r: Ext2Reader, st: Ext2Stat, name: string, path: string): Promise<string> {
  const sizeCol = st.type === 'char' || st.type === 'block' ? `${st.major}, ${st.minor}` : String(st.size);
  let line = `${modeString(st)} ${String(st.links).padStart(3)} ${String(st.uid).padStart(5)} ${String(st.gid).padStart(5)} ${sizeCol.padStart(10)} ${isoTime(st.mtime)} ${displayName(name)}`;
  if (st.type === 'symlink') line += ` -> ${displayName(bytesToText(await r.readlink(path)))}`;
  return line;
}

function bytesToText(b: Uint8Array): string {
  let s = '';
  for (const x of b) s += String.fromCharCode(x);
  return s;
}

async function entryJson(r: Ext2Reader, st: Ext2Stat, name: string, path: string): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = { name: displayName(name), ...st };
  if (st.type === 'symlink') out.target = displayName(bytesToText(await r.readlink(path)));
  return out;
}

export function defineInspect(program: Command, ctx: CommandContext): void {
  program
    .command('inspect')
    .description('List a directory or print a file inside an ext2 image (read with our own reader)')
    .argument('<image>', 'ext2 image file')
    .argument('[path]', 'path inside the image', '/')
    .option('--json', 'print JSON instead of text')
    .addHelpText('after', HELP)
    .action(async (image: string, pathText: string, flags: { json?: boolean }) => {
      const r = await openImage(resolve(ctx.io.cwd, image));
      try {
        const path = toBinary(pathText);
        const st = await r.stat(path);
        const join = (name: string): string => (path.endsWith('/') ? path : path + '/') + name;
        if (flags.json) {
          const sb = r.superblock;
          const result: Record<string, unknown> = {
            image: {
              path: image, blockSize: r.blockSize, blocks: sb.blocksCount, freeBlocks: sb.freeBlocksCount,
              inodes: sb.inodesCount, freeInodes: sb.freeInodesCount, uuid: formatUuid(sb.uuid),
              label: new TextDecoder().decode(sb.volumeName).replace(/\0+$/, ''),
            },
            path: pathText,
            entry: await entryJson(r, st, path === '/' ? '/' : path.slice(path.lastIndexOf('/') + 1), path),
          };
          if (st.type === 'dir') {
            const entries = [];
            for (const e of await r.readdir(path)) entries.push(await entryJson(r, await r.statIno(e.ino), e.name, join(e.name)));
            result.entries = entries;
          } else if (st.type === 'file') {
            result.sha256 = createHash('sha256').update(await r.readFile(path)).digest('hex');
          }
          ctx.io.stdout.write(JSON.stringify(result, null, 2) + '\n');
        } else if (st.type === 'dir') {
          const lines: string[] = [];
          for (const e of await r.readdir(path)) lines.push(await listingLine(r, await r.statIno(e.ino), e.name, join(e.name)));
          ctx.io.stdout.write(lines.map((l) => l + '\n').join(''));
        } else if (st.type === 'file') {
          ctx.io.stdout.write(Buffer.from(await r.readFile(path)));
        } else {
          ctx.io.stdout.write(await listingLine(r, st, pathText, path) + '\n');
        }
      } finally {
        await r.close();
      }
      ctx.setExit(0);
    });
}
