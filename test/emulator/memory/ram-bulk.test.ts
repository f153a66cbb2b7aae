/**
 * Ram's bulk copies (emulator/memory/ram.ts) from sources at every byte
 * offset of their buffer (the word-aligned one-pass path and the copy-then-
 * swap path) and at every guest alignment, checked byte by byte against
 * read8; long runs, byte-reversed by WebAssembly, against Buffer.swap32 and
 * DataView; and the ELF loader's bss, zero-filled even over stale bytes.
 */
import { describe, expect, it } from 'vitest';
import { Ram } from '../../../emulator/memory/ram.ts';
import { SWAP_BLOCK, wordSwapper } from '../../../emulator/memory/word-swap.ts';
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

describe('long runs (byte-reversed by WebAssembly SIMD, emulator/memory/word-swap.ts)', () => {
  const pattern = (length: number, seed: number): Uint8Array => Uint8Array.from({ length }, (_, j) => (j * 131 + seed * 7 + (j >>> 8)) & 0xff);

  it('the swap function reverses every word of whole blocks and nothing else, as Buffer.swap32 does', () => {
    const ram = new Ram(1 << 20);
    const swap = wordSwapper(ram.memory);
    expect(swap).not.toBeNull(); // Node 20 has WebAssembly SIMD
    const bytes = new Uint8Array(ram.buffer, 0, 1 << 20);
    bytes.set(pattern(1 << 20, 1));
    const oracle = Buffer.from(bytes.slice(0, 1 << 20));
    for (const [start, end] of [[0, SWAP_BLOCK], [4, 4 + 40 * SWAP_BLOCK], [0x10001, 0x10001 + 3 * SWAP_BLOCK], [0x80000, 0x80000]] as const) {
      swap!(start, end);
      oracle.subarray(start, end).swap32();
    }
    expect(Buffer.compare(Buffer.from(bytes.buffer, 0, 1 << 20), oracle)).toBe(0);
  });

  it('writeBytes and fillFrom of megabytes, at every alignment and odd lengths, land in guest order', () => {
    const ram = new Ram(4 << 20);
    for (const [at, off, len] of [[0x1000, 0, 1 << 20], [0x2001, 1, (1 << 20) + 5], [0x3002, 2, 4096 + 124], [0x4003, 3, 70_003], [0x5000, 4, 4096 * 4 + 4]] as const) {
      const backing = pattern(len + off, at);
      const data = backing.subarray(off, off + len);
      ram.fill0(0, 2 << 20);
      ram.writeBytes(at, data);
      expect(Buffer.compare(Buffer.from(ram.readBytes(at, len)), Buffer.from(data))).toBe(0);
      for (const k of [0, 1, 2, 3, 4, 127, 128, 129, len - 5, len - 4, len - 1]) expect(ram.read8(at + k)).toBe(data[k]);
      expect([ram.read8(at - 1), ram.read8(at + len)]).toEqual([0, 0]);
      // Host-endian words: each aligned word reads as the big-endian word of the guest bytes.
      const first = (at + 3) & ~3;
      const dv = new DataView(data.buffer, data.byteOffset);
      for (let pa = first; pa + 4 <= at + len; pa += 4 * 997) expect(ram.words[pa >>> 2]).toBe(dv.getInt32(pa - at));

      ram.fill0(0, 2 << 20);
      ram.fillFrom(at, len, (dest) => dest.set(data));
      expect(Buffer.compare(Buffer.from(ram.readBytes(at, len)), Buffer.from(data))).toBe(0);
      expect([ram.read8(at - 1), ram.read8(at + len)]).toEqual([0, 0]);
    }
  });

  it('a long run reaching the end of RAM', () => {
    const ram = new Ram(1 << 20);
    const data = pattern(1 << 16, 9);
    ram.fillFrom((1 << 20) - (1 << 16), 1 << 16, (dest) => dest.set(data));
    expect(ram.read32((1 << 20) - 4)).toBe(new DataView(data.buffer).getUint32((1 << 16) - 4));
    expect(Buffer.compare(Buffer.from(ram.readBytes((1 << 20) - (1 << 16), 1 << 16)), Buffer.from(data))).toBe(0);
  });
});
