/**
 * The tar reader through importTar, in memory: headers, pax, GNU long names,
 * owners, times, raw-byte names and the member types we refuse. Valid archives
 * come from Python's tarfile and GNU tar (independent writers); malformed ones
 * are made byte by byte (make-tar.ts).
 */
import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { importTar, type ImportOwner } from '../../../src/tree/tar-import.ts';
import { bytesToBinary, lookup, newTree, toBinary, type Tree } from '../../../src/tree/tree.ts';
import { MkrootfsError } from '../../../src/errors.ts';
import { header, makeTar, concat } from './make-tar.ts';

async function load(archive: Uint8Array, owner: ImportOwner = 'keep', extra: Partial<Parameters<typeof importTar>[0]> = {}): Promise<Tree> {
  const tree = newTree();
  await importTar({ tree, archive, dest: '/', owner, name: 'test.tar', ...extra });
  return tree;
}

async function refusal(archive: Uint8Array): Promise<MkrootfsError> {
  try {
    await load(archive);
  } catch (err) {
    if (err instanceof MkrootfsError) return err;
    throw err;
  }
  throw new Error('expected the archive to be refused');
}

/** Runs a Python tarfile script that writes `out`; returns the archive. */
function python(script: string): Uint8Array {
  const dir = mkdtempSync(join(tmpdir(), 'mkrootfs-tar-'));
  const out = join(dir, 'out.tar');
  execFileSync('python3', ['-c', `import tarfile, io\nOUT = ${JSON.stringify(out)}\ndef add(t, name, data=b'', **kw):\n    ti = tarfile.TarInfo(name); ti.size = len(data)\n    for k, v in kw.items(): setattr(ti, k, v)\n    t.addfile(ti, io.BytesIO(data))\n${script}`]);
  return new Uint8Array(readFileSync(out));
}

const text = (tree: Tree, path: string): string => {
  const n = lookup(tree, path);
  if (n?.type !== 'file' || n.content.kind !== 'bytes') throw new Error(`${path} is not an in-memory file`);
  return Buffer.from(n.content.data).toString('latin1');
};

