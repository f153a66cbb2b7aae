/**
 * A read-only ext2/ext3/ext4 reader: stat, list, read files and symlink
 * targets, by path or inode number. Used by `mkrootfs inspect` and by tests;
 * paths are resolved without following symlinks; names are binary strings
 * (raw bytes).
 *
 * It reads what mke2fs, genext2fs, the kernel and our writer produce: 128- to
 * block-size inodes, indirect block maps and extent trees, hash-tree
 * directories (read linearly), inline data, 64-bit and flex_bg/meta_bg
 * layouts, bigalloc, checksummed metadata (checksums are not verified).
 * Incompat features it cannot honour are refused by name (see read/features.ts).
 *
 * Damage is reported, never tripped over: every on-disk number is checked
 * before it is used as an offset, a length or a loop bound, so a corrupt or
 * truncated image gives IMAGE_CORRUPT / IMAGE_TRUNCATED ("corrupt image: WHAT
 * at WHERE", exit 2) in time and memory bounded by the image's size and the
 * output asked for. File contents stream in chunks (fileChunks) so that a
 * large or sparse file never has to fit in memory.
 */
import { MkrootfsError, withContextAsync } from '../errors.ts';
import { displayName, splitPath } from '../tree/tree.ts';
import type { ImageFs } from './image-fs.ts';
import { decodeDevice, Mode, S_IFMT } from './inode.ts';
import { ImageBlocks } from './read/blocks.ts';
import { parseDirEntries, type RawDirEntry } from './read/dir-entries.ts';
import { corrupt, notExt2, truncated, unsupported } from './read/errors.ts';
import { Incompat } from './read/features.ts';
import { blocksForSize, mapRuns, newBudget, type MapContext } from './read/file-map.ts';
import { BG_INODE_UNINIT, GroupDescs } from './read/group-descs.ts';
import { openImageSource, type ImageSource, type ImageSourceFs } from './read/image-source.ts';
import { inlineContent, inlineTail } from './read/inline-data.ts';
import { decodeInode, InodeFlag, type ReadInode } from './read/inode.ts';
import { decodeGeometry, EXT2_MAGIC, SUPERBLOCK_OFFSET, SUPERBLOCK_SIZE, type Geometry } from './read/superblock.ts';

export type { ImageSource, ImageSourceFs } from './read/image-source.ts';
export { memoryImageSource } from './read/image-source.ts';
export type { Geometry } from './read/superblock.ts';
export type { ReadInode } from './read/inode.ts';

export type Ext2FileType = 'file' | 'dir' | 'symlink' | 'char' | 'block' | 'fifo' | 'socket' | 'unknown';

export interface Ext2Stat {
  ino: number;
  type: Ext2FileType;
  /** Permission bits (0o7777). */
  perm: number;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  mtime: number;
  links: number;
  /** 512-byte sectors allocated. */
  sectors: number;
  /** Device numbers for char/block devices. */
  major?: number;
  minor?: number;
}

export interface Ext2DirEntry { name: string; ino: number; fileTypeCode: number }

const TYPES: Record<number, Ext2FileType> = {
  [Mode.file]: 'file', [Mode.dir]: 'dir', [Mode.symlink]: 'symlink', [Mode.char]: 'char',
  [Mode.block]: 'block', [Mode.fifo]: 'fifo', [Mode.socket]: 'socket',
};

/** Largest file readFile returns in one piece (fileChunks has no limit). */
const READ_LIMIT = 1 << 30;
/** Bytes per chunk of fileChunks. */
const CHUNK = 1 << 20;
/** Shared zeros for holes: chunks that are views of it must not be written to. */
const ZEROS = new Uint8Array(CHUNK);

function notFound(path: string, why: string): MkrootfsError {
  return new MkrootfsError({ code: 'IMAGE_PATH_NOT_FOUND', message: `${displayName(path)}: ${why}`, hint: 'list the parent directory with `mkrootfs inspect IMG DIR`', data: { path: displayName(path) }, exitCode: 2 });
}

function typeOf(mode: number): Ext2FileType {
  return TYPES[mode & S_IFMT] ?? 'unknown';
}

export class Ext2Reader {
  readonly blockSize: number;
  /** The checked superblock (sizes, counts, features, label, UUID). */
  readonly geometry: Geometry;
  private readonly blocks: ImageBlocks;
  private readonly groups: GroupDescs;

  private constructor(private readonly source: ImageSource, readonly path: string, geometry: Geometry) {
    this.geometry = geometry;
    this.blockSize = geometry.blockSize;
    this.blocks = new ImageBlocks(source, geometry);
    this.groups = new GroupDescs(this.blocks, geometry);
  }

