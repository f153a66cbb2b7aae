/**
 * The cpio writer against independent readers: GNU cpio lists and extracts
 * (as root, owners and devices included) what the staging tree holds, and
 * bsdtar reads back exact times; the bytes are reproducible.
 */
import { mkdirSync, readFileSync, readdirSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { writeCpioFile } from '../../src/cpio/write-cpio.ts';
import { planEntries } from '../../src/cpio/entry-plan.ts';
import { encodeHeader, HEADER_SIZE } from '../../src/cpio/newc-header.ts';
import { MkrootfsError } from '../../src/errors.ts';
import { newTree, setNode, toBinary, type FileNode, type Tree } from '../../src/tree/tree.ts';
import { allTypesTree, attrs, pseudoBytes, tempDir, text, T0 } from '../ext2/fixtures.ts';
import {
  bsdtarMtree, expectExtractedMatchesTree, expectMtreeMatchesTree, gnuCpioExtract, gnuCpioNames, gnuCpioVerbose, isRoot, treeEntries,
} from './cpio-oracle.ts';

const dir = tempDir('mkrootfs-cpio-');
let n = 0;
const out = (ext = 'cpio'): string => join(dir, `a${n++}.${ext}`);

/** Every node type, hard links, host and all-zero contents, odd names, times past 2038 and owners beyond 16 bits. */
function fixture(): Tree {
  const t = allTypesTree();
  const hostFile = join(dir, 'host-content');
  writeFileSync(hostFile, pseudoBytes(3 * (1 << 20) + 5, 11)); // spans several 1 MiB chunks
  setNode(t, '/opt/host', { type: 'file', content: { kind: 'host', path: hostFile, size: 3 * (1 << 20) + 5 }, ...attrs({ perm: 0o640, uid: 7, gid: 8 }) }, attrs());
  const devLink = { type: 'char' as const, major: 5, minor: 1, ...attrs({ perm: 0o620 }) };
  setNode(t, '/dev/console', devLink, attrs());
  setNode(t, '/dev/console-again', devLink, attrs());
  setNode(t, toBinary('/name with spaces'), { type: 'file', content: { kind: 'bytes', data: text('x') }, ...attrs({ perm: 0o600, mtime: T0 + 5 }) }, attrs());
  return t;
}

describe('writeCpioFile against GNU cpio and bsdtar', () => {
  const tree = fixture();
  const archive = out();
  const built = writeCpioFile({ tree, output: archive });

  it('GNU cpio lists every entry in the tree\'s order: the root as ".", directories before their contents', async () => {
    const s = await built;
    const names = gnuCpioNames(archive);
    expect(names).toEqual(treeEntries(tree).map((e) => e.name));
    expect(s).toMatchObject({ format: 'cpio', path: archive, entries: names.length });
    expect(s.bytes % 512).toBe(0);
    expect(s.bytes).toBe(readFileSync(archive).length);
    expect(s.archiveBytes).toBe(s.bytes);
  });

  it('GNU cpio -itv: modes, link counts, owners, sizes (hard-link data on the first name), device numbers and link targets', async () => {
    await built;
    const listed = gnuCpioVerbose(archive);
    const byName = new Map(listed.map((e) => [e.name, e]));
    expect(byName.get('bin/busybox')).toMatchObject({ modeString: '-rwsr-xr-x', nlink: 1, uid: 0, gid: 0, size: 150_000 });
    expect(byName.get('bin/one')).toMatchObject({ modeString: '-rwxr-sr-x', nlink: 3, uid: 1000, gid: 100, size: 7 });
    expect(byName.get('bin/two')).toMatchObject({ nlink: 3, size: 0 });
    expect(byName.get('usr/bin/three')).toMatchObject({ nlink: 3, size: 0 });
    expect(byName.get('dev/big')).toMatchObject({ modeString: 'crw-------', major: 4095, minor: 0xfffff });
    expect(byName.get('dev/sda')).toMatchObject({ modeString: 'brw-rw----', major: 8, minor: 0, gid: 6 });
    expect(byName.get('run/fifo')!.modeString).toBe('prw-r--r--');
    expect(byName.get('run/sock')!.modeString).toBe('srwxr-xr-x');
    expect(byName.get('tmp')!.modeString).toBe('drwxrwxrwt');
    expect(byName.get('bin/sh')).toMatchObject({ modeString: 'lrwxrwxrwx', target: 'busybox', size: 7 });
    expect(byName.get('home/user/big-ids')).toMatchObject({ uid: 0x12345678, gid: 0xfffffffe });
    expect(byName.get('.')).toMatchObject({ modeString: 'drwxr-xr-x', nlink: 2 + 8 });
    expect(byName.get('opt/host')).toMatchObject({ size: 3 * (1 << 20) + 5, uid: 7, gid: 8 });
  });

  it('bsdtar reads the same entries, exact mtimes (directories, symlinks and the root too) and contents', async () => {
    await built;
    expectMtreeMatchesTree(bsdtarMtree(archive), tree);
  });

  it.runIf(isRoot)('extracted as root by `cpio -idm --no-absolute-filenames`, it is the tree: types, modes, owners, times, contents, targets, devices, hard links', async () => {
    await built;
    const into = join(dir, 'x-gnu');
    mkdirSync(into);
    gnuCpioExtract(archive, into);
    expectExtractedMatchesTree(into, tree);
  });

  it('the same tree built in another insertion order gives the same bytes; so does a second build', async () => {
    await built;
    const again = out();
    await writeCpioFile({ tree: fixture(), output: again });
    expect(readFileSync(again).equals(readFileSync(archive))).toBe(true);
    // Reversed insertion order everywhere: Map order must not leak into the archive.
    const reversed = fixture();
    const rev = (d: Tree['root']): void => {
      const items = [...d.entries].reverse();
      d.entries.clear();
      for (const [k, v] of items) { d.entries.set(k, v); if (v.type === 'dir') rev(v); }
    };
    rev(reversed.root);
    const third = out();
    await writeCpioFile({ tree: reversed, output: third });
    expect(readFileSync(third).equals(readFileSync(archive))).toBe(true);
  });
});

describe('SOURCE_DATE_EPOCH and gzip', () => {
  it('clamps every mtime to the epoch (bsdtar and GNU cpio agree), and a different epoch changes the bytes', async () => {
    const tree = fixture();
    const a = out();
    const b = out();
    const epoch = T0 + 1; // the 2100 file and the one at T0+5 are clamped
    await writeCpioFile({ tree, output: a, options: { epoch } });
    await writeCpioFile({ tree, output: b, options: { epoch: epoch + 100 } });
    expectMtreeMatchesTree(bsdtarMtree(a), tree, { epoch });
    expect(readFileSync(a).equals(readFileSync(b))).toBe(false);
    if (isRoot) {
      const into = join(dir, 'x-epoch');
      mkdirSync(into);
      gnuCpioExtract(a, into);
      expectExtractedMatchesTree(into, tree, { epoch });
    }
  });

  it('cpio.gz is the same archive gzip-compressed, with a reproducible header (no name, MTIME 0, OS Unix) and bytes', async () => {
    const tree = fixture();
    const plain = out();
    const gz1 = out('cpio.gz');
    const gz2 = out('cpio.gz');
    await writeCpioFile({ tree, output: plain, options: { epoch: T0 } });
    const s1 = await writeCpioFile({ tree, output: gz1, options: { epoch: T0, gzip: true } });
    await writeCpioFile({ tree: fixture(), output: gz2, options: { epoch: T0, gzip: true } });
    const bytes = readFileSync(gz1);
    expect(s1).toMatchObject({ format: 'cpio.gz', bytes: bytes.length, archiveBytes: readFileSync(plain).length });
    expect([...bytes.subarray(0, 10)]).toEqual([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 2, 3]);
    expect(gunzipSync(bytes).equals(readFileSync(plain))).toBe(true);
    expect(readFileSync(gz2).equals(bytes)).toBe(true);
    // bsdtar reads the compressed archive directly.
    expectMtreeMatchesTree(bsdtarMtree(gz1), tree, { epoch: T0 });
  });
});

describe('the newc format', () => {
  it('encodes the header as GNU cpio reads it: magic 070701, 8-digit hex fields, c_check 0, name padded to 4', () => {
    const h = encodeHeader({ ino: 0x1234, mode: 0o100644, uid: 1, gid: 2, nlink: 1, mtime: T0, fileSize: 5, devMajor: 0, devMinor: 0, rdevMajor: 0, rdevMinor: 0 }, text('ab'));
    expect(h.length).toBe(HEADER_SIZE + 3 + 3); // 113 → 116
    const s = Buffer.from(h).toString('latin1');
    expect(s.slice(0, 6)).toBe('070701');
    expect(s.slice(6, 14)).toBe('00001234');
    expect(s.slice(14, 22)).toBe((0o100644).toString(16).padStart(8, '0'));
    expect(s.slice(94, 102)).toBe('00000003'); // namesize includes the NUL
    expect(s.slice(102, 110)).toBe('00000000'); // check
    expect(s.slice(110)).toBe('ab\0\0\0\0');
  });

  it('numbers inodes from the tree in order, not from the host; hard links share one', () => {
    const t = newTree(attrs());
    const f: FileNode = { type: 'file', content: { kind: 'bytes', data: text('x') }, ...attrs() };
    setNode(t, '/b', f, attrs());
    setNode(t, '/a/z', f, attrs());
    setNode(t, '/c', { type: 'fifo', ...attrs() }, attrs());
    const plan = planEntries(t);
    expect(plan.entries.map((e) => [Buffer.from(e.name).toString(), e.fields.ino, e.fields.nlink, e.fields.fileSize]))
      .toEqual([['.', 1, 3, 0], ['a', 2, 2, 0], ['a/z', 3, 2, 1], ['b', 3, 2, 0], ['c', 4, 1, 0]]);
  });
});

describe('what newc cannot hold is an error naming the path', () => {
  const fails = async (tree: Tree, code: string, message: RegExp): Promise<void> => {
    const o = out();
    const err = await writeCpioFile({ tree, output: o }).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(MkrootfsError);
    expect((err as MkrootfsError).code).toBe(code);
    expect((err as MkrootfsError).message).toMatch(message);
    expect((err as MkrootfsError).exitCode).toBe(2);
    expect(existsSync(o)).toBe(false);
  };

  it('a file of 4 GiB or more (newc sizes are 32 bits); 4 GiB - 1 is planned', async () => {
    const t = newTree(attrs());
    setNode(t, '/var/huge.bin', { type: 'file', content: { kind: 'zero', size: 2 ** 32 }, ...attrs() }, attrs());
    await fails(t, 'CPIO_FILE_TOO_LARGE', /\/var\/huge\.bin is 4294967296 bytes; a newc cpio entry holds at most 4294967295 bytes/);
    const ok = newTree(attrs());
    setNode(ok, '/var/edge.bin', { type: 'file', content: { kind: 'zero', size: 2 ** 32 - 1 }, ...attrs() }, attrs());
    expect(planEntries(ok).entries[2]!.fields.fileSize).toBe(2 ** 32 - 1);
  });

  it('a time outside 1970-2106 unless SOURCE_DATE_EPOCH clamps it', async () => {
    const t = newTree(attrs());
    setNode(t, '/far', { type: 'fifo', ...attrs({ mtime: 2 ** 32 }) }, attrs());
    await fails(t, 'CPIO_TIME_RANGE', /\/far: mtime 4294967296 is outside/);
    expect(planEntries(t, { epoch: T0 }).entries[1]!.fields.mtime).toBe(T0);
    const old = newTree(attrs());
    setNode(old, '/old', { type: 'fifo', ...attrs({ mtime: -1 }) }, attrs());
    await fails(old, 'CPIO_TIME_RANGE', /\/old: mtime -1/);
  });

  it('a directory reached twice, and a path longer than the kernel takes', async () => {
    const t = newTree(attrs());
    const d = setNode(t, '/d1', { type: 'dir', entries: new Map(), ...attrs() }, attrs());
    setNode(t, '/d2', d, attrs());
    await fails(t, 'CPIO_DIR_HARDLINK', /\/d2: directory is also at \/d1/);
    const deep = newTree(attrs());
    setNode(deep, '/' + Array.from({ length: 20 }, () => 'd'.repeat(250)).join('/'), { type: 'fifo', ...attrs() }, attrs());
    await fails(deep, 'CPIO_PATH_TOO_LONG', /the kernel skips initramfs names longer than 4095 bytes/);
  });

  it('a host file that vanished: the error names it, the old archive stays and no temp file is left', async () => {
    const t = newTree(attrs());
    setNode(t, '/gone', { type: 'file', content: { kind: 'host', path: join(dir, 'no-such-file'), size: 3 }, ...attrs() }, attrs());
    const o = join(dir, 'keep.cpio');
    writeFileSync(o, 'old');
    const err = await writeCpioFile({ tree: t, output: o }).catch((e: unknown) => e as MkrootfsError);
    expect(err).toMatchObject({ code: 'HOST_FILE_UNREADABLE' });
    expect((err as MkrootfsError).message).toContain('no-such-file (for /gone)');
    expect(readFileSync(o, 'utf8')).toBe('old');
    expect(readdirSync(dir).filter((f) => f.includes('.tmp-'))).toEqual([]);
  });
});

describe('golden bytes', () => {
  it('the all-types tree at a fixed epoch always gives this archive', async () => {
    const o = out();
    const s = await writeCpioFile({ tree: allTypesTree(), output: o, options: { epoch: T0 } });
    // Changes only with a deliberate change of the archive layout (and then this line changes with it).
    expect([s.bytes, s.sha256]).toEqual([10351616, '302f185a234bfa983e78f81a20b9f41b542ee093a45a2838f9fce79c1bfaf888']);
  });
});
