/**
 * MMU (software-refilled TLBs, misses vs protection faults, EEAR,
 * invalidation of the host translation tables), tick timer (modes, crossing
 * match, wrap, IP semantics), PIC (level lines, masking) and doze.
 */
import { describe, expect, it } from 'vitest';
import { StopReason } from '../../../emulator/cpu/cpu.ts';
import { SPR, SR } from '../../../emulator/cpu/spr.ts';
import { A, HALT, machine, PROG, type TestMachine } from './asm.ts';

const u = (v: number) => v >>> 0;
const DTLBMR = (set: number) => SPR.DTLBMR + set;
const DTLBTR = (set: number) => SPR.DTLBTR + set;
const ITLBMR = (set: number) => SPR.ITLBMR + set;
const ITLBTR = (set: number) => SPR.ITLBTR + set;
const set = (va: number) => (va >>> 13) & 127;

/** Identity-maps the program page for fetch (SXE) and sets DME|IME. */
function withMmu(m: TestMachine, dmmu = true): void {
  m.cpu.setSpr(ITLBMR(set(PROG)), PROG | 1);
  m.cpu.setSpr(ITLBTR(set(PROG)), PROG | 0x40);
  m.cpu.sr = SR.FO | SR.SM | SR.IME | (dmmu ? SR.DME : 0);
}

describe('data MMU', () => {
  it('translates on 8 KiB pages: PA = TR[31:13] | VA[12:0]', () => {
    const va = 0xc0101234;
    const m = machine([...A.li(4, va), A.lwz(3, 4, 0), A.sw(4, 4, 4), HALT]);
    withMmu(m);
    m.cpu.setSpr(DTLBMR(set(va)), (va & ~0x1fff) | 1);
    m.cpu.setSpr(DTLBTR(set(va)), 0x8000 | 0x300); // SRE|SWE
    m.ram.write32(0x9234, 0xcafef00d);
    expect(m.run()).toBe(StopReason.HALT);
    expect(u(m.cpu.gpr[3]!)).toBe(0xcafef00d);
    expect(m.ram.read32(0x9238)).toBe(va);
  });
  it('no valid match: DTLB miss (0x900), EEAR = VA, EPCR = insn', () => {
    const va = 0xc0104000;
    const m = machine([...A.li(4, va), A.lwz(3, 4, 8), HALT]);
    withMmu(m);
    m.run();
    expect(m.cpu.pc).toBe(0x904);
    expect(m.cpu.eear).toBe(va + 8);
    expect(m.cpu.epcr).toBe(PROG + 8);
    expect(m.cpu.sr & (SR.DME | SR.IME)).toBe(0);
  });
  it('match without permission: data page fault (0x300); user vs supervisor bits', () => {
    const va = 0x00400000;
    const m = machine([...A.li(4, va), A.lwz(3, 4, 0), A.sw(4, 3, 0), HALT]);
    withMmu(m);
    m.cpu.setSpr(DTLBMR(set(va)), va | 1);
    m.cpu.setSpr(DTLBTR(set(va)), 0xa000 | 0x100 | 0x80); // SRE + UWE only
    m.run();
    expect(m.cpu.pc).toBe(0x304); // the store: no SWE
    expect(m.cpu.epcr).toBe(PROG + 12);
    expect(m.cpu.eear).toBe(va);
  });
  it('a fault in a delay slot sets DSX and EPCR = branch; the load did not write rD', () => {
    const va = 0x00600000;
    const m = machine([...A.li(4, va), A.ori(3, 0, 5), A.j(2), A.lwz(3, 4, 0), HALT]);
    withMmu(m);
    m.run();
    expect(m.cpu.pc).toBe(0x904);
    expect(m.cpu.epcr).toBe(PROG + 12);
    expect(m.cpu.sr & SR.DSX).toBe(SR.DSX);
    expect(m.cpu.gpr[3]).toBe(5);
  });
  it('rewriting a TLB entry invalidates the cached translation', () => {
    const va = 0x00800000;
    // load, remap the page to another frame, load again
    const m = machine([...A.li(4, va), A.lwz(3, 4, 0), ...A.li(6, 0xc000 | 0x100), A.mtspr(0, 6, DTLBTR(set(va))), A.lwz(5, 4, 0),
      A.mtspr(0, 0, DTLBMR(set(va))), A.lwz(7, 4, 0), HALT]);
    withMmu(m);
    m.cpu.setSpr(DTLBMR(set(va)), va | 1);
    m.cpu.setSpr(DTLBTR(set(va)), 0xa000 | 0x100);
    m.ram.write32(0xa000, 111);
    m.ram.write32(0xc000, 222);
    m.run();
    expect([m.cpu.gpr[3], m.cpu.gpr[5]]).toEqual([111, 222]);
    expect(m.cpu.pc).toBe(0x904); // invalidated MR: miss
  });
  it('privilege is checked per access: user mode needs URE', () => {
    const va = 0x00a00000;
    const m = machine([...A.li(4, va), A.lwz(3, 4, 0), A.ori(5, 0, SR.IME | SR.DME), A.mtspr(0, 5, SPR.SR), A.lwz(3, 4, 0), HALT]);
    withMmu(m);
    m.cpu.setSpr(ITLBTR(set(PROG)), PROG | 0xc0);
    m.cpu.setSpr(DTLBMR(set(va)), va | 1);
    m.cpu.setSpr(DTLBTR(set(va)), 0xa000 | 0x100); // SRE only
    m.run();
    expect(m.cpu.pc).toBe(0x304);
    expect(m.cpu.esr & SR.SM).toBe(0);
  });
});