  /** Opens the image at `path` (a regular file; anything else is IMAGE_NOT_REGULAR). */
  static async open(path: string, fs?: ImageSourceFs | ImageFs): Promise<Ext2Reader> {
    return Ext2Reader.fromSource(await openImageSource(path, fs), path);
  }

  /** Reads an image from any source (closed on failure); `name` is used in messages. */
  static async fromSource(source: ImageSource, name: string): Promise<Ext2Reader> {
    try {
      if (source.size < SUPERBLOCK_OFFSET + 58) throw notExt2(name, source.size === 0 ? 'the file is empty' : `only ${source.size} bytes, too small to hold a superblock`);
      const sb = new Uint8Array(SUPERBLOCK_SIZE);
      const n = await source.read(sb, 0, SUPERBLOCK_SIZE, SUPERBLOCK_OFFSET);
      const magic = sb[56]! | (sb[57]! << 8);
      if (n < 58 || magic !== EXT2_MAGIC) throw notExt2(name, `no ext2/ext3/ext4 superblock magic at byte ${SUPERBLOCK_OFFSET + 56}`);
      if (n < SUPERBLOCK_SIZE) throw truncated('the superblock', SUPERBLOCK_OFFSET + SUPERBLOCK_SIZE, source.size);
      return new Ext2Reader(source, name, decodeGeometry(sb));
    } catch (err) {
      await source.close();
      throw err;
    }
  }

  /** Compatibility view of the superblock's counts and identity. */
  get superblock(): { blocksCount: number; freeBlocksCount: number; inodesCount: number; freeInodesCount: number; uuid: Uint8Array; volumeName: Uint8Array } {
    return this.geometry;
  }

  /** True when the image file is shorter than the file system it holds. */
  get truncated(): boolean {
    return this.source.size < this.geometry.blocksCount * this.blockSize;
  }

  /** True when the journal holds transactions not yet replayed: the image shows the state before them. */
  get needsRecovery(): boolean {
    return (this.geometry.incompat & Incompat.recover) !== 0;
  }

  async close(): Promise<void> {
    await this.source.close();
  }

  /** The on-disk inode `ino`, decoded (it may be unused: mode 0). */
  async readInode(ino: number): Promise<ReadInode> {
    const g = this.geometry;
    const where = `inode ${ino}`;
    if (!Number.isInteger(ino) || ino < 1 || ino > g.inodesCount) throw corrupt(`inode number ${ino} outside 1 to ${g.inodesCount}`, where, { ino });
    const group = Math.floor((ino - 1) / g.inodesPerGroup);
    const index = (ino - 1) % g.inodesPerGroup;
    const desc = await withContextAsync(`reading inode ${ino}`, () => this.groups.get(group));
    const raw = new Uint8Array(g.inodeSize);
    // Inodes of a never-initialised part of the table are free: read them as zeros, never as stale bytes.
    if (!(desc.flags & BG_INODE_UNINIT) && index < g.inodesPerGroup - desc.itableUnused) {
      await this.blocks.readBytes(raw, 0, g.inodeSize, desc.inodeTable * g.blockSize + index * g.inodeSize, where);
    }
    return decodeInode(raw, ino, g);
  }

  /** The inode `ino`, which must be in use (reached through a directory entry). */
  private async liveInode(ino: number): Promise<ReadInode> {
    const inode = await this.readInode(ino);
    if (inode.mode === 0 || inode.linksCount === 0) {
      throw corrupt(`inode ${ino} is ${inode.mode === 0 ? 'unused' : 'deleted (no links)'}, but a directory entry names it`, `inode ${ino}`, { ino });
    }
    return inode;
  }

  private ctx(inode: ReadInode): MapContext {
    return { blocks: this.blocks, ino: inode.ino, budget: newBudget(this.blocks, inode) };
  }

  private refuseEncrypted(inode: ReadInode): void {
    if (inode.flags & InodeFlag.encrypt) throw unsupported('encrypt', `inode ${inode.ino} is encrypted (fscrypt)`, { ino: inode.ino });
  }

  async statIno(ino: number): Promise<Ext2Stat> {
    return this.statOf(await this.liveInode(ino));
  }

  private statOf(i: ReadInode): Ext2Stat {
    const type = typeOf(i.mode);
    const st: Ext2Stat = { ino: i.ino, type, perm: i.mode & 0o7777, mode: i.mode, uid: i.uid, gid: i.gid, size: i.size, mtime: i.mtime, links: i.linksCount, sectors: i.sectors };
    if (type === 'char' || type === 'block') Object.assign(st, decodeDevice(i.block));
    return st;
  }

