/**
 * Integer instructions: results and SR[CY]/SR[OV]/SR[F], including the
 * corner cases measured on QEMU 7.2 (or1k-platform.md §1.3).
 */
import { describe, expect, it } from 'vitest';
import { SR } from '../../../emulator/cpu/spr.ts';
import { A, exec } from './asm.ts';

const u = (v: number) => v >>> 0;

/** Runs `ops` with r4 = a, r5 = b; returns r3 and the flags. */
function rr(op: number[], a: number, b: number, initSr?: number) {
  const m = exec([...A.li(4, a), ...A.li(5, b), ...op], (mm) => {
    if (initSr !== undefined) mm.cpu.sr = initSr;
  });
  return { r3: u(m.cpu.gpr[3]!), cy: m.cpu.carry, ov: m.cpu.overflow, f: m.cpu.flag, cpu: m.cpu };
}

describe('add/sub and flags', () => {
  it('l.add carry and overflow', () => {
    expect(rr([A.add(3, 4, 5)], 0xffffffff, 1)).toMatchObject({ r3: 0, cy: 1, ov: 0 });
    expect(rr([A.add(3, 4, 5)], 0x7fffffff, 1)).toMatchObject({ r3: 0x80000000, cy: 0, ov: 1 });
    expect(rr([A.add(3, 4, 5)], 0x80000000, 0x80000000)).toMatchObject({ r3: 0, cy: 1, ov: 1 });
    expect(rr([A.add(3, 4, 5)], 2, 3)).toMatchObject({ r3: 5, cy: 0, ov: 0 });
  });
  it('l.addc adds the carry in', () => {
    expect(rr([A.add(6, 4, 5), A.addc(3, 0, 0)], 0xffffffff, 1)).toMatchObject({ r3: 1, cy: 0 });
    expect(rr([A.add(6, 4, 5), A.addc(3, 4, 0)], 0xffffffff, 1)).toMatchObject({ r3: 0, cy: 1 });
  });
  it('l.sub borrow and overflow', () => {
    expect(rr([A.sub(3, 4, 5)], 0, 1)).toMatchObject({ r3: 0xffffffff, cy: 1, ov: 0 });
    expect(rr([A.sub(3, 4, 5)], 0x80000000, 1)).toMatchObject({ r3: 0x7fffffff, cy: 0, ov: 1 });
    expect(rr([A.sub(3, 4, 5)], 5, 3)).toMatchObject({ r3: 2, cy: 0, ov: 0 });
  });
  it('l.addi sign-extends, l.addic adds carry', () => {
    expect(rr([A.addi(3, 4, -1)], 0, 0)).toMatchObject({ r3: 0xffffffff, cy: 0 });
    expect(rr([A.addi(3, 4, -1)], 1, 0)).toMatchObject({ r3: 0, cy: 1 });
    expect(rr([A.addi(3, 4, 1)], 0x7fffffff, 0)).toMatchObject({ r3: 0x80000000, ov: 1 });
    expect(rr([A.add(6, 4, 4), A.addic(3, 5, 10)], 0x80000000, 5)).toMatchObject({ r3: 16, cy: 0 });
  });
  it('logic ops touch no flags; andi/ori zero-extend, xori sign-extends', () => {
    expect(rr([A.add(6, 4, 4), A.andi(3, 4, 0xffff)], 0x80001234, 0)).toMatchObject({ r3: 0x1234, cy: 1, ov: 1 });
    expect(rr([A.ori(3, 4, 0x8000)], 0x10000, 0).r3).toBe(0x18000);
    expect(rr([A.xori(3, 4, -1)], 0x1234, 0).r3).toBe(0xffffedcb);
    expect(rr([A.and(3, 4, 5)], 0xff00ff00, 0x0ff00ff0).r3).toBe(0x0f000f00);
    expect(rr([A.or(3, 4, 5)], 0xff00ff00, 0x0ff00ff0).r3).toBe(0xfff0fff0);
    expect(rr([A.xor(3, 4, 5)], 0xff00ff00, 0x0ff00ff0).r3).toBe(0xf0f0f0f0);
    expect(rr([A.movhi(3, 0xc06d)], 0, 0).r3).toBe(0xc06d0000);
  });
});

