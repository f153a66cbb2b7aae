/**
 * A streaming tar reader: yields one member at a time with its data as a
 * stream of chunks, so memory does not depend on member or archive size.
 * Folds into each member everything that describes it: pax local and global
 * headers, GNU long names ('L', 'K') and every sparse format. Types we cannot
 * represent (volume labels, multi-volume continuations, vendor extensions) are
 * errors naming the member; an archive that ends inside a member is an error.
 */
import { bytesToBinary } from '../tree.ts';
import type { ByteSource } from './byte-source.ts';
import { BLOCK, cString, isZeroBlock, parseHeader, type RawHeader } from './header.ts';
import { applyGlobals, PaxValues, parsePaxRecords, type PaxRecord } from './pax.ts';
import { checkSparseMap, gnuSparseExtension, gnuSparseHeader, paxSparse, readSparse10Map, type SparseRegion } from './sparse.ts';
import { tarError, type TarWhere } from './tar-error.ts';

export type EntryKind = 'file' | 'hardlink' | 'symlink' | 'char' | 'block' | 'dir' | 'fifo';

export interface TarEntry {
  kind: EntryKind;
  /** Member name (binary string, as stored: may be absolute or hold '..'). */
  name: string;
  /** Link target (binary string) of hard and symbolic links. */
  linkname: string;
  /** Permission bits (0o7777). */
  mode: number;
  uid: number;
  gid: number;
  /** Owner names (binary strings) when the archive has them. */
  uname?: string;
  gname?: string;
  /** Whole seconds since the epoch (may be negative). */
  mtime: number;
  devmajor: number;
  devminor: number;
  /** A regular file's apparent size (for sparse files, with the holes). */
  size: number;
  /** A regular file's stored byte ranges, in order; `data` yields exactly their bytes, concatenated. */
  regions: SparseRegion[];
  sparse: boolean;
  where: TarWhere;
}

export interface TarMember {
  entry: TarEntry;
  /** The stored bytes (views valid until the next chunk is asked for). Whatever is not read is skipped. */
  data: AsyncIterable<Uint8Array>;
}

/** Largest pax or GNU long-name header read into memory. */
export const MAX_EXTENDED_HEADER = 16 << 20;

const UID_MAX = 0xffffffff;

const UNSUPPORTED: Record<string, string> = {
  V: 'a volume label (V)',
  M: 'a multi-volume continuation (M)',
  N: 'an old GNU long-name record (N)',
  A: 'a Solaris ACL (A)',
  E: 'a Solaris extended attribute (E)',
  I: 'a star inode-metadata record (I)',
};

const padded = (n: number): number => Math.ceil(n / BLOCK) * BLOCK;

export async function* readTar(source: ByteSource, archive: string): AsyncGenerator<TarMember> {
  const globals = new Map<string, Uint8Array>();
  let local: PaxRecord[] = [];
  let longName: Uint8Array | undefined;
  let longLink: Uint8Array | undefined;
  let memberStart: number | undefined;
  let first = true;

  const truncated = (where: TarWhere, what: string): Error =>
    tarError('TAR_TRUNCATED', where, `the archive ends ${what}`, 'the archive is incomplete: download or copy it again');

  const readExact = async (n: number, where: TarWhere, what: string): Promise<Uint8Array> => {
    const b = await source.read(n);
    if (b.length < n) throw truncated(where, what);
    return b;
  };

  for (;;) {
    const at = source.offset;
    const block = await source.read(BLOCK);
    const pendingExt = memberStart !== undefined;
    const where: TarWhere = { archive, offset: memberStart ?? at };
    if (block.length === 0) {
      if (pendingExt) throw truncated(where, 'after an extended header, before its member');
      return;
    }
    if (block.length < BLOCK) throw truncated(where, 'inside a header block');
    if (isZeroBlock(block)) {
      if (pendingExt) throw truncated(where, 'after an extended header (an end-of-archive block follows it)');
      return;
    }
    const h = parseHeader(block, where, first);
    first = false;
    memberStart ??= at;

    // 'X' is Solaris's name for a pax local header.
    if (h.type === 'x' || h.type === 'X' || h.type === 'g' || h.type === 'L' || h.type === 'K') {
      if (h.size > MAX_EXTENDED_HEADER) {
        throw tarError('TAR_HEADER_TOO_LARGE', where, `extended header of ${h.size} bytes (at most ${MAX_EXTENDED_HEADER})`, 'the archive is corrupt or hostile');
      }
      const data = await readExact(h.size, where, 'inside an extended header');
      if ((await source.skip(padded(h.size) - h.size)) !== padded(h.size) - h.size) throw truncated(where, 'inside an extended header');
      if (h.type === 'x' || h.type === 'X') local = local.concat(parsePaxRecords(data, where));
      else if (h.type === 'g') {
        applyGlobals(globals, parsePaxRecords(data, where));
        memberStart = undefined;
      } else if (h.type === 'L') longName = cString(data).slice();
      else longLink = cString(data).slice();
      continue;
    }

    const pax = new PaxValues(globals, local);
    const member = await describe(h, pax, longName, longLink, { archive, offset: memberStart }, source, readExact);
    local = [];
    longName = undefined;
    longLink = undefined;
    memberStart = undefined;

    // The member's data: `stored` bytes for the consumer, then the rest of its blocks.
    let consumed = 0;
    const stored = member.entry.kind === 'file' ? member.entry.regions.reduce((n, r) => n + r.length, 0) : 0;
    const entryWhere = member.entry.where;
    async function* data(): AsyncGenerator<Uint8Array> {
      let want = stored;
      for await (const c of source.take(want)) {
        want -= c.length;
        consumed += c.length;
        yield c;
      }
      if (want > 0) throw truncated(entryWhere, `inside this member's data (${stored - want} of ${stored} bytes)`);
    }
    yield { entry: member.entry, data: data() };
    const tail = padded(member.dataLeft) - consumed;
    if ((await source.skip(tail)) !== tail) throw truncated(entryWhere, "inside this member's data");
  }
}