describe('pax owners and times', () => {
  it('honours pax uid/gid above the ustar limit: a setuid file of uid 3000000 stays uid 3000000 (was root)', async () => {
    const tar = python(`with tarfile.open(OUT, 'w', format=tarfile.PAX_FORMAT) as t:
    add(t, 'usr/bin/evil', b'#!/bin/sh\\n', uid=3000000, gid=3000001, mode=0o4755, uname='mallory', gname='mal', mtime=1234567890.75)
    add(t, 'old', b'x', uid=5, gid=6, mtime=-100.5)`);
    const tree = await load(tar);
    expect(lookup(tree, 'usr/bin/evil')).toMatchObject({ type: 'file', perm: 0o4755, uid: 3000000, gid: 3000001, mtime: 1234567890 });
    expect(lookup(tree, 'old')).toMatchObject({ uid: 5, gid: 6, mtime: -101 });
    // owner root and a fixed owner still override.
    expect(lookup(await load(tar, 'root'), 'usr/bin/evil')).toMatchObject({ uid: 0, gid: 0, perm: 0o4755 });
    expect(lookup(await load(tar, { uid: 7, gid: 8 }), 'usr/bin/evil')).toMatchObject({ uid: 7, gid: 8 });
  });

  it('uname/gname win when the image knows them (ownerNames); numeric ids otherwise', async () => {
    const tar = python(`with tarfile.open(OUT, 'w', format=tarfile.PAX_FORMAT) as t:
    add(t, 'a', b'', uid=3000000, gid=3000001, uname='www', gname='web')
    add(t, 'b', b'', uid=42, gid=43, uname='unknown', gname='unknown')`);
    const ownerNames = { uid: (n: string) => (n === 'www' ? 33 : undefined), gid: (n: string) => (n === 'web' ? 34 : undefined) };
    const tree = await load(tar, 'keep', { ownerNames });
    expect(lookup(tree, 'a')).toMatchObject({ uid: 33, gid: 34 });
    expect(lookup(tree, 'b')).toMatchObject({ uid: 42, gid: 43 });
  });

  it('pax global headers apply to later members; a local empty value cancels one', async () => {
    const g = makeTar([{ name: 'x', body: 'x' }], false);
    const globalHeader = (() => {
      const data = new TextEncoder().encode('13 uid=12345\n');
      const pad = new Uint8Array(512); pad.set(data);
      return concat([header({ name: 'GlobalHead', type: 'g', size: data.length }), pad]);
    })();
    const tar = concat([globalHeader, g, makeTar([{ name: 'y', uid: 9, pax: [['uid', '']] }, { name: 'z', uid: 9 }])]);
    const tree = await load(tar);
    expect(lookup(tree, 'x')).toMatchObject({ uid: 12345 });
    expect(lookup(tree, 'y')).toMatchObject({ uid: 9 });
    expect(lookup(tree, 'z')).toMatchObject({ uid: 12345 });
  });

  it.each([
    ['uid', '-1'], ['uid', 'abc'], ['uid', '18446744073709551616'], ['gid', '4294967296'], ['uid', ' 1'],
    ['mtime', 'yesterday'], ['mtime', '1e9'], ['mtime', '99999999999999999999'], ['size', '-5'],
    ['SCHILY.devmajor', 'x'],
  ])('refuses pax %s=%j, naming the archive and member (exit 2)', async (key, value) => {
    const err = await refusal(makeTar([{ name: 'bin/thing', body: 'x', pax: [[key, value]] }]));
    expect(err.code).toBe('TAR_BAD_PAX_VALUE');
    expect(err.exitCode).toBe(2);
    expect(err.message).toContain('test.tar: entry "bin/thing"');
    expect(err.message).toContain(key);
  });

  it('refuses malformed pax records and header numbers', async () => {
    const broken = concat([header({ name: 'p', type: 'x', size: 12 }), (() => { const b = new Uint8Array(512); b.set(new TextEncoder().encode('99 uid=1\n')); return b; })(), makeTar([{ name: 'f' }])]);
    expect((await refusal(broken)).code).toBe('TAR_BAD_PAX');
    const badUid = makeTar([{ name: 'f', patch: [{ offset: 108, bytes: '12x4567\0' }] }]);
    const e = await refusal(badUid);
    expect([e.code, e.exitCode]).toEqual(['TAR_BAD_HEADER', 2]);
    expect(e.message).toContain('uid');
  });

  it('reads GNU base-256 numbers (large uid, negative mtime) and rejects a negative uid', async () => {
    const b256 = (v: bigint, width: number): Uint8Array => {
      const out = new Uint8Array(width);
      let x = v < 0n ? (1n << BigInt(8 * width)) + v : v;
      for (let i = width - 1; i >= 0; i--) { out[i] = Number(x & 0xffn); x >>= 8n; }
      if (v >= 0n) out[0] = 0x80;
      return out;
    };
    const tree = await load(makeTar([{ name: 'f', patch: [{ offset: 108, bytes: b256(3000000n, 8) }, { offset: 136, bytes: b256(-86400n, 12) }] }]));
    expect(lookup(tree, 'f')).toMatchObject({ uid: 3000000, mtime: -86400 });
    const neg = await refusal(makeTar([{ name: 'f', patch: [{ offset: 108, bytes: b256(-1n, 8) }] }]));
    expect(neg.code).toBe('TAR_BAD_HEADER');
    expect(neg.message).toContain('uid -1 is out of range');
  });
});

describe('names keep their bytes', () => {
  it('pax hdrcharset=BINARY names and link targets (Python, surrogateescape)', async () => {
    const tar = python(`with tarfile.open(OUT, 'w', format=tarfile.PAX_FORMAT, encoding='utf-8', errors='surrogateescape') as t:
    add(t, 'caf\\udce9/\\udcff\\udcfe-name', b'raw')
    ti = tarfile.TarInfo('lnk'); ti.type = tarfile.SYMTYPE; ti.linkname = 'tgt\\udcff' + 'y' * 120; t.addfile(ti)`);
    expect(Buffer.from(tar).includes('hdrcharset=BINARY')).toBe(true);
    const tree = await load(tar);
    expect(text(tree, bytesToBinary(new Uint8Array([0x63, 0x61, 0x66, 0xe9, 0x2f, 0xff, 0xfe, 0x2d, 0x6e, 0x61, 0x6d, 0x65])))).toBe('raw');
    const l = lookup(tree, 'lnk');
    expect(l?.type === 'symlink' && Buffer.from(l.target).equals(Buffer.concat([Buffer.from('tgt'), Buffer.from([0xff]), Buffer.from('y'.repeat(120))]))).toBe(true);
  });

  it('UTF-8 pax names, GNU long names (L/K) and ustar prefixes', async () => {
    const tar = python(`with tarfile.open(OUT, 'w', format=tarfile.GNU_FORMAT, encoding='utf-8', errors='surrogateescape') as t:
    add(t, 'd/' + 'n' * 150 + '\\udcff', b'long')
    ti = tarfile.TarInfo('l'); ti.type = tarfile.SYMTYPE; ti.linkname = 't' * 200; t.addfile(ti)
    add(t, 'caf\\u00e9', b'utf8')`);
    const tree = await load(tar);
    expect(text(tree, 'd/' + 'n'.repeat(150) + '\xff')).toBe('long');
    const l = lookup(tree, 'l');
    expect(l?.type === 'symlink' && Buffer.from(l.target).toString()).toBe('t'.repeat(200));
    expect(text(tree, toBinary('caf\u00e9'))).toBe('utf8');
    const prefixed = makeTar([{ name: 'file', body: 'p', patch: [{ offset: 345, bytes: 'some/prefix/dir' }] }]);
    expect(text(await load(prefixed), 'some/prefix/dir/file')).toBe('p');
  });
});

