/**
 * A kernel read on demand (emulator/host/elf-file.ts) loads the same guest
 * RAM as its bytes in memory: the guest's vmlinux when the guest cache has
 * it, and small ELFs with aligned and unaligned segments; a truncated file is
 * an ElfError, as for bytes.
 */
import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { elfFile } from '../../../emulator/host/elf-file.ts';
import { ElfError, loadKernelElf } from '../../../emulator/elf.ts';
import { Ram } from '../../../emulator/memory/ram.ts';
import { guestVar } from '../../../src/guest/vars.ts';
import { createMachine } from '../../../emulator/machine.ts';
import { tinyElf } from '../../helpers/or1k-elf.ts';

const ramHash = (ram: Ram, length: number): string => createHash('sha256').update(ram.readBytes(0, length)).digest('hex');

function both(path: string, ramBytes: number): { fromBytes: Ram; fromFile: Ram; end: number } {
  const fromBytes = new Ram(ramBytes);
  const fromFile = new Ram(ramBytes);
  const a = loadKernelElf(new Uint8Array(readFileSync(path)), fromBytes);
  const b = loadKernelElf(elfFile(path), fromFile);
  expect(b).toEqual(a);
  return { fromBytes, fromFile, end: a.end };
}

describe('elfFile', () => {
  it('loads small ELFs (aligned and unaligned segments) as their bytes do', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mkrootfs-elf-file-'));
    for (const [pa, filesz] of [[0x1000, 8], [0x1001, 8], [0x1000, 7], [0x2002, 13]] as const) {
      const path = join(dir, `e-${pa}-${filesz}`);
      writeFileSync(path, tinyElf(pa, filesz));
      const { fromBytes, fromFile } = both(path, 16384);
      expect(ramHash(fromFile, 16384)).toBe(ramHash(fromBytes, 16384));
      expect(fromFile.read8(pa)).toBe(1);
    }
  });

  it('loads the guest vmlinux byte for byte as readFileSync + loadKernelElf', async () => {
    const kernel = process.env.MKROOTFS_TEST_KERNEL ?? await guestVar('kernel', { build: false }).catch(() => undefined);
    if (kernel === undefined || !existsSync(kernel)) throw new Error('no guest kernel: run `mkrootfs guest` (or set MKROOTFS_TEST_KERNEL)');
    const { fromBytes, fromFile, end } = both(kernel, 64 << 20);
    expect(ramHash(fromFile, end)).toBe(ramHash(fromBytes, end));
  });

  it('a machine built from the file reloads the kernel from it on reset', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mkrootfs-elf-file-'));
    const path = join(dir, 'k');
    writeFileSync(path, tinyElf(0x2000, 16));
    const m = createMachine({ kernel: elfFile(path), memoryBytes: 1 << 20 });
    expect(Array.from(m.ram.readBytes(0x2000, 4))).toEqual([1, 2, 3, 4]);
    m.ram.writeBytes(0x2000, new Uint8Array([9, 9, 9, 9]));
    m.reset();
    expect(Array.from(m.ram.readBytes(0x2000, 4))).toEqual([1, 2, 3, 4]);
  });

  it('a file whose segment lies past its end is ELF_TRUNCATED', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mkrootfs-elf-file-'));
    const path = join(dir, 'short');
    writeFileSync(path, tinyElf().subarray(0, 0x5c));
    expect(() => loadKernelElf(elfFile(path), new Ram(16384))).toThrow(ElfError);
    try { loadKernelElf(elfFile(path), new Ram(16384)); } catch (e) { expect((e as ElfError).code).toBe('ELF_TRUNCATED'); }
  });
});
