/**
 * Control flow and supervision: delay slots, exceptions (EPCR, EEAR, ESR,
 * SR[DSX], vectors, EVBAR), l.rfe, l.sys/l.trap/illegal/range, SPR values of
 * `-cpu any`, shadow GPRs, user-mode restrictions, stop reasons.
 */
import { describe, expect, it } from 'vitest';
import { StopReason } from '../../../emulator/cpu/cpu.ts';
import { SPR, SR } from '../../../emulator/cpu/spr.ts';
import { A, exec, HALT, machine, PROG } from './asm.ts';

const u = (v: number) => v >>> 0;

describe('branches and delay slots', () => {
  it('the delay slot always executes; l.jal links pc+8', () => {
    const m = exec([A.jal(3), A.ori(3, 0, 1), A.ori(4, 0, 99), A.ori(5, 0, 7)]);
    expect(m.cpu.gpr[3]).toBe(1); // delay slot ran
    expect(m.cpu.gpr[4]).toBe(0); // skipped
    expect(m.cpu.gpr[5]).toBe(7);
    expect(u(m.cpu.gpr[9]!)).toBe(PROG + 8);
  });
  it('l.bf/l.bnf sample F at the branch, not after the delay slot', () => {
    // F=1; l.bf +3 with a delay slot that clears F: must still branch
    const m = exec([A.sf(0, 0, 0), A.bf(3), A.sf(1, 0, 0), A.ori(4, 0, 99), A.ori(5, 0, 7)]);
    expect(m.cpu.gpr[4]).toBe(0);
    expect(m.cpu.gpr[5]).toBe(7);
    const n = exec([A.sf(1, 0, 0), A.bf(3), A.sf(0, 0, 0), A.ori(4, 0, 99), A.ori(5, 0, 7)]);
    expect(n.cpu.gpr[4]).toBe(99);
  });
  it('l.jr/l.jalr read rB before the link is written', () => {
    const m = exec([...A.li(9, PROG + 4 * 6), A.jalr(9), A.nop(), A.ori(4, 0, 99), HALT, A.ori(5, 0, 7)]);
    expect(m.cpu.gpr[4]).toBe(0);
    expect(m.cpu.gpr[5]).toBe(7);
    expect(u(m.cpu.gpr[9]!)).toBe(PROG + 4 * 4);
  });
  it('a budget stop between a branch and its slot resumes correctly', () => {
    const m = machine([A.j(3), A.ori(3, 0, 1), A.ori(4, 0, 99), A.ori(5, 0, 7), HALT]);
    expect(m.cpu.run(1)).toBe(StopReason.BUDGET);
    expect(m.cpu.ds).toBe(1);
    expect(m.cpu.run(100)).toBe(StopReason.HALT);
    expect([m.cpu.gpr[3], m.cpu.gpr[4], m.cpu.gpr[5]]).toEqual([1, 0, 7]);
    expect(m.cpu.instret).toBe(4);
  });
});

