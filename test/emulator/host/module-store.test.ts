/**
 * The file-backed store of emitted WebAssembly modules
 * (emulator/host/module-store.ts): what it saves it loads back, under its
 * version and key only, and a damaged, truncated or misplaced file is a
 * miss, never bytes it did not write; failures to write are silent.
 */
import { describe, expect, it } from 'vitest';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileModuleStore, moduleStorePath } from '../../../emulator/host/module-store.ts';

const bytes = (n: number, seed: number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed) & 0xff);

describe('fileModuleStore', () => {
  it('loads what it saved, by version and key', () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'module-store-')), 'v8');
    const a = fileModuleStore(dir, '0123456789abcdef');
    expect(a.load('interp gpr=64')).toBeUndefined();
    a.save('interp gpr=64', bytes(5000, 1));
    a.save('chain gpr=64', bytes(300, 2));
    expect(a.load('interp gpr=64')).toEqual(bytes(5000, 1));
    expect(a.load('chain gpr=64')).toEqual(bytes(300, 2));
    expect(a.load('interp gpr=68')).toBeUndefined();
    // Another emitter (another bundle) never sees these bytes.
    expect(fileModuleStore(dir, 'fedcba9876543210').load('interp gpr=64')).toBeUndefined();
    expect(readdirSync(dir).sort()).toEqual([
      moduleStorePath(dir, '0123456789abcdef', 'chain gpr=64'), moduleStorePath(dir, '0123456789abcdef', 'interp gpr=64'),
    ].map((p) => p.slice(dir.length + 1)).sort());
  });

  it('files are private (0600); one that others may write is a miss', () => {
    const dir = mkdtempSync(join(tmpdir(), 'module-store-'));
    const s = fileModuleStore(dir, '0123456789abcdef');
    s.save('k', bytes(100, 5));
    const p = moduleStorePath(dir, '0123456789abcdef', 'k');
    expect(statSync(p).mode & 0o777).toBe(0o600);
    chmodSync(p, 0o620);
    expect(s.load('k')).toBeUndefined();
    chmodSync(p, 0o602);
    expect(s.load('k')).toBeUndefined();
    chmodSync(p, 0o644);
    expect(s.load('k')).toEqual(bytes(100, 5));
  });

  it('a damaged, truncated or misplaced file is a miss', () => {
    const dir = mkdtempSync(join(tmpdir(), 'module-store-'));
    const s = fileModuleStore(dir, '0123456789abcdef');
    s.save('k1', bytes(4000, 3));
    s.save('k2', bytes(4000, 4));
    const p1 = moduleStorePath(dir, '0123456789abcdef', 'k1');
    const good = readFileSync(p1);
    const flipped = Buffer.from(good);
    flipped[good.length - 100] = flipped[good.length - 100]! ^ 1;
    writeFileSync(p1, flipped);
    expect(s.load('k1')).toBeUndefined();
    writeFileSync(p1, good.subarray(0, good.length - 1));
    expect(s.load('k1')).toBeUndefined();
    writeFileSync(p1, good.subarray(0, 10));
    expect(s.load('k1')).toBeUndefined();
    // k2's file under k1's name: its checksum covers its key.
    renameSync(moduleStorePath(dir, '0123456789abcdef', 'k2'), p1);
    expect(s.load('k1')).toBeUndefined();
    // Saved again, it loads.
    s.save('k1', bytes(4000, 3));
    expect(s.load('k1')).toEqual(bytes(4000, 3));
  });

  it('a directory it cannot create costs nothing but the miss', () => {
    const root = mkdtempSync(join(tmpdir(), 'module-store-'));
    writeFileSync(join(root, 'file'), 'x');
    const s = fileModuleStore(join(root, 'file', 'v8'), '0123456789abcdef');
    expect(() => s.save('k', bytes(10, 5))).not.toThrow();
    expect(s.load('k')).toBeUndefined();
    expect(readdirSync(root)).toEqual(['file']);
  });
});