describe('shifts, rotates, extensions, cmov, ff1/fl1', () => {
  it('register shifts use rB[4:0]', () => {
    expect(rr([A.sll(3, 4, 5)], 1, 33).r3).toBe(2);
    expect(rr([A.srl(3, 4, 5)], 0x80000000, 31).r3).toBe(1);
    expect(rr([A.sra(3, 4, 5)], 0x80000000, 31).r3).toBe(0xffffffff);
    expect(rr([A.ror(3, 4, 5)], 0x12345678, 8).r3).toBe(0x78123456);
    expect(rr([A.ror(3, 4, 5)], 0x12345678, 0).r3).toBe(0x12345678);
  });
  it('immediate shifts and l.rori', () => {
    expect(rr([A.slli(3, 4, 4)], 0x0fffffff, 0).r3).toBe(0xfffffff0);
    expect(rr([A.srli(3, 4, 4)], 0xf0000000, 0).r3).toBe(0x0f000000);
    expect(rr([A.srai(3, 4, 4)], 0xf0000000, 0).r3).toBe(0xff000000);
    expect(rr([A.rori(3, 4, 4)], 0x12345678, 0).r3).toBe(0x81234567);
  });
  it('l.ext*', () => {
    expect(rr([A.exths(3, 4)], 0x12348000, 0).r3).toBe(0xffff8000);
    expect(rr([A.extbs(3, 4)], 0x12345680, 0).r3).toBe(0xffffff80);
    expect(rr([A.exthz(3, 4)], 0x12348000, 0).r3).toBe(0x8000);
    expect(rr([A.extbz(3, 4)], 0x12345680, 0).r3).toBe(0x80);
    expect(rr([A.extws(3, 4)], 0x80000001, 0).r3).toBe(0x80000001);
    expect(rr([A.extwz(3, 4)], 0x80000001, 0).r3).toBe(0x80000001);
  });
  it('l.cmov selects on F', () => {
    expect(rr([A.sf(0, 4, 4), A.cmov(3, 4, 5)], 7, 9).r3).toBe(7);
    expect(rr([A.sf(1, 4, 4), A.cmov(3, 4, 5)], 7, 9).r3).toBe(9);
  });
  it('l.ff1 / l.fl1', () => {
    expect(rr([A.ff1(3, 4)], 0x50, 0).r3).toBe(5);
    expect(rr([A.fl1(3, 4)], 0x50, 0).r3).toBe(7);
    expect(rr([A.ff1(3, 4)], 0, 0).r3).toBe(0);
    expect(rr([A.fl1(3, 4)], 0, 0).r3).toBe(0);
    expect(rr([A.ff1(3, 4)], 0x80000000, 0).r3).toBe(32);
    expect(rr([A.fl1(3, 4)], 0x80000000, 0).r3).toBe(32);
  });
});

describe('multiply and divide', () => {
  it('l.mul/l.muli low word, OV on signed overflow', () => {
    expect(rr([A.mul(3, 4, 5)], 0xfffffffd, 7)).toMatchObject({ r3: u(-21), ov: 0 });
    expect(rr([A.mul(3, 4, 5)], 0x10000, 0x10000)).toMatchObject({ r3: 0, ov: 1 });
    expect(rr([A.muli(3, 4, -3)], 0x40000000, 0)).toMatchObject({ r3: 0x40000000, ov: 1 });
    expect(rr([A.muli(3, 4, -3)], 7, 0)).toMatchObject({ r3: u(-21), ov: 0 });
  });
  it('l.mulu sets CY on unsigned overflow', () => {
    expect(rr([A.mulu(3, 4, 5)], 0xffffffff, 2)).toMatchObject({ r3: 0xfffffffe, cy: 1 });
    expect(rr([A.mulu(3, 4, 5)], 0xffff, 0xffff)).toMatchObject({ r3: 0xfffe0001, cy: 0 });
  });
  it('l.div/l.divu, division by zero returns rA with OV/CY (QEMU)', () => {
    expect(rr([A.div(3, 4, 5)], u(-7), 2)).toMatchObject({ r3: u(-3), ov: 0 });
    expect(rr([A.div(3, 4, 5)], 7, 0)).toMatchObject({ r3: 7, ov: 1 });
    expect(rr([A.divu(3, 4, 5)], 0xfffffff0, 2)).toMatchObject({ r3: 0x7ffffff8, cy: 0 });
    expect(rr([A.divu(3, 4, 5)], 7, 0)).toMatchObject({ r3: 7, cy: 1 });
    expect(rr([A.div(3, 4, 5)], 0x80000000, 0xffffffff)).toMatchObject({ r3: 0x80000000, ov: 1 });
  });
  it('MAC unit: l.mac/l.msb/l.maci/l.macrc and l.muld/l.muldu', () => {
    const m = rr([A.mac(4, 5), A.mac(4, 5), A.maci(4, -1), A.mfspr(6, 0, 0x2802), A.mfspr(7, 0, 0x2801), A.macrc(3), A.mfspr(8, 0, 0x2801)], u(-3), 0x40000000);
    // 2 * (-3 * 2^30) - (-3) = -6*2^30 + 3 = 0xfffffffe_80000003
    expect(u(m.cpu.gpr[6]!)).toBe(0xfffffffe);
    expect(u(m.cpu.gpr[7]!)).toBe(0x80000003);
    expect(m.r3).toBe(0x80000003);
    expect(m.cpu.gpr[8]).toBe(0);
    const s = rr([A.msb(4, 5), A.mfspr(6, 0, 0x2802), A.mfspr(3, 0, 0x2801)], 2, 3);
    expect([u(s.cpu.gpr[6]!), s.r3]).toEqual([0xffffffff, u(-6)]);
    const mu = rr([A.macu(4, 5), A.macu(4, 5), A.mfspr(6, 0, 0x2802), A.mfspr(3, 0, 0x2801)], 0xffffffff, 0xffffffff);
    // 2 * (2^32-1)^2 = 0x1_FFFFFFFC_00000002 -> wraps to 0xFFFFFFFC_00000002 with CY
    expect([u(mu.cpu.gpr[6]!), mu.r3, mu.cy]).toEqual([0xfffffffc, 2, 1]);
    const d = rr([A.muld(4, 5), A.mfspr(6, 0, 0x2802), A.mfspr(3, 0, 0x2801)], u(-2), 3);
    expect([u(d.cpu.gpr[6]!), d.r3]).toEqual([0xffffffff, u(-6)]);
    const du = rr([A.muldu(4, 5), A.mfspr(6, 0, 0x2802), A.mfspr(3, 0, 0x2801)], u(-2), 3);
    expect([u(du.cpu.gpr[6]!), du.r3]).toEqual([2, u(-6)]);
  });
});