describe('instruction MMU', () => {
  it('ITLB miss on the next page: EPCR = EEAR = fetch address', () => {
    const m = machine([]);
    const last = PROG + 0x2000 - 4;
    m.ram.write32(last, A.ori(3, 0, 1));
    m.cpu.reset(last);
    withMmu(m, false);
    m.run();
    expect(m.cpu.pc).toBe(0xa04);
    expect(m.cpu.epcr).toBe(PROG + 0x2000);
    expect(m.cpu.eear).toBe(PROG + 0x2000);
    expect(m.cpu.gpr[3]).toBe(1);
  });
  it('ITLB miss of a delay slot on the next page: EPCR = branch, DSX', () => {
    const m = machine([]);
    const last = PROG + 0x2000 - 4;
    m.ram.write32(last, A.j(4));
    m.cpu.reset(last);
    withMmu(m, false);
    m.run();
    expect(m.cpu.pc).toBe(0xa04);
    expect(m.cpu.epcr).toBe(last);
    expect(m.cpu.eear).toBe(PROG + 0x2000);
    expect(m.cpu.sr & SR.DSX).toBe(SR.DSX);
  });
  it('no execute permission: instruction page fault (0x400)', () => {
    const m = machine([A.nop(), HALT]);
    withMmu(m, false);
    m.cpu.setSpr(ITLBTR(set(PROG)), PROG | 0x80); // UXE only, supervisor fetch
    m.run();
    expect(m.cpu.pc).toBe(0x404);
    expect(m.cpu.eear).toBe(PROG);
  });
});

