import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createHash } from 'node:crypto';
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileDisk, SECTOR_SIZE } from '../../../emulator/host/file-disk.ts';
import type { BlockBackend } from '../../../emulator/devices/block-backend.ts';

let dir: string;
let img: string;
const SIZE = 64 * 1024 + 512 + 100; // not a multiple of the 4 KiB chunk, trailing partial sector

function pattern(n: number): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = (i * 7 + (i >> 9)) & 0xff;
  return b;
}
const sha = (p: string) => createHash('sha256').update(readFileSync(p)).digest('hex');

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'filedisk-'));
  img = join(dir, 'disk.img');
  writeFileSync(img, pattern(SIZE));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('FileDisk (copy-on-write, the default)', () => {
  it('exposes whole sectors only, as a BlockBackend', () => {
    const d = new FileDisk(img);
    const asBackend: BlockBackend = d;
    expect(asBackend.size).toBe(d.byteLength);
    expect(d.sectorCount).toBe(Math.floor(SIZE / SECTOR_SIZE));
    expect(d.byteLength).toBe(d.sectorCount * 512);
    d.close();
  });

  it('reads the file, sees its own writes, and never modifies the file', () => {
    const before = sha(img);
    const mtime = statSync(img).mtimeMs;
    const d = new FileDisk(img);
    const buf = new Uint8Array(1024);
    expect(d.read(3 * 512, buf)).toBe(true);
    expect(buf).toEqual(pattern(SIZE).subarray(1536, 2560));
    const data = new Uint8Array(1536).fill(0xab);
    expect(d.write(7 * 512, data)).toBe(true); // spans the chunk boundary at 4096
    expect(d.flush()).toBe(true);
    const back = new Uint8Array(4096);
    expect(d.read(6 * 512, back)).toBe(true);
    const expected = pattern(SIZE).slice(3072, 3072 + 4096);
    expected.fill(0xab, 512, 2048);
    expect(back).toEqual(expected);
    expect(d.overlayChunks).toBe(2);
    d.close();
    expect(sha(img)).toBe(before);
    expect(statSync(img).mtimeMs).toBe(mtime);
  });

  it('works on a read-only file (it is opened read-only)', () => {
    chmodSync(img, 0o444);
    const d = new FileDisk(img);
    expect(d.write(0, new Uint8Array(512).fill(1))).toBe(true);
    const b = new Uint8Array(512);
    d.read(0, b);
    expect(b[0]).toBe(1);
    d.close();
  });

  it('rejects requests outside the disk with a false return, not a throw', () => {
    const d = new FileDisk(img);
    expect(d.read(d.size, new Uint8Array(512))).toBe(false);
    expect(d.size).toBe(d.sectorCount * 512);
    expect(d.write(d.size - 512, new Uint8Array(1024))).toBe(false);
    expect(d.read(-1, new Uint8Array(1))).toBe(false);
    d.close();
    expect(d.read(0, new Uint8Array(512))).toBe(false);
  });

  it('behaves like a plain byte array under random reads and writes (model check)', () => {
    fc.assert(fc.property(fc.array(fc.record({
      write: fc.boolean(), off: fc.nat({ max: SIZE - 600 }), len: fc.integer({ min: 1, max: 9000 }), v: fc.nat({ max: 255 }),
    }), { maxLength: 30 }), (ops) => {
      const d = new FileDisk(img);
      const model = pattern(SIZE).slice(0, d.byteLength);
      for (const op of ops) {
        const len = Math.min(op.len, d.byteLength - op.off);
        if (op.write) {
          const data = new Uint8Array(len).fill(op.v);
          expect(d.write(op.off, data)).toBe(true);
          model.fill(op.v, op.off, op.off + len);
        } else {
          const b = new Uint8Array(len);
          expect(d.read(op.off, b)).toBe(true);
          expect(Buffer.from(b).equals(Buffer.from(model.subarray(op.off, op.off + len)))).toBe(true);
        }
      }
      const all = new Uint8Array(d.byteLength);
      d.read(0, all);
      expect(Buffer.from(all).equals(Buffer.from(model))).toBe(true);
      d.close();
    }), { numRuns: 40 });
    expect(readFileSync(img).equals(Buffer.from(pattern(SIZE)))).toBe(true);
  });
});

describe('FileDisk (write mode)', () => {
  it('writes through to the file', () => {
    const d = new FileDisk(img, { write: true });
    expect(d.write(2 * 512, new Uint8Array(512).fill(0x5a))).toBe(true);
    expect(d.flush()).toBe(true);
    // Visible in the file before close (written through, not buffered).
    const f = readFileSync(img);
    expect(f.subarray(1024, 1536).every((x) => x === 0x5a)).toBe(true);
    expect(f.subarray(0, 1024).equals(Buffer.from(pattern(SIZE).subarray(0, 1024)))).toBe(true);
    expect(d.overlayChunks).toBe(0);
    expect(d.stats.flushes).toBe(1);
    d.close();
    expect(f.length).toBe(SIZE);
  });

  // root ignores file modes, so this only means something for other users.
  it.skipIf(process.getuid?.() === 0)('cannot open a read-only file for writing', () => {
    chmodSync(img, 0o444);
    expect(() => new FileDisk(img, { write: true })).toThrow(/EACCES/);
  });

  it('throws a clear error for a missing file before anything starts', () => {
    expect(() => new FileDisk(join(dir, 'nope.img'))).toThrow(/ENOENT/);
  });
});