describe('member types', () => {
  it.each([['V', 'volume label'], ['M', 'multi-volume'], ['N', 'long-name'], ['Z', "unknown type 'Z'"], ['E', 'extended attribute'], ['9', "unknown type '9'"], ['\x01', 'unknown type 0x01']])(
    'type %j is refused naming the member, never imported as a plain file', async (type, words) => {
      const err = await refusal(makeTar([{ name: 'ok', body: 'fine' }, { name: 'weird/member', type, body: 'DATA' }]));
      expect(err.code).toBe('TAR_UNSUPPORTED');
      expect(err.exitCode).toBe(2);
      expect(err.message).toContain('test.tar: entry "weird/member"');
      expect(err.message).toContain(words);
    });

  it('old-style directories (type 0 with a trailing slash), GNU dumpdirs and contiguous files', async () => {
    const tree = await load(makeTar([
      { name: 'olddir/', type: '\0', mode: 0o700 },
      { name: 'dump', type: 'D', body: 'Yfile\0\0' },
      { name: 'cont', type: '7', body: 'contiguous' },
    ]));
    expect(lookup(tree, 'olddir')).toMatchObject({ type: 'dir', perm: 0o700 });
    expect(lookup(tree, 'dump')).toMatchObject({ type: 'dir' });
    expect(text(tree, 'cont')).toBe('contiguous');
  });
});

describe('structure', () => {
  it('an empty file is an empty layer; a lone end block ends the archive', async () => {
    expect((await importTar({ tree: newTree(), archive: new Uint8Array(0), dest: '/', owner: 'root', name: 'e.tar' })).entries).toBe(0);
    const oneEnd = concat([makeTar([{ name: 'a', body: 'x' }], false), new Uint8Array(512), new TextEncoder().encode('trailing junk')]);
    expect(text(await load(oneEnd), 'a')).toBe('x');
  });

  it('refuses a non-tar file, a corrupt header, and truncation anywhere', async () => {
    expect((await refusal(new TextEncoder().encode('hello world, not a tar'.repeat(40)))).code).toBe('TAR_NOT_AN_ARCHIVE');
    expect((await refusal(makeTar([{ name: 'a', body: 'x' }, { name: 'b', badChecksum: true }]))).code).toBe('TAR_BAD_HEADER');
    const full = makeTar([{ name: 'a', body: 'x'.repeat(3000), pax: [['path', 'long/' + 'p'.repeat(200)]] }]);
    for (const cut of [100, 512 + 10, 1024 + 512 + 100, 1024 + 512 + 2000]) {
      const err = await refusal(full.subarray(0, cut));
      expect(err.code).toBe('TAR_TRUNCATED');
      expect(err.message).toMatch(/^test\.tar: /);
    }
  });

  it('refuses an extended header larger than 16 MiB without reading it', async () => {
    const err = await refusal(concat([header({ name: 'p', type: 'x', size: 1 << 30 }), new Uint8Array(1024)]));
    expect(err.code).toBe('TAR_HEADER_TOO_LARGE');
  });

  it('GNU tar archives of every kind read the same as the host tree', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mkrootfs-tar-'));
    execFileSync('sh', ['-c', 'mkdir -p r/a/b && printf hi > r/a/b/f && ln r/a/b/f r/hard && ln -s a/b/f r/sym && mkfifo r/fifo'], { cwd: dir });
    for (const format of ['gnu', 'pax', 'ustar', 'v7']) {
      const args = ['--format=' + format, '-C', join(dir, 'r'), '-cf', join(dir, `${format}.tar`), '.'];
      execFileSync('tar', format === 'v7' ? args.filter((a) => a !== '.').concat(['a', 'hard', 'sym']) : args);
      const tree = await load(new Uint8Array(readFileSync(join(dir, `${format}.tar`))));
      expect(text(tree, 'a/b/f')).toBe('hi');
      expect(lookup(tree, 'hard')).toBe(lookup(tree, 'a/b/f'));
      expect(lookup(tree, 'sym')).toMatchObject({ type: 'symlink' });
      if (format !== 'v7') expect(lookup(tree, 'fifo')).toMatchObject({ type: 'fifo' });
    }
  });
});