describe('tick timer', () => {
  it('TTCR counts one per retired instruction once TTMR mode is set', () => {
    const m = machine([A.movhi(3, 0xc000), A.mtspr(0, 3, SPR.TTMR), A.mfspr(4, 0, SPR.TTCR), A.nop(), A.nop(), A.mfspr(5, 0, SPR.TTCR), HALT]);
    m.run();
    expect(m.cpu.gpr[4]! + 3).toBe(m.cpu.gpr[5]);
  });
  it('continuous mode with IE: IP set at the match, tick exception when SR[TEE], EPCR = next insn', () => {
    const prog = [...A.li(3, 0xe0000000 | 50), A.mtspr(0, 3, SPR.TTMR), A.ori(5, 0, SR.SM | SR.TEE), A.mtspr(0, 5, SPR.SR)];
    for (let i = 0; i < 100; i++) prog.push(A.addi(6, 6, 1));
    prog.push(HALT);
    const m = machine(prog);
    m.run();
    expect(m.cpu.pc).toBe(0x504);
    expect(m.cpu.ttmr & 0x10000000).toBe(0x10000000);
    // TTCR started at instruction 2 (after the mtspr): 50 ticks later
    expect(m.cpu.gpr[6]).toBe(50 - 3 + 1 - 1);
    expect(m.cpu.epcr).toBe(PROG + 4 * (5 + m.cpu.gpr[6]!));
  });
  it('IP is sticky until TTMR is written with IP=0; a write never sets IP', () => {
    const m = machine([]);
    m.cpu.setSpr(SPR.TTMR, 0xf0000000 | 10);
    expect(m.cpu.ttmr & 0x10000000).toBe(0); // writing IP=1 does not set it
    m.cpu.advanceTicks(20);
    expect(m.cpu.ttmr & 0x10000000).toBe(0x10000000);
    m.cpu.setSpr(SPR.TTMR, 0xf0000000 | 10); // IP=1 written: kept
    expect(m.cpu.ttmr & 0x10000000).toBe(0x10000000);
    m.cpu.setSpr(SPR.TTMR, 0xe0000000 | 10); // IP=0: cleared
    expect(m.cpu.ttmr & 0x10000000).toBe(0);
  });
  it('a match is detected when time jumps past it (crossing), and across the 28-bit wrap', () => {
    const m = machine([]);
    m.cpu.setSpr(SPR.TTCR, 0x0ffffff0);
    m.cpu.setSpr(SPR.TTMR, 0xe0000000 | 0x5); // match after wrap of TTCR[27:0]
    expect(m.cpu.nextEventTick() - m.cpu.ticks).toBe(0x15);
    m.cpu.advanceTicks(1000);
    expect(m.cpu.ttmr & 0x10000000).toBe(0x10000000);
    expect(m.cpu.getSpr(SPR.TTCR)).toBe(0x0ffffff0 + 1000);
  });
  it('restart mode resets TTCR at the match; one-shot stops counting; disabled freezes', () => {
    const m = machine([]);
    m.cpu.setSpr(SPR.TTMR, 0x40000000 | 100);
    m.cpu.advanceTicks(250);
    expect(m.cpu.getSpr(SPR.TTCR)).toBe(50);
    m.cpu.setSpr(SPR.TTMR, 0x80000000 | 120);
    m.cpu.advanceTicks(500);
    expect(m.cpu.getSpr(SPR.TTCR)).toBe(120);
    m.cpu.setSpr(SPR.TTMR, 0);
    m.cpu.setSpr(SPR.TTCR, 7);
    m.cpu.advanceTicks(500);
    expect(m.cpu.getSpr(SPR.TTCR)).toBe(7);
    expect(m.cpu.nextEventTick()).toBe(Infinity);
  });
  it('free-running tick rate: instructions worth half a tick keep TTCR continuous and fire the match at the scaled count', () => {
    const prog = [...A.li(3, 0xe0000000 | 40), A.mtspr(0, 3, SPR.TTMR), A.ori(5, 0, SR.SM | SR.TEE), A.mtspr(0, 5, SPR.SR)];
    for (let i = 0; i < 200; i++) prog.push(A.addi(6, 6, 1));
    prog.push(HALT);
    const m = machine(prog);
    m.cpu.setTickRate(0.5);
    expect(m.cpu.ticks).toBe(0); // the current tick is kept
    m.run();
    // TTCR starts at tick floor(2 / 2) = 1 and matches at tick 41, reached at instruction 82: 5 set-up instructions, then the addis.
    expect(m.cpu.pc).toBe(0x504);
    expect(m.cpu.gpr[6]).toBe(82 - 5);
    const t = m.cpu.ticks;
    m.cpu.setTickRate(1); // back to exact: no jump
    expect(m.cpu.ticks).toBe(t);
    m.cpu.setTickRate(0); // invalid rates mean exact
    expect(m.cpu.ticks).toBe(t);
  });
  it('guest time: 50 ns per tick', () => {
    const m = machine([A.nop(), A.nop(), HALT]);
    m.run();
    expect(m.cpu.clock.nowNs()).toBe(3 * 50);
    m.cpu.skipToNs(1000);
    expect(m.cpu.ticks).toBe(20);
  });
});