  /** Entries of directory `ino` in on-disk order, '.' and '..' included. */
  async *entries(ino: number): AsyncGenerator<Ext2DirEntry> {
    const inode = await this.liveInode(ino);
    if (typeOf(inode.mode) !== 'dir') throw corrupt(`inode ${ino} is not a directory, but is used as one`, `inode ${ino}`, { ino });
    this.refuseEncrypted(inode);
    const g = this.geometry;
    const hasFileType = (g.incompat & Incompat.filetype) !== 0;
    const out: RawDirEntry[] = [];
    if (inode.flags & InodeFlag.inlineData) {
      const parent = new DataView(inode.blockBytes.buffer, inode.blockBytes.byteOffset, 4).getUint32(0, true);
      if (parent < 1 || parent > g.inodesCount) throw corrupt(`inline directory's parent inode ${parent}`, `inode ${ino}`, { parent });
      yield { name: '.', ino, fileTypeCode: 2 };
      yield { name: '..', ino: parent, fileTypeCode: 2 };
      parseDirEntries(inode.blockBytes, 4, 60, g, hasFileType, (o) => `inode ${ino} inline directory, byte ${o + 4}`, out);
      const tail = inlineTail(inode);
      parseDirEntries(tail, 0, tail.length, g, hasFileType, (o) => `inode ${ino} inline directory (extended attribute), byte ${o}`, out);
      for (const e of out) yield { name: e.name, ino: e.ino, fileTypeCode: e.fileType };
      return;
    }
    const bs = g.blockSize;
    if (inode.size % bs !== 0) throw corrupt(`directory size ${inode.size}, not a multiple of the block size ${bs}`, `inode ${ino}`, { size: inode.size });
    const ctx = this.ctx(inode);
    const count = blocksForSize(this.blocks, inode, inode.size);
    const buf = new Uint8Array(bs);
    for await (const run of mapRuns(ctx, inode, 0, count)) {
      if (run.physical === 0) throw corrupt(`hole in a directory (logical block ${run.logical})`, `inode ${ino}`, { ino, logical: run.logical });
      for (let k = 0; k < run.count; k++) {
        const block = run.physical + k;
        const where = (o: number): string => `directory inode ${ino}, block ${block}, byte ${o}`;
        await this.blocks.readBlocks(buf, 0, block, 1, where(0));
        out.length = 0;
        parseDirEntries(buf, 0, bs, g, hasFileType, where, out);
        for (const e of out) yield { name: e.name, ino: e.ino, fileTypeCode: e.fileType };
      }
    }
  }

  /** Directory entries of `ino`, '.' and '..' included, in on-disk order. */
  async readdirIno(ino: number): Promise<Ext2DirEntry[]> {
    const out: Ext2DirEntry[] = [];
    for await (const e of this.entries(ino)) out.push(e);
    return out;
  }

  /** The inode number `name` has in directory `dirIno`, or undefined. */
  async lookup(dirIno: number, name: string): Promise<number | undefined> {
    for await (const e of this.entries(dirIno)) if (e.name === name) return e.ino;
    return undefined;
  }

  /** Inode number of `path` (binary string), not following symlinks. */
  async resolve(path: string): Promise<number> {
    let ino = 2;
    let walked = '';
    for (const part of splitPath(path)) {
      const inode = await this.liveInode(ino);
      if (typeOf(inode.mode) !== 'dir') throw notFound(walked || '/', 'not a directory');
      walked += '/' + part;
      const found = await withContextAsync(`while looking up ${displayName(walked)}`, () => this.lookup(ino, part));
      if (found === undefined) throw notFound(walked, 'no such file or directory in the image');
      ino = found;
    }
    return ino;
  }

  async stat(path: string): Promise<Ext2Stat> {
    const ino = await this.resolve(path);
    return withContextAsync(`while reading ${displayName(path)}`, () => this.statIno(ino));
  }

  /** Directory listing without '.' and '..', in on-disk order. */
  async readdir(path: string): Promise<Ext2DirEntry[]> {
    const ino = await this.resolve(path);
    const inode = await withContextAsync(`while reading ${displayName(path)}`, () => this.liveInode(ino));
    if (typeOf(inode.mode) !== 'dir') throw notFound(path, 'not a directory');
    const all = await withContextAsync(`while listing ${displayName(path)}`, () => this.readdirIno(ino));
    return all.filter((e) => e.name !== '.' && e.name !== '..');
  }

  /**
   * The bytes of regular file `ino` in chunks of at most 1 MiB, holes as
   * zeros. Chunks may share memory with each other: copy what you keep.
   */
  async *fileChunksIno(ino: number): AsyncGenerator<Uint8Array> {
    const inode = await this.liveInode(ino);
    if (typeOf(inode.mode) !== 'file') throw corrupt(`inode ${ino} is not a regular file, but is read as one`, `inode ${ino}`, { ino });
    yield* this.contentChunks(inode);
  }

