/**
 * Loads and stores (big-endian, sign/zero extension, split store immediate,
 * unaligned as QEMU), l.lwa/l.swa reservations, RAM's GuestRam view and the
 * bus's MMIO dispatch and unmapped default.
 */
import { describe, expect, it } from 'vitest';
import { StopReason } from '../../../emulator/cpu/cpu.ts';
import { Bus } from '../../../emulator/memory/bus.ts';
import { Ram } from '../../../emulator/memory/ram.ts';
import { A, exec, machine, HALT } from './asm.ts';

const u = (v: number) => v >>> 0;
const DATA = 0x8000;

describe('loads and stores', () => {
  it('word, half and byte accesses are big-endian', () => {
    const m = exec([...A.li(4, DATA), ...A.li(5, 0x8899aabb), A.sw(4, 5, 0), A.lbz(6, 4, 0), A.lbz(7, 4, 3), A.lhz(8, 4, 2), A.lwz(9, 4, 0)]);
    expect(m.ram.read8(DATA)).toBe(0x88);
    expect(m.ram.read8(DATA + 3)).toBe(0xbb);
    expect([6, 7, 8, 9].map((i) => u(m.cpu.gpr[i]!))).toEqual([0x88, 0xbb, 0xaabb, 0x8899aabb]);
  });
  it('sign extension: l.lbs / l.lhs; l.lws', () => {
    const m = exec([...A.li(4, DATA), ...A.li(5, 0x80ff8001), A.sw(4, 5, 0), A.lbs(6, 4, 0), A.lbs(7, 4, 1), A.lhs(8, 4, 2), A.lhs(9, 4, 0), A.lws(10, 4, 0)]);
    expect([6, 7, 8, 9, 10].map((i) => u(m.cpu.gpr[i]!))).toEqual([0xffffff80, 0xffffffff, 0xffff8001, 0xffff80ff, 0x80ff8001]);
  });
  it('l.sb / l.sh store the low bits; store offsets are split immediates (incl. negative)', () => {
    const m = exec([...A.li(4, DATA + 0x1000), ...A.li(5, 0x12345678), A.sb(4, 5, -1), A.sh(4, 5, 0x7fe), A.sw(4, 5, -2048)]);
    expect(m.ram.read8(DATA + 0x1000 - 1)).toBe(0x78);
    expect(m.ram.read16(DATA + 0x1000 + 0x7fe)).toBe(0x5678);
    expect(m.ram.read32(DATA + 0x1000 - 2048)).toBe(0x12345678);
  });
  it('unaligned accesses work (QEMU raises no alignment exception)', () => {
    const m = exec([...A.li(4, DATA + 1), ...A.li(5, 0xa1b2c3d4), A.sw(4, 5, 0), A.lwz(6, 4, 0), A.lhz(7, 4, 1), A.sh(4, 5, 4), A.lhz(8, 4, 4)]);
    expect(m.ram.read32(DATA + 1)).toBe(0xa1b2c3d4);
    expect(u(m.cpu.gpr[6]!)).toBe(0xa1b2c3d4);
    expect(m.cpu.gpr[7]).toBe(0xb2c3);
    expect(m.cpu.gpr[8]).toBe(0xc3d4);
  });
  it('stores into code are seen by the next fetch (self-modifying code)', () => {
    // overwrite the instruction after the store with "l.ori r3,r0,42"
    const patched = A.ori(3, 0, 42);
    const m = exec([...A.li(4, 0x2000 + 4 * 5), ...A.li(5, patched), A.sw(4, 5, 0), A.ori(3, 0, 1)]);
    expect(m.cpu.gpr[3]).toBe(42);
  });
});

describe('l.lwa / l.swa', () => {
  it('a pair succeeds (F=1, stored); a second l.swa fails (F=0, not stored)', () => {
    const m = exec([...A.li(4, DATA), ...A.li(5, 7), A.lwa(6, 4, 0), A.swa(4, 5, 0), A.mfspr(10, 0, 0x11), ...A.li(5, 9), A.swa(4, 5, 0), A.mfspr(11, 0, 0x11)]);
    expect(m.ram.read32(DATA)).toBe(7);
    expect((m.cpu.gpr[10]! >>> 9) & 1).toBe(1);
    expect((m.cpu.gpr[11]! >>> 9) & 1).toBe(0);
  });
  it('fails when another store changed the word in between, or for another address', () => {
    const m = exec([...A.li(4, DATA), ...A.li(5, 7), A.lwa(6, 4, 0), A.sw(4, 5, 0), A.swa(4, 5, 0), A.mfspr(10, 0, 0x11),
      A.lwa(6, 4, 0), A.swa(4, 5, 4), A.mfspr(11, 0, 0x11)]);
    expect((m.cpu.gpr[10]! >>> 9) & 1).toBe(0);
    expect((m.cpu.gpr[11]! >>> 9) & 1).toBe(0);
    expect(m.ram.read32(DATA + 4)).toBe(0);
  });
  it('an exception between l.lwa and l.swa drops the reservation', () => {
    // l.lwa; l.sys (vector 0xC00 returns with l.rfe); l.swa must fail
    const m = machine([...A.li(4, DATA), ...A.li(5, 7), A.lwa(6, 4, 0), A.sys(0), A.swa(4, 5, 0), A.mfspr(10, 0, 0x11), HALT]);
    m.ram.write32(0xc00, A.rfe());
    expect(m.run()).toBe(StopReason.HALT);
    expect((m.cpu.gpr[10]! >>> 9) & 1).toBe(0);
    expect(m.ram.read32(DATA)).toBe(0);
  });
});

