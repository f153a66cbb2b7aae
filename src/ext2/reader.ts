/**
 * A small read-only ext2 reader: superblock, group descriptors, inodes,
 * directories, file contents (holes read as zeros) and symlink targets.
 * Used by `mkrootfs inspect` and by tests; paths are resolved without
 * following symlinks. Names are binary strings (raw bytes).
 */
import { MkrootfsError } from '../errors.ts';
import { splitPath, displayName } from '../tree/tree.ts';
import { decodeDir, type DirEntry } from './dir-block.ts';
import { decodeGroupDescs, type GroupDesc } from './group-desc.ts';
import { nodeImageFs, readFully, type ImageFileHandle, type ImageFs } from './image-fs.ts';
import { decodeDevice, decodeInode, Mode, S_IFMT, type DecodedInode } from './inode.ts';
import { ROOT_INO, SUPERBLOCK_OFFSET } from './layout.ts';
import { decodeSuperblock, EXT2_MAGIC, type Superblock } from './superblock.ts';

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

/** Largest file readFile returns in one piece. */
const READ_LIMIT = 1 << 30;

function notFound(path: string, why: string): MkrootfsError {
  return new MkrootfsError({ code: 'IMAGE_PATH_NOT_FOUND', message: `${displayName(path)}: ${why}`, hint: 'list the parent directory with `mkrootfs inspect IMG DIR`', data: { path: displayName(path) }, exitCode: 2 });
}

export class Ext2Reader {
  readonly blockSize: number;
  private readonly groups: GroupDesc[];

  private constructor(private readonly fh: ImageFileHandle, readonly superblock: Superblock, groupsRaw: Uint8Array) {
    this.blockSize = 1024 << superblock.logBlockSize;
    const count = Math.ceil((superblock.blocksCount - superblock.firstDataBlock) / superblock.blocksPerGroup);
    this.groups = decodeGroupDescs(groupsRaw, count);
  }

  static async open(path: string, fs: ImageFs = nodeImageFs): Promise<Ext2Reader> {
    let fh: ImageFileHandle;
    try {
      fh = await fs.open(path, 'r');
    } catch (err) {
      throw new MkrootfsError({ code: 'IMAGE_UNREADABLE', message: `cannot open image ${path}: ${(err as Error).message}`, hint: 'check the path', data: { path }, exitCode: 2, cause: err });
    }
    try {
      const sbBytes = new Uint8Array(1024);
      await readFully(fh, sbBytes, 0, 1024, SUPERBLOCK_OFFSET);
      const sb = decodeSuperblock(sbBytes);
      if (sb.magic !== EXT2_MAGIC || sb.logBlockSize > 2) {
        throw new MkrootfsError({ code: 'IMAGE_NOT_EXT2', message: `${path} is not an ext2 image (no superblock magic)`, hint: 'pass an image written by mkrootfs build', data: { path }, exitCode: 2 });
      }
      const bs = 1024 << sb.logBlockSize;
      const groups = Math.ceil((sb.blocksCount - sb.firstDataBlock) / sb.blocksPerGroup);
      const gdt = new Uint8Array(Math.ceil((groups * 32) / bs) * bs);
      await readFully(fh, gdt, 0, gdt.length, (sb.firstDataBlock + 1) * bs);
      return new Ext2Reader(fh, sb, gdt);
    } catch (err) {
      await fh.close();
      throw err;
    }
  }

  async close(): Promise<void> {
    await this.fh.close();
  }

  private async readBlock(block: number): Promise<Uint8Array> {
    const out = new Uint8Array(this.blockSize);
    await readFully(this.fh, out, 0, this.blockSize, block * this.blockSize);
    return out;
  }

  async readInode(ino: number): Promise<DecodedInode> {
    const sb = this.superblock;
    const g = Math.floor((ino - 1) / sb.inodesPerGroup);
    const index = (ino - 1) % sb.inodesPerGroup;
    const buf = new Uint8Array(sb.inodeSize);
    await readFully(this.fh, buf, 0, sb.inodeSize, this.groups[g]!.inodeTable * this.blockSize + index * sb.inodeSize);
    return decodeInode(buf, 0);
  }