  private async *contentChunks(inode: ReadInode): AsyncGenerator<Uint8Array> {
    this.refuseEncrypted(inode);
    if (inode.flags & InodeFlag.inlineData) {
      yield inlineContent(inode);
      return;
    }
    const bs = this.blockSize;
    const size = inode.size;
    const count = blocksForSize(this.blocks, inode, size);
    const ctx = this.ctx(inode);
    for await (const run of mapRuns(ctx, inode, 0, count)) {
      let pos = run.logical * bs;
      const end = Math.min(size, (run.logical + run.count) * bs);
      while (pos < end) {
        const n = Math.min(CHUNK, end - pos);
        if (run.physical === 0) {
          yield ZEROS.subarray(0, n);
        } else {
          const out = new Uint8Array(n);
          await this.blocks.readBytes(out, 0, n, run.physical * bs + (pos - run.logical * bs), `inode ${inode.ino}, logical block ${Math.floor(pos / bs)}`);
          yield out;
        }
        pos += n;
      }
    }
  }

  /** Like fileChunksIno, by path. */
  async *fileChunks(path: string): AsyncGenerator<Uint8Array> {
    const ino = await this.resolve(path);
    const inode = await withContextAsync(`while reading ${displayName(path)}`, () => this.liveInode(ino));
    if (typeOf(inode.mode) !== 'file') throw notFound(path, 'not a regular file');
    try {
      yield* this.contentChunks(inode);
    } catch (err) {
      if (err instanceof MkrootfsError && !err.message.includes('(while')) err.message += ` (while reading ${displayName(path)})`;
      throw err;
    }
  }

  /** The whole of regular file `path` (at most 1 GiB; use fileChunks for more). */
  async readFile(path: string): Promise<Uint8Array> {
    const ino = await this.resolve(path);
    const inode = await withContextAsync(`while reading ${displayName(path)}`, () => this.liveInode(ino));
    if (typeOf(inode.mode) !== 'file') throw notFound(path, 'not a regular file');
    await withContextAsync(`while reading ${displayName(path)}`, async () => blocksForSize(this.blocks, inode, inode.size));
    if (inode.size > READ_LIMIT) {
      throw new MkrootfsError({ code: 'IMAGE_FILE_TOO_LARGE', message: `${displayName(path)} is ${inode.size} bytes, too large to read at once`, hint: 'read it in chunks (fileChunks)', data: { size: inode.size }, exitCode: 1 });
    }
    return withContextAsync(`while reading ${displayName(path)}`, async () => {
      const out = new Uint8Array(inode.size);
      let pos = 0;
      for await (const chunk of this.contentChunks(inode)) {
        out.set(chunk, pos);
        pos += chunk.length;
      }
      return out;
    });
  }

  /** The target of symlink `ino` (raw bytes). */
  async readlinkIno(ino: number): Promise<Uint8Array> {
    const inode = await this.liveInode(ino);
    if (typeOf(inode.mode) !== 'symlink') throw corrupt(`inode ${ino} is not a symlink, but is read as one`, `inode ${ino}`, { ino });
    return this.linkTarget(inode);
  }

  private async linkTarget(inode: ReadInode): Promise<Uint8Array> {
    const where = `symlink inode ${inode.ino}`;
    this.refuseEncrypted(inode);
    const size = inode.size;
    if (size === 0) throw corrupt('symlink with an empty target', where);
    // Linux refuses targets longer than a block (ENAMETOOLONG).
    if (size > this.blockSize) throw corrupt(`symlink target of ${size} bytes, longer than a block`, where, { size });
    if (inode.flags & InodeFlag.inlineData) return inlineContent(inode);
    // Fast symlinks keep the target in i_block (e2fsprogs' ext2fs_is_fast_symlink: by size alone).
    if (!(inode.flags & InodeFlag.extents) && size < 60) return inode.blockBytes.slice(0, size);
    const out = new Uint8Array(size);
    let pos = 0;
    for await (const chunk of this.contentChunks(inode)) {
      out.set(chunk, pos);
      pos += chunk.length;
    }
    return out;
  }

  async readlink(path: string): Promise<Uint8Array> {
    const ino = await this.resolve(path);
    const inode = await withContextAsync(`while reading ${displayName(path)}`, () => this.liveInode(ino));
    if (typeOf(inode.mode) !== 'symlink') throw notFound(path, 'not a symlink');
    return withContextAsync(`while reading ${displayName(path)}`, () => this.linkTarget(inode));
  }
}

/** Opens an image for reading (see Ext2Reader). */
export function openImage(path: string, fs?: ImageSourceFs | ImageFs): Promise<Ext2Reader> {
  return Ext2Reader.open(path, fs);
}