describe('RAM (GuestRam) and bus', () => {
  it('little-endian DMA accessors see the same bytes as the big-endian CPU', () => {
    const ram = new Ram(8192 * 2);
    ram.write32(0x100, 0x11223344);
    expect(ram.readU32LE(0x100)).toBe(0x44332211);
    expect(ram.readU16LE(0x102)).toBe(0x4433);
    ram.writeU32LE(0x200, 0xdeadbeef);
    expect(ram.read32(0x200)).toBe(0xefbeadde);
    ram.writeU16LE(0x301, 0xabcd);
    expect([ram.read8(0x301), ram.read8(0x302)]).toEqual([0xcd, 0xab]);
    ram.writeBytes(0x401, new Uint8Array([1, 2, 3, 4, 5, 6, 7]));
    expect(Array.from(ram.readBytes(0x400, 9))).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 0]);
    // every alignment and length of writeBytes / fill0 against byte-wise read8
    for (let at = 0x600; at < 0x608; at++) {
      for (let len = 0; len <= 13; len++) {
        for (let k = 0x5f0; k < 0x620; k++) ram.write8(k, 0xee);
        const data = Uint8Array.from({ length: len }, (_, j) => 0x10 + j);
        ram.writeBytes(at, data);
        for (let k = 0x5f0; k < 0x620; k++) expect(ram.read8(k)).toBe(k >= at && k < at + len ? 0x10 + k - at : 0xee);
        ram.fill0(at, len);
        for (let k = 0x5f0; k < 0x620; k++) expect(ram.read8(k)).toBe(k >= at && k < at + len ? 0 : 0xee);
      }
    }
    ram.write32(0x500, 1); ram.write32(0x504, 2);
    expect(ram.readU64LE(0x500)).toBe(0x01000000 + 0x02000000 * 2 ** 32);
    expect(ram.contains(0x3fff, 1)).toBe(true);
    expect(ram.contains(0x3fff, 2)).toBe(false);
  });
  it('DMA into code is seen by the CPU', () => {
    const m = machine([A.ori(3, 0, 1), HALT]);
    m.ram.writeBytes(0x2000, new Uint8Array([0xa8, 0x60, 0x00, 0x05])); // l.ori r3,r0,5
    m.run();
    expect(m.cpu.gpr[3]).toBe(5);
  });
  it('MMIO dispatch by region; sub-frame regions; unmapped reads 0 and is logged, rate-limited', () => {
    const ram = new Ram(8192);
    const log: string[] = [];
    const bus = new Bus({ ram, logger: (s) => log.push(s), unmappedLogLimit: 3 });
    const seen: string[] = [];
    bus.map(0x90000000, 0x100, {
      read: (off, size) => { seen.push(`r${off}/${size}`); return 0xab; },
      write: (off, size, v) => { seen.push(`w${off}/${size}=${v.toString(16)}`); },
    }, 'uart');
    expect(bus.read(0x90000005, 1)).toBe(0xab);
    bus.write(0x90000000, 1, 0x41);
    expect(seen).toEqual(['r5/1', 'w0/1=41']);
    expect(bus.read(0x90000100, 4)).toBe(0); // beyond the region's size
    for (let i = 0; i < 10; i++) bus.write(0xa0000000, 4, i);
    expect(bus.unmappedAccesses).toBe(11);
    expect(log.length).toBe(4);
    expect(log[0]).toMatch(/unmapped read32 at 0x90000100/);
    expect(log[3]).toMatch(/suppressed/);
    expect(() => bus.map(0x90000000, 0x1000, { read: () => 0, write: () => {} }, 'x')).toThrow(/overlaps uart/);
  });
  it('several sub-frame regions share a 4 KiB frame (or1k-sim UARTs 0x100 apart); overlaps and unaligned frame-spanning regions are refused', () => {
    const bus = new Bus({ ram: new Ram(8192) });
    const seen: string[] = [];
    for (let n = 3; n >= 0; n--) {
      bus.map(0x90000000 + 0x100 * n, 0x100, { read: (off) => 0x10 * n + off, write: (off, _s, v) => { seen.push(`${n}:${off}=${v}`); } }, `uart${n}`);
    }
    expect([0, 1, 2, 3].map((n) => bus.read(0x90000000 + 0x100 * n + 5, 1))).toEqual([5, 0x15, 0x25, 0x35]);
    bus.write(0x90000207, 1, 9);
    expect(seen).toEqual(['2:7=9']);
    expect(bus.read(0x90000400, 1)).toBe(0); // past the last one: unmapped
    expect(bus.unmappedAccesses).toBe(1);
    expect(bus.regionAt(0x900001ff)?.name).toBe('uart1');
    expect(() => bus.map(0x90000180, 0x100, { read: () => 0, write: () => {} }, 'x')).toThrow(/overlaps uart/);
    expect(() => bus.map(0x90000400, 0x1000, { read: () => 0, write: () => {} }, 'y')).toThrow(/one 4 KiB frame or start on a 4 KiB boundary/);
    expect(() => bus.map(0x90000000, 0x1000, { read: () => 0, write: () => {} }, 'z')).toThrow(/overlaps uart/);
  });
  it('CPU accesses to MMIO go through the handler with the access size', () => {
    const m = machine([...A.li(4, 0x96000000), ...A.li(5, 0x5555), A.sw(4, 5, 0), A.lhz(6, 4, 6), HALT]);
    const seen: string[] = [];
    m.bus.map(0x96000000, 8, { read: (o, s) => { seen.push(`r${o}/${s}`); return 0xbeef; }, write: (o, s, v) => { seen.push(`w${o}/${s}=${v.toString(16)}`); } }, 'syscon');
    m.run();
    expect(seen).toEqual(['w0/4=5555', 'r6/2']);
    expect(m.cpu.gpr[6]).toBe(0xbeef);
  });
});
