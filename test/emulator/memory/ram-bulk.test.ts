/**
 * Ram's bulk copies (emulator/memory/ram.ts) from sources at every byte
 * offset of their buffer (the word-aligned one-pass path and the copy-then-
 * swap path) and at every guest alignment, checked byte by byte against
 * read8; and the ELF loader's bss, zero-filled even over stale bytes.
 */
import { describe, expect, it } from 'vitest';
import { Ram } from '../../../emulator/memory/ram.ts';
import { loadKernelElf } from '../../../emulator/elf.ts';
import { tinyElf } from '../../helpers/or1k-elf.ts';

describe('Ram.writeBytes', () => {
  it('copies from any source offset to any guest address, in guest byte order', () => {
    const ram = new Ram(8192);
    const backing = Uint8Array.from({ length: 64 }, (_, j) => 0x40 + j);
    for (let off = 0; off < 4; off++) {
      for (let at = 0x100; at < 0x104; at++) {
        for (const len of [0, 1, 3, 4, 5, 8, 17, 31]) {
          for (let k = 0xf0; k < 0x140; k++) ram.write8(k, 0xee);
          const data = backing.subarray(off, off + len);
          ram.writeBytes(at, data);
          for (let k = 0xf0; k < 0x140; k++) expect(ram.read8(k)).toBe(k >= at && k < at + len ? data[k - at] : 0xee);
          expect(Array.from(ram.readBytes(at, len))).toEqual(Array.from(data));
        }
      }
    }
  });

  it('big-endian words land as the CPU reads them', () => {
    const ram = new Ram(8192);
    ram.writeBytes(0x200, new Uint8Array([0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0]));
    expect(ram.read32(0x200)).toBe(0x12345678);
    expect(ram.read32(0x204)).toBe(0x9abcdef0);
  });
});

describe('Ram.fillFrom', () => {
  it('stores what the filler writes, in guest order, aligned (in place) or not (through a copy)', () => {
    const ram = new Ram(8192);
    for (const [at, len] of [[0x100, 16], [0x101, 16], [0x100, 15], [0x103, 1], [0x200, 0]] as const) {
      for (let k = 0xf0; k < 0x140; k++) ram.write8(k, 0xee);
      const data = Uint8Array.from({ length: len }, (_, j) => 0x80 + j);
      ram.fillFrom(at, len, (dest) => { expect(dest.length).toBe(len); dest.set(data); });
      expect(Array.from(ram.readBytes(at, len))).toEqual(Array.from(data));
      for (let k = 0xf0; k < 0x140; k++) if (k < at || k >= at + len) expect(ram.read8(k)).toBe(0xee);
    }
  });
});

describe('loadKernelElf', () => {
  it('zero-fills a segment\'s bss (memsz beyond filesz) over what RAM held', () => {
    const elf = tinyElf();
    const ram = new Ram(16384);
    for (let k = 0xff0; k < 0x1040; k++) ram.write8(k, 0xee);
    const loaded = loadKernelElf(elf, ram);
    expect([loaded.start, loaded.end]).toEqual([0x1000, 0x1030]);
    for (let k = 0xff0; k < 0x1040; k++) expect(ram.read8(k)).toBe(k < 0x1000 || k >= 0x1030 ? 0xee : k < 0x1008 ? k - 0xfff : 0);
  });
});
