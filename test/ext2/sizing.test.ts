import { createHash } from 'node:crypto';
import { chmodSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MkrootfsError } from '../../src/errors.ts';
import { writeImageFile } from '../../src/ext2/write-image.ts';
import { newTree, setNode, type Tree } from '../../src/tree/tree.ts';
import { dumpe2fsHeader, e2fsckClean } from '../helpers/oracles.ts';
import { allTypesTree, attrs, pseudoBytes, tempDir, text } from './fixtures.ts';

const dir = tempDir();

function bigTree(): Tree {
  const t = newTree(attrs());
  setNode(t, '/blob', { type: 'file', content: { kind: 'bytes', data: pseudoBytes(3 << 20, 5) }, ...attrs() }, attrs());
  for (let i = 0; i < 100; i++) setNode(t, `/d/f${i}`, { type: 'file', content: { kind: 'bytes', data: text(`file ${i}\n`) }, ...attrs() }, attrs());
  return t;
}

async function expectFailure(p: Promise<unknown>, code: string, exitCode: number): Promise<MkrootfsError> {
  const err = await p.then(() => null, (e: unknown) => e);
  expect(err).toBeInstanceOf(MkrootfsError);
  const e = err as MkrootfsError;
  expect(e.code).toBe(code);
  expect(e.exitCode).toBe(exitCode);
  expect(e.hint).toBeTruthy();
  return e;
}

function leftovers(name: string): string[] {
  return readdirSync(dir).filter((n) => n.includes(name));
}

describe('image sizing', () => {
  it('honours an explicit size and inode count', async () => {
    const output = join(dir, 'fixed.img');
    const s = await writeImageFile({ tree: bigTree(), output, options: { size: 16 << 20, inodes: 1000, blockSize: 1024 } });
    e2fsckClean(output);
    expect(s.bytes).toBe(16 << 20);
    expect(s.blocks).toBe(16384);
    expect(s.inodes).toBeGreaterThanOrEqual(1000);
    expect(s.inodes).toBeLessThan(1100);
  });

  it('auto size leaves a margin; +N leaves at least N bytes free for users beyond the reserved blocks', async () => {
    const auto = await writeImageFile({ tree: bigTree(), output: join(dir, 'auto.img') });
    e2fsckClean(join(dir, 'auto.img'));
    expect(auto.freeBlocks).toBeGreaterThan(0);
    const extra = 8 << 20;
    const plus = await writeImageFile({ tree: bigTree(), output: join(dir, 'plus.img'), options: { size: 'auto', extraFree: extra, reservedPercent: 5 } });
    e2fsckClean(join(dir, 'plus.img'));
    const reserved = Math.floor(plus.blocks * 0.05);
    expect((plus.freeBlocks - reserved) * plus.blockSize).toBeGreaterThanOrEqual(extra);
    expect((plus.freeBlocks - reserved) * plus.blockSize).toBeLessThan(extra + (1 << 20));
  });

  it('sets the reserved percentage', async () => {
    const output = join(dir, 'res.img');
    const s = await writeImageFile({ tree: bigTree(), output, options: { reservedPercent: 0, size: 8 << 20 } });
    e2fsckClean(output);
    expect(dumpe2fsHeader(output).get('Reserved block count')).toBe('0');
    const s2 = await writeImageFile({ tree: bigTree(), output, options: { reservedPercent: 10, size: 8 << 20 } });
    e2fsckClean(output);
    expect(Number(dumpe2fsHeader(output).get('Reserved block count'))).toBe(Math.floor(s2.blocks / 10));
    expect(s.blocks).toBe(s2.blocks);
  });

  it('spans many block groups (backup superblocks in groups 1, 3, 5, 7, 9, 25, 27...)', async () => {
    const output = join(dir, 'groups.img');
    const s = await writeImageFile({ tree: allTypesTree(), output, options: { size: 260 << 20, blockSize: 1024 } });
    e2fsckClean(output);
    // The streamed digest must be the file's.
    expect(s.sha256).toBe(createHash('sha256').update(readFileSync(output)).digest('hex'));
    const h = dumpe2fsHeader(output);
    expect(h.get('Blocks per group')).toBe('8192');
    expect(Number(h.get('Block count'))).toBe(266240);
  });
});