  /** Physical block numbers of logical blocks [0, count) (0 = hole). */
  async blockList(inode: DecodedInode, count: number): Promise<Uint32Array> {
    const out = new Uint32Array(count);
    const p = this.blockSize / 4;
    let l = 0;
    for (let i = 0; i < 12 && l < count; i++) out[l++] = inode.block[i]!;
    const walk = async (block: number, depth: number): Promise<void> => {
      const span = p ** depth;
      if (block === 0) { l = Math.min(count, l + span * p); return; }
      const bytes = await this.readBlock(block);
      const v = new DataView(bytes.buffer);
      for (let i = 0; i < p && l < count; i++) {
        const b = v.getUint32(i * 4, true);
        if (depth === 0) out[l++] = b;
        else await walk(b, depth - 1);
      }
    };
    for (let depth = 0; depth < 3 && l < count; depth++) await walk(inode.block[12 + depth]!, depth);
    return out;
  }

  private async contents(inode: DecodedInode): Promise<Uint8Array> {
    if (inode.size > READ_LIMIT) throw new MkrootfsError({ code: 'IMAGE_FILE_TOO_LARGE', message: `file of ${inode.size} bytes is too large to read at once`, exitCode: 1 });
    const bs = this.blockSize;
    const out = new Uint8Array(inode.size);
    const blocks = await this.blockList(inode, Math.ceil(inode.size / bs));
    for (let l = 0; l < blocks.length; l++) {
      if (blocks[l] === 0) continue;
      const len = Math.min(bs, inode.size - l * bs);
      await readFully(this.fh, out, l * bs, len, blocks[l]! * bs);
    }
    return out;
  }

  async readdirIno(ino: number): Promise<Ext2DirEntry[]> {
    const inode = await this.readInode(ino);
    if ((inode.mode & S_IFMT) !== Mode.dir) throw new Error(`inode ${ino} is not a directory`);
    return decodeDir(await this.contents(inode), this.blockSize).map((e: DirEntry) => ({ name: e.name, ino: e.ino, fileTypeCode: e.fileType }));
  }

  /** Inode number of `path` (binary string), not following symlinks. */
  async resolve(path: string): Promise<number> {
    let ino = ROOT_INO;
    let walked = '';
    for (const part of splitPath(path)) {
      const inode = await this.readInode(ino);
      if ((inode.mode & S_IFMT) !== Mode.dir) throw notFound(walked || '/', 'not a directory');
      walked += '/' + part;
      const entry = (await this.readdirIno(ino)).find((e) => e.name === part);
      if (!entry) throw notFound(walked, 'no such file or directory in the image');
      ino = entry.ino;
    }
    return ino;
  }

  async stat(path: string): Promise<Ext2Stat> {
    const ino = await this.resolve(path);
    return this.statIno(ino);
  }

  async statIno(ino: number): Promise<Ext2Stat> {
    const i = await this.readInode(ino);
    const type = TYPES[i.mode & S_IFMT] ?? 'unknown';
    const st: Ext2Stat = { ino, type, perm: i.mode & 0o7777, mode: i.mode, uid: i.uid, gid: i.gid, size: i.size, mtime: i.time, links: i.linksCount, sectors: i.sectors };
    if (type === 'char' || type === 'block') Object.assign(st, decodeDevice(i.block));
    return st;
  }

  /** Directory listing without '.' and '..', in on-disk order. */
  async readdir(path: string): Promise<Ext2DirEntry[]> {
    const ino = await this.resolve(path);
    const st = await this.statIno(ino);
    if (st.type !== 'dir') throw notFound(path, 'not a directory');
    return (await this.readdirIno(ino)).filter((e) => e.name !== '.' && e.name !== '..');
  }

  async readFile(path: string): Promise<Uint8Array> {
    const ino = await this.resolve(path);
    const inode = await this.readInode(ino);
    if ((inode.mode & S_IFMT) !== Mode.file) throw notFound(path, 'not a regular file');
    return this.contents(inode);
  }

  async readlink(path: string): Promise<Uint8Array> {
    const ino = await this.resolve(path);
    const inode = await this.readInode(ino);
    if ((inode.mode & S_IFMT) !== Mode.symlink) throw notFound(path, 'not a symlink');
    if (inode.sectors === 0) {
      const bytes = new Uint8Array(60);
      const v = new DataView(bytes.buffer);
      for (let i = 0; i < 15; i++) v.setUint32(i * 4, inode.block[i]!, true);
      return bytes.slice(0, inode.size);
    }
    return this.contents(inode);
  }
}

/** Opens an image for reading (see Ext2Reader). */
export function openImage(path: string, fs?: ImageFs): Promise<Ext2Reader> {
  return Ext2Reader.open(path, fs);
}