type ReadExact = (n: number, where: TarWhere, what: string) => Promise<Uint8Array>;

/** Turns a member header (with its pax values and long names) into an entry; reads sparse maps that precede the data. */
async function describe(h: RawHeader, pax: PaxValues, longName: Uint8Array | undefined, longLink: Uint8Array | undefined,
  at: TarWhere, source: ByteSource, readExact: ReadExact): Promise<{ entry: TarEntry; dataLeft: number }> {
  const nameBytes = pax.bytes('GNU.sparse.name') ?? pax.bytes('path') ?? longName ?? h.name;
  const name = bytesToBinary(nameBytes);
  const where: TarWhere = { ...at, entry: name };
  const linkname = bytesToBinary(pax.bytes('linkpath') ?? longLink ?? h.linkname);
  const size = pax.integer('size', Number.MAX_SAFE_INTEGER, where) ?? h.size;
  const ranged = (v: number, what: string): number => {
    if (v < 0 || v > UID_MAX) {
      throw tarError('TAR_BAD_HEADER', where, `header ${what} ${v} is out of range (0-${UID_MAX})`, 'the archive is corrupt; recreate it', { field: what, value: v });
    }
    return v;
  };
  const uid = pax.integer('uid', UID_MAX, where) ?? ranged(h.uid, 'uid');
  const gid = pax.integer('gid', UID_MAX, where) ?? ranged(h.gid, 'gid');
  const owner = (key: 'uname' | 'gname', raw: Uint8Array): string | undefined => {
    const v = pax.bytes(key) ?? (raw.length > 0 ? raw : undefined);
    if (v !== undefined && v.includes(0)) throw tarError('TAR_BAD_PAX_VALUE', where, `pax ${key} contains a NUL byte`, 'recreate the archive', { key });
    return v === undefined ? undefined : bytesToBinary(v);
  };
  const mtime = pax.time('mtime', -Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER, where) ?? h.mtime;
  const devmajor = pax.integer('SCHILY.devmajor', UID_MAX, where) ?? h.devmajor;
  const devminor = pax.integer('SCHILY.devminor', UID_MAX, where) ?? h.devminor;

  const trailingSlash = nameBytes[nameBytes.length - 1] === 0x2f;
  let kind: EntryKind;
  switch (h.type) {
    case '0': case '\0': case '7': kind = trailingSlash ? 'dir' : 'file'; break;
    case 'S': kind = 'file'; break;
    case '1': kind = 'hardlink'; break;
    case '2': kind = 'symlink'; break;
    case '3': kind = 'char'; break;
    case '4': kind = 'block'; break;
    case '5': case 'D': kind = 'dir'; break;
    case '6': kind = 'fifo'; break;
    default: {
      const code = h.type.charCodeAt(0);
      const shown = code >= 0x20 && code < 0x7f ? `'${h.type}'` : `0x${code.toString(16).padStart(2, '0')}`;
      throw tarError('TAR_UNSUPPORTED', where, `${UNSUPPORTED[h.type] ?? `a member of unknown type ${shown}`} cannot be imported`,
        'repack the archive without it (GNU tar --format=pax or --format=gnu writes only supported types)', { type: h.type });
    }
  }

  let fileSize = size;
  let regions: SparseRegion[] = size > 0 ? [{ offset: 0, length: size }] : [];
  let dataLeft = size;
  let sparse = false;
  const ps = paxSparse(pax, where);
  if (h.type === 'S') {
    const gnu = gnuSparseHeader(h.block, where);
    let extended = gnu.extended;
    while (extended) extended = gnuSparseExtension(await readExact(BLOCK, where, 'inside a sparse map'), gnu.regions, where);
    regions = gnu.regions;
    fileSize = gnu.realSize;
    sparse = true;
  } else if (ps !== undefined) {
    if (kind !== 'file') throw tarError('TAR_BAD_SPARSE', where, 'has a sparse map but is not a regular file', 'recreate the archive');
    fileSize = ps.realSize;
    sparse = true;
    if (ps.version === '1.0') {
      let mapLeft = size;
      const map = await readSparse10Map(async () => {
        if (mapLeft < BLOCK) throw tarError('TAR_BAD_SPARSE', where, 'invalid sparse map: it runs past the member\'s data', 'recreate the archive');
        mapLeft -= BLOCK;
        return readExact(BLOCK, where, 'inside a sparse map');
      }, where);
      regions = map.regions;
      dataLeft = size - map.mapBytes;
    } else {
      regions = ps.regions;
    }
  }
  if (sparse) {
    checkSparseMap(regions, fileSize, dataLeft, where);
    regions = regions.filter((r) => r.length > 0);
  }
  const entry: TarEntry = {
    kind, name, linkname, mode: h.mode & 0o7777, uid, gid,
    uname: owner('uname', h.uname), gname: owner('gname', h.gname),
    mtime, devmajor, devminor,
    size: kind === 'file' ? fileSize : 0,
    regions: kind === 'file' ? regions : [],
    sparse, where,
  };
  return { entry, dataLeft };
}
