/**
 * The test encoder (asm.ts) against the independent oracle or1k-elf-as
 * (binutils 2.40): every mnemonic the CPU tests use assembles to the same word.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { A } from './asm.ts';

const cases: Array<[string, number]> = [
  ['l.add r3,r4,r5', A.add(3, 4, 5)], ['l.addc r3,r4,r5', A.addc(3, 4, 5)], ['l.sub r3,r4,r5', A.sub(3, 4, 5)],
  ['l.and r1,r2,r31', A.and(1, 2, 31)], ['l.or r3,r4,r5', A.or(3, 4, 5)], ['l.xor r3,r4,r5', A.xor(3, 4, 5)],
  ['l.mul r3,r4,r5', A.mul(3, 4, 5)], ['l.muld r4,r5', A.muld(4, 5)], ['l.div r3,r4,r5', A.div(3, 4, 5)],
  ['l.divu r3,r4,r5', A.divu(3, 4, 5)], ['l.mulu r3,r4,r5', A.mulu(3, 4, 5)],
  ['l.sll r3,r4,r5', A.sll(3, 4, 5)], ['l.srl r3,r4,r5', A.srl(3, 4, 5)], ['l.sra r3,r4,r5', A.sra(3, 4, 5)],
  ['l.ror r3,r4,r5', A.ror(3, 4, 5)], ['l.exths r3,r4', A.exths(3, 4)], ['l.extbs r3,r4', A.extbs(3, 4)],
  ['l.exthz r3,r4', A.exthz(3, 4)], ['l.extbz r3,r4', A.extbz(3, 4)], ['l.extws r3,r4', A.extws(3, 4)],
  ['l.extwz r3,r4', A.extwz(3, 4)], ['l.cmov r3,r4,r5', A.cmov(3, 4, 5)], ['l.ff1 r3,r4', A.ff1(3, 4)],
  ['l.fl1 r3,r4', A.fl1(3, 4)], ['l.addi r3,r4,-2', A.addi(3, 4, -2)], ['l.addic r3,r4,7', A.addic(3, 4, 7)],
  ['l.andi r3,r4,0xffff', A.andi(3, 4, 0xffff)], ['l.ori r3,r4,0x8001', A.ori(3, 4, 0x8001)],
  ['l.xori r3,r4,-1', A.xori(3, 4, -1)], ['l.muli r3,r4,-3', A.muli(3, 4, -3)], ['l.movhi r3,0xc06d', A.movhi(3, 0xc06d)],
  ['l.slli r3,r4,31', A.slli(3, 4, 31)], ['l.srli r3,r4,1', A.srli(3, 4, 1)], ['l.srai r3,r4,7', A.srai(3, 4, 7)],
  ['l.rori r3,r4,9', A.rori(3, 4, 9)], ['l.sfeq r3,r4', A.sf(0, 3, 4)], ['l.sfne r3,r4', A.sf(1, 3, 4)],
  ['l.sfgtu r3,r4', A.sf(2, 3, 4)], ['l.sfgeu r3,r4', A.sf(3, 3, 4)], ['l.sfltu r3,r4', A.sf(4, 3, 4)],
  ['l.sfleu r3,r4', A.sf(5, 3, 4)], ['l.sfgts r3,r4', A.sf(0xa, 3, 4)], ['l.sfges r3,r4', A.sf(0xb, 3, 4)],
  ['l.sflts r3,r4', A.sf(0xc, 3, 4)], ['l.sfles r3,r4', A.sf(0xd, 3, 4)], ['l.sfeqi r3,-5', A.sfi(0, 3, -5)],
  ['l.sfgtui r3,5', A.sfi(2, 3, 5)], ['l.sflesi r3,-1', A.sfi(0xd, 3, -1)],
  ['l.lwz r3,-4(r4)', A.lwz(3, 4, -4)], ['l.lws r3,8(r4)', A.lws(3, 4, 8)], ['l.lbz r3,1(r4)', A.lbz(3, 4, 1)],
  ['l.lbs r3,2(r4)', A.lbs(3, 4, 2)], ['l.lhz r3,2(r4)', A.lhz(3, 4, 2)], ['l.lhs r3,-2(r4)', A.lhs(3, 4, -2)],
  ['l.lwa r3,0(r4)', A.lwa(3, 4, 0)], ['l.sw -4(r1),r9', A.sw(1, 9, -4)], ['l.sb 0x7ff(r3),r4', A.sb(3, 4, 0x7ff)],
  ['l.sh 2048(r3),r4', A.sh(3, 4, 2048)], ['l.swa 4(r3),r4', A.swa(3, 4, 4)],
  ['l.jr r9', A.jr(9)], ['l.jalr r11', A.jalr(11)], ['l.nop 0', A.nop(0)], ['l.nop 1', A.nop(1)],
  ['l.sys 1', A.sys(1)], ['l.trap 0', A.trap(0)], ['l.msync', A.msync()], ['l.psync', A.psync()],
  ['l.csync', A.csync()], ['l.rfe', A.rfe()], ['l.mfspr r3,r0,0x11', A.mfspr(3, 0, 0x11)],
  ['l.mtspr r0,r3,0x5001', A.mtspr(0, 3, 0x5001)], ['l.mtspr r4,r5,0x422', A.mtspr(4, 5, 0x422)],
  ['l.mac r3,r4', A.mac(3, 4)], ['l.msb r3,r4', A.msb(3, 4)], ['l.macu r3,r4', A.macu(3, 4)],
  ['l.msbu r3,r4', A.msbu(3, 4)], ['l.maci r3,-7', A.maci(3, -7)], ['l.macrc r3', A.macrc(3)],
];

describe('test encoder vs or1k-elf-as', () => {
  it('assembles every mnemonic to the same word', () => {
    const dir = mkdtempSync(join(tmpdir(), 'or1k-enc-'));
    try {
      writeFileSync(join(dir, 'a.s'), cases.map(([s]) => `  ${s}\n`).join(''));
      execFileSync('or1k-elf-as', ['-o', join(dir, 'a.o'), join(dir, 'a.s')]);
      execFileSync('or1k-elf-objcopy', ['-O', 'binary', '-j', '.text', join(dir, 'a.o'), join(dir, 'a.bin')]);
      const bin = readFileSync(join(dir, 'a.bin'));
      const got = cases.map(([s], i) => `${s} = ${bin.readUInt32BE(i * 4).toString(16)}`);
      const want = cases.map(([s, w]) => `${s} = ${w.toString(16)}`);
      expect(got).toEqual(want);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