describe('trees that do not fit', () => {
  it('rejects a too-small image, says how large it must be, and keeps the old image', async () => {
    const output = join(dir, 'small.img');
    writeFileSync(output, 'previous good image');
    const e = await expectFailure(writeImageFile({ tree: bigTree(), output, options: { size: 1 << 20 } }), 'EXT2_IMAGE_TOO_SMALL', 2);
    expect(e.message).toMatch(/at least \d+ bytes/);
    const min = e.data.minimumBytes as number;
    expect(min).toBeGreaterThan(3 << 20);
    expect(readFileSync(output, 'utf8')).toBe('previous good image');
    expect(leftovers('small.img')).toEqual(['small.img']);
    // The size it asks for is enough.
    await writeImageFile({ tree: bigTree(), output, options: { size: min } });
    e2fsckClean(output);
  });

  it('rejects too few inodes', async () => {
    const output = join(dir, 'inodes.img');
    const e = await expectFailure(writeImageFile({ tree: bigTree(), output, options: { inodes: 50 } }), 'EXT2_TOO_FEW_INODES', 2);
    expect(e.message).toMatch(/needs 1\d\d/);
    expect(existsSync(output)).toBe(false);
    expect(leftovers('inodes.img')).toEqual([]);
  });

  it('rejects a symlink target as long as a block', async () => {
    const t = newTree(attrs());
    setNode(t, '/l', { type: 'symlink', target: new Uint8Array(1024).fill(0x61), ...attrs() }, attrs());
    const output = join(dir, 'sym.img');
    const e = await expectFailure(writeImageFile({ tree: t, output, options: { blockSize: 1024 } }), 'EXT2_SYMLINK_TOO_LONG', 2);
    expect(e.message).toContain('/l');
    expect(leftovers('sym.img')).toEqual([]);
    // 1023 bytes is fine.
    setNode(t, '/l', { type: 'symlink', target: new Uint8Array(1023).fill(0x61), ...attrs() }, attrs());
    await writeImageFile({ tree: t, output, options: { blockSize: 1024 } });
    e2fsckClean(output);
  });

  it('rejects a name longer than 255 bytes', async () => {
    const t = newTree(attrs());
    const d = t.root;
    d.entries.set('x'.repeat(256), { type: 'fifo', ...attrs() });
    const output = join(dir, 'name.img');
    await expectFailure(writeImageFile({ tree: t, output }), 'NAME_LENGTH', 2);
    expect(leftovers('name.img')).toEqual([]);
  });

  it('rejects names with a slash, hard-linked directories and a bad label', async () => {
    const t = newTree(attrs());
    t.root.entries.set('a/b', { type: 'fifo', ...attrs() });
    await expectFailure(writeImageFile({ tree: t, output: join(dir, 'slash.img') }), 'NAME_INVALID', 2);
    const t2 = newTree(attrs());
    const sub = { type: 'dir' as const, entries: new Map(), ...attrs() };
    t2.root.entries.set('a', sub);
    t2.root.entries.set('b', sub);
    await expectFailure(writeImageFile({ tree: t2, output: join(dir, 'dirlink.img') }), 'EXT2_DIR_HARDLINK', 2);
    await expectFailure(writeImageFile({ tree: newTree(attrs()), output: join(dir, 'label.img'), options: { label: 'x'.repeat(17) } }), 'EXT2_LABEL_TOO_LONG', 2);
  });

  it('fails with exit 1, naming the file, when a host file vanished; no output is left', async () => {
    const t = newTree(attrs());
    setNode(t, '/etc/gone', { type: 'file', content: { kind: 'host', path: join(dir, 'does-not-exist'), size: 10 }, ...attrs() }, attrs());
    const output = join(dir, 'gone.img');
    const e = await expectFailure(writeImageFile({ tree: t, output }), 'HOST_FILE_UNREADABLE', 1);
    expect(e.message).toContain('does-not-exist');
    expect(e.message).toContain('/etc/gone');
    expect(leftovers('gone.img')).toEqual([]);
  });

  it.skipIf(process.getuid?.() === 0)('fails with exit 1 on a chmod 000 host file (skipped as root: root reads it anyway)', async () => {
    const host = join(dir, 'secret');
    writeFileSync(host, 'no peeking');
    chmodSync(host, 0);
    const t = newTree(attrs());
    setNode(t, '/etc/secret', { type: 'file', content: { kind: 'host', path: host, size: 10 }, ...attrs() }, attrs());
    const e = await expectFailure(writeImageFile({ tree: t, output: join(dir, 'secret.img') }), 'HOST_FILE_UNREADABLE', 1);
    expect(e.message).toContain(host);
    expect(leftovers('secret.img')).toEqual([]);
  });

  it('fails when a host file shrank between import and write', async () => {
    const host = join(dir, 'shrinks');
    writeFileSync(host, 'short');
    const t = newTree(attrs());
    setNode(t, '/f', { type: 'file', content: { kind: 'host', path: host, size: 100 }, ...attrs() }, attrs());
    await expectFailure(writeImageFile({ tree: t, output: join(dir, 'shrink.img') }), 'HOST_FILE_CHANGED', 1);
    expect(leftovers('shrink.img')).toEqual([]);
  });
});