describe('exceptions', () => {
  it('l.sys: vector 0xC00, EPCR = next insn, ESR = old SR, SR: SM, no IEE/TEE/MMU', () => {
    const m = machine([A.ori(3, 0, SR.SM | SR.IEE | SR.TEE | SR.F), A.mtspr(0, 3, SPR.SR), A.sys(5), HALT]);
    expect(m.run()).toBe(StopReason.HALT);
    expect(m.cpu.pc).toBe(0xc04);
    expect(m.cpu.epcr).toBe(PROG + 12);
    expect(m.cpu.esr).toBe(SR.FO | SR.SM | SR.IEE | SR.TEE | SR.F);
    expect(m.cpu.sr).toBe(SR.FO | SR.SM | SR.F);
  });
  it('l.trap: vector 0xE00, EPCR = the l.trap', () => {
    const m = machine([A.nop(), A.trap(0), HALT]);
    m.run();
    expect(m.cpu.pc).toBe(0xe04);
    expect(m.cpu.epcr).toBe(PROG + 4);
  });
  it('illegal instruction: vector 0x700, EPCR = EEAR = the instruction; nothing retired', () => {
    for (const bad of [0xfc000000, 0x38000300 /* add with op2=3 */, 0x3c000000, 0xe4e00000 /* l.sf cond 7 */, 0x14000000 /* op 5, bits 25:24=00 */]) {
      const m = machine([A.nop(), bad, HALT]);
      m.run();
      expect(m.cpu.pc, bad.toString(16)).toBe(0x704);
      expect(m.cpu.epcr).toBe(PROG + 4);
      expect(m.cpu.eear).toBe(PROG + 4);
      expect(m.cpu.instret).toBe(2); // l.nop + handler's l.nop 1
    }
  });
  it('an exception in a delay slot: EPCR = the branch, SR[DSX] = 1; l.rfe re-executes the branch', () => {
    // handler at 0xE00: count in r20, then l.rfe; program: l.j +2 / l.trap (slot) -> trap in delay slot
    const m = machine([A.ori(21, 0, 0), A.j(3), A.trap(0), HALT, A.ori(5, 0, 7), HALT]);
    m.ram.write32(0xe00, A.addi(20, 20, 1));
    m.ram.write32(0xe04, A.mfspr(22, 0, SPR.EPCR));
    m.ram.write32(0xe08, A.mfspr(23, 0, SPR.SR));
    // second time through, skip the trap by returning to the target
    m.ram.write32(0xe0c, A.sfi(0, 20, 2));
    m.ram.write32(0xe10, A.bf(3));
    m.ram.write32(0xe14, A.nop());
    m.ram.write32(0xe18, A.rfe());
    m.ram.write32(0xe1c, HALT);
    expect(m.run()).toBe(StopReason.HALT);
    expect(m.cpu.gpr[20]).toBe(2); // trapped twice: l.rfe went back to the branch
    expect(u(m.cpu.gpr[22]!)).toBe(PROG + 4);
    expect(m.cpu.gpr[23]! & SR.DSX).toBe(SR.DSX);
    expect(m.cpu.esr & SR.DSX).toBe(0);
  });
  it('l.rfe restores SR from ESR and jumps to EPCR, no delay slot', () => {
    const m = exec([...A.li(3, PROG + 4 * 9), A.mtspr(0, 3, SPR.EPCR), A.ori(4, 0, SR.SM | SR.F | SR.CY), A.mtspr(0, 4, SPR.ESR), A.rfe(), A.ori(5, 0, 99), A.nop(), A.nop(), A.ori(6, 0, 7)]);
    expect(m.cpu.gpr[5]).toBe(0);
    expect(m.cpu.gpr[6]).toBe(7);
    expect(m.cpu.sr).toBe(SR.FO | SR.SM | SR.F | SR.CY);
  });
  it('range exception only with SR[OVE]: add on CY or OV, div on OV', () => {
    const m = machine([A.ori(3, 0, SR.SM | SR.OVE), A.mtspr(0, 3, SPR.SR), ...A.li(4, 0xffffffff), A.addi(5, 4, 1), HALT]);
    m.run();
    expect(m.cpu.pc).toBe(0xb04);
    expect(m.cpu.epcr).toBe(PROG + 16);
    const n = exec([...A.li(4, 0xffffffff), A.addi(5, 4, 1)]);
    expect(n.cpu.pc).toBe(PROG + 16);
    const d = machine([A.ori(3, 0, SR.SM | SR.OVE), A.mtspr(0, 3, SPR.SR), A.div(5, 4, 0), HALT]);
    d.run();
    expect(d.cpu.pc).toBe(0xb04);
  });
  it('EVBAR relocates vectors', () => {
    const m = machine([...A.li(3, 0x10000), A.mtspr(0, 3, SPR.EVBAR), A.sys(0), HALT]);
    m.ram.write32(0x10c00, HALT);
    m.run();
    expect(m.cpu.pc).toBe(0x10c04);
  });
  it('user mode: l.mfspr, l.mtspr and l.rfe are illegal', () => {
    for (const insn of [A.mfspr(3, 0, 0), A.mtspr(0, 3, 0x11), A.rfe()]) {
      const m = machine([A.ori(3, 0, 0), A.mtspr(0, 3, SPR.SR), insn, HALT]);
      m.run();
      expect(m.cpu.pc).toBe(0x704);
      expect(m.cpu.sr & SR.SM).toBe(SR.SM);
      expect(m.cpu.esr & SR.SM).toBe(0);
    }
  });
});