describe('compares', () => {
  const conds: Array<[string, number, (a: number, b: number) => boolean]> = [
    ['eq', 0, (a, b) => a === b], ['ne', 1, (a, b) => a !== b],
    ['gtu', 2, (a, b) => u(a) > u(b)], ['geu', 3, (a, b) => u(a) >= u(b)],
    ['ltu', 4, (a, b) => u(a) < u(b)], ['leu', 5, (a, b) => u(a) <= u(b)],
    ['gts', 0xa, (a, b) => (a | 0) > (b | 0)], ['ges', 0xb, (a, b) => (a | 0) >= (b | 0)],
    ['lts', 0xc, (a, b) => (a | 0) < (b | 0)], ['les', 0xd, (a, b) => (a | 0) <= (b | 0)],
  ];
  const pairs = [[1, 2], [2, 1], [5, 5], [0xffffffff, 1], [1, 0xffffffff], [0x80000000, 0x7fffffff]];
  for (const [name, cond, fn] of conds) {
    it(`l.sf${name} and l.sf${name}i`, () => {
      for (const [a, b] of pairs) {
        expect(rr([A.sf(cond, 4, 5)], a!, b!).f, `${name} ${a} ${b}`).toBe(fn(a!, b!) ? 1 : 0);
        // immediate form: b sign-extended from 16 bits
        const bi = (b! << 16) >> 16;
        expect(rr([A.sfi(cond, 4, bi)], a!, 0).f, `${name}i ${a} ${bi}`).toBe(fn(a!, bi) ? 1 : 0);
      }
    });
  }
  it('l.sfgtui compares unsigned against the sign-extended immediate (QEMU: 5 > -1 is false)', () => {
    expect(rr([A.sfi(2, 4, -1)], 5, 0).f).toBe(0);
  });
  it('SR read back composes F/CY/OV with FO set', () => {
    const m = rr([A.add(6, 4, 5), A.sf(0, 0, 0), A.mfspr(3, 0, 0x11)], 0xffffffff, 1);
    expect(m.r3).toBe(SR.FO | SR.SM | SR.F | SR.CY);
  });
});

describe('r0', () => {
  it('writes to r0 do not stick', () => {
    const m = exec([A.addi(0, 0, 5), A.or(3, 0, 0)]);
    expect(m.cpu.gpr[3]).toBe(0);
    expect(m.cpu.gpr[0]).toBe(0);
  });
  it('l.adrp: page of pc plus a page offset', () => {
    const m = exec([A.adrp(3, 2), A.adrp(4, -1)]);
    expect(u(m.cpu.gpr[3]!)).toBe(0x2000 + 2 * 0x2000);
    expect(u(m.cpu.gpr[4]!)).toBe(0);
  });
});