describe('PIC and doze', () => {
  it('level-triggered: pending iff PICSR & PICMR and SR[IEE]; vector 0x800', () => {
    const m = machine([A.ori(3, 0, 1 << 11), A.mtspr(0, 3, SPR.PICMR), A.ori(5, 0, SR.SM | SR.IEE), A.mtspr(0, 5, SPR.SR), A.nop(), HALT]);
    const line = m.cpu.picLine(11);
    line.set(true);
    expect(m.cpu.picsr).toBe(1 << 11);
    m.run();
    expect(m.cpu.pc).toBe(0x804);
    expect(m.cpu.epcr).toBe(PROG + 16);
    line.set(false);
    expect(m.cpu.picsr).toBe(0);
  });
  it('a masked line does not interrupt', () => {
    const m = machine([A.ori(5, 0, SR.SM | SR.IEE), A.mtspr(0, 5, SPR.SR), A.nop(), HALT]);
    m.cpu.picLine(2).set(true);
    expect(m.run()).toBe(StopReason.HALT);
    expect(m.cpu.pc).toBe(PROG + 16);
  });
  it('a device raising its line during an MMIO access interrupts right after that instruction', () => {
    const m = machine([A.ori(3, 0, 1 << 2), A.mtspr(0, 3, SPR.PICMR), A.ori(5, 0, SR.SM | SR.IEE), A.mtspr(0, 5, SPR.SR), ...A.li(4, 0x90000000), A.sb(4, 4, 0), A.nop(), HALT]);
    m.bus.map(0x90000000, 0x100, { read: () => 0, write: () => m.cpu.picLine(2).set(true) }, 'uart');
    m.run();
    expect(m.cpu.pc).toBe(0x804);
    expect(m.cpu.epcr).toBe(PROG + 4 * 7);
  });
  it('doze: run() returns DOZE; advancing time to the timer event wakes the CPU into the tick handler', () => {
    const m = machine([...A.li(3, 0xe0000000 | 1000), A.mtspr(0, 3, SPR.TTMR), A.ori(5, 0, SR.SM | SR.TEE), A.mtspr(0, 5, SPR.SR), A.ori(6, 0, 0x10), A.mtspr(0, 6, SPR.PMR), A.ori(7, 0, 1), HALT]);
    expect(m.run()).toBe(StopReason.DOZE);
    expect(m.cpu.dozing).toBe(true);
    expect(m.run()).toBe(StopReason.DOZE);
    const next = m.cpu.nextEventTick();
    expect(next).toBeGreaterThan(m.cpu.ticks);
    m.cpu.advanceTicks(next - m.cpu.ticks);
    expect(m.cpu.dozing).toBe(false);
    expect(m.run()).toBe(StopReason.HALT);
    expect(m.cpu.pc).toBe(0x504);
    expect(m.cpu.epcr).toBe(PROG + 4 * 7); // the insn after the PMR write
    expect(m.cpu.pmr & 0x10).toBe(0); // exception entry clears DME
  });
  it('doze is woken by a PIC line', () => {
    const m = machine([A.ori(3, 0, 4), A.mtspr(0, 3, SPR.PICMR), A.ori(6, 0, 0x10), A.mtspr(0, 6, SPR.PMR), A.ori(7, 0, 1), HALT]);
    expect(m.run()).toBe(StopReason.DOZE);
    m.cpu.picLine(2).set(true);
    expect(m.run()).toBe(StopReason.HALT); // IEE off: continues after the PMR write
    expect(m.cpu.gpr[7]).toBe(1);
  });
});