describe('SPRs', () => {
  it('configuration registers of qemu -cpu any; unknown SPRs read 0', () => {
    const m = exec([0, 1, 2, 3, 4, 5, 6, 9, 10, 0x80, 0x81, 0x1234].map((n, i) => A.mfspr(i + 2, 0, n)));
    expect(Array.from(m.cpu.gpr.slice(2, 14)).map(u)).toEqual([0x13000040, 0x719, 0x98af, 0x1c, 0x1c, 0, 0, 0, 0x01030000, 0, 1, 0]);
  });
  it('SPR number is rA | K', () => {
    const m = exec([A.ori(4, 0, 0x5000), A.ori(5, 0, 0x1234), A.mtspr(4, 5, 0x1), A.mfspr(3, 0, SPR.TTCR)]);
    expect(u(m.cpu.gpr[3]!) - 0x1234).toBeLessThan(4);
  });
  it('shadow GPRs: 0x420.. is storage, 0x400.. aliases the live registers', () => {
    const m = exec([A.ori(4, 0, 0x77), A.mtspr(0, 4, 0x424), A.ori(4, 0, 1), A.mfspr(5, 0, 0x424), A.mfspr(6, 0, 0x404), A.ori(7, 0, 9), A.mtspr(0, 7, 0x408)]);
    expect([m.cpu.gpr[5], m.cpu.gpr[6], m.cpu.gpr[8]]).toEqual([0x77, 1, 9]);
  });
  it('SR writes force FO; FPCSR keeps 12 bits; NPC reads the current pc', () => {
    const m = exec([A.ori(3, 0, SR.SM), A.mtspr(0, 3, SPR.SR), A.mfspr(4, 0, SPR.SR), ...A.li(5, 0xffffffff), A.mtspr(0, 5, SPR.FPCSR), A.mfspr(6, 0, SPR.FPCSR), A.mfspr(7, 0, SPR.NPC)]);
    expect(m.cpu.gpr[4]).toBe(SR.SM | SR.FO);
    expect(m.cpu.gpr[6]).toBe(0xfff);
    expect(u(m.cpu.gpr[7]!)).toBe(PROG + 4 * 7);
  });
  it('reset state: PC 0x100, SR 0x8001', () => {
    const m = machine([]);
    m.cpu.reset();
    expect([m.cpu.pc, m.cpu.sr]).toEqual([0x100, 0x8001]);
  });
});

describe('stop reasons', () => {
  it('l.nop 1 halts with r3, l.nop 4 reports a byte, both resumable', () => {
    const m = machine([A.ori(3, 0, 0x41), A.nop(4), A.ori(3, 0, 3), A.nop(1), A.ori(3, 0, 5)]);
    expect(m.run()).toBe(StopReason.PUTC);
    expect(m.cpu.putcByte).toBe(0x41);
    expect(m.run()).toBe(StopReason.HALT);
    expect(m.cpu.exitCode).toBe(3);
    m.cpu.nopHooks = false;
    expect(m.cpu.run(1)).toBe(StopReason.BUDGET);
    expect(m.cpu.gpr[3]).toBe(5);
  });
  it('linuxUserMode: l.sys returns SYSCALL past the l.sys; other exceptions stop with EXCEPTION', () => {
    const m = machine([A.ori(11, 0, 93), A.sys(1), 0xfc000000]);
    m.cpu.sr = SR.FO;
    m.cpu.linuxUserMode = true;
    expect(m.run()).toBe(StopReason.SYSCALL);
    expect(m.cpu.pc).toBe(PROG + 8);
    expect(m.run()).toBe(StopReason.EXCEPTION);
    expect(m.cpu.stopVector).toBe(0x700);
    expect(m.cpu.pc).toBe(PROG + 8);
  });
  it('requestStop() from a device ends run() with STOP_REQUESTED', () => {
    const m = machine([...A.li(4, 0x96000000), A.sw(4, 4, 0), A.ori(3, 0, 1), HALT]);
    m.bus.map(0x96000000, 8, { read: () => 0, write: () => m.cpu.requestStop() }, 'syscon');
    expect(m.run()).toBe(StopReason.STOP_REQUESTED);
    expect(m.cpu.pc).toBe(PROG + 12);
  });
});
