/** QemuLogParser on hand-written `-d cpu,int` logs: register deltas, exceptions, chunking, limit, stray lines. */
import { describe, expect, it } from 'vitest';
import { QemuLogParser } from './qemu-trace.ts';

/** One `-d cpu` block as QEMU 7.2 prints it for or1k. */
function block(pc: number, regs: Record<number, number> = {}): string {
  const hex = (v: number) => (v >>> 0).toString(16).padStart(8, '0');
  let s = `PC=${hex(pc)}\n`;
  for (let line = 0; line < 8; line++) {
    const cells: string[] = [];
    for (let i = 0; i < 4; i++) {
      const r = line * 4 + i;
      cells.push(`R${String(r).padStart(2, '0')}=${hex(regs[r] ?? 0)}`);
    }
    s += cells.join(' ') + '\n';
  }
  return s;
}

const LOG = block(0x100, { 3: 0x720000 })
  + block(0x104, { 3: 0x720000, 15: 0xc06d0000 })
  + 'CPU: 0 INT: DTLBMISS (data tlb miss)\n'
  + block(0x900, { 3: 0x720000, 15: 0xc06d0000 })
  + block(0x904, { 3: 0x720000, 15: 0xc06d0000, 31: 0xffffffff });

const EXPECTED = [
  { kind: 'pc', insn: 0, pc: 0x100, changes: Array.from({ length: 32 }, (_, r) => [r, r === 3 ? 0x720000 : 0]) },
  { kind: 'pc', insn: 1, pc: 0x104, changes: [[15, 0xc06d0000]] },
  { kind: 'int', name: 'DTLBMISS (data tlb miss)' },
  { kind: 'pc', insn: 2, pc: 0x900, changes: [] },
  { kind: 'pc', insn: 3, pc: 0x904, changes: [[31, 0xffffffff]] },
];

describe('QemuLogParser', () => {
  it('gives the first block all registers, later ones only the changed ones, and INT lines as exceptions', () => {
    const p = new QemuLogParser();
    p.push(LOG);
    expect(p.entries).toEqual(EXPECTED);
    expect(p.instructions).toBe(4);
    expect(p.unparsedCount).toBe(0);
  });

  it('does not care where the chunks break, nor about CRLF line ends', () => {
    const p = new QemuLogParser();
    const text = LOG.replace(/\n/g, '\r\n');
    for (let i = 0; i < text.length; i += 7) p.push(text.slice(i, i + 7));
    expect(p.entries).toEqual(EXPECTED);
  });

  it('drops a block QEMU logs twice in a row (entered, left before running it, entered again)', () => {
    const p = new QemuLogParser();
    p.push(block(0x100) + block(0x104, { 4: 1 }) + block(0x104, { 4: 1 }) + block(0x108, { 4: 1, 5: 2 }));
    expect(p.entries.map((e) => e.kind === 'pc' && [e.insn, e.pc])).toEqual([[0, 0x100], [1, 0x104], [2, 0x108]]);
    expect(p.reentries).toBe(1);
    // Not across an exception: the instruction at 0x904 faulted, the handler returned to it.
    const q = new QemuLogParser();
    q.push(block(0x904) + 'CPU: 0 INT: DTLBMISS (data tlb miss)\n' + block(0x904));
    expect(q.instructions).toBe(2);
    expect(q.reentries).toBe(0);
  });

  it('stops at the limit: reports done and ignores what follows', () => {
    const p = new QemuLogParser(2);
    expect(p.push(block(0x100) + block(0x104))).toBe(true);
    p.push(block(0x108));
    expect(p.entries.map((e) => e.kind === 'pc' && e.pc)).toEqual([0x100, 0x104]);
  });

  it('counts lines it does not understand (a block cut short ends at the first one) and keeps the first few', () => {
    const p = new QemuLogParser();
    const cut = block(0x100, { 1: 5 }).split('\n').slice(0, 4).join('\n') + '\n';
    p.push(cut + 'something else\n' + block(0x200) + 'INT: TICK (timer interrupt)\n');
    expect(p.unparsedCount).toBe(1);
    expect(p.unparsed).toEqual(['something else']);
    expect(p.entries).toEqual([
      { kind: 'pc', insn: 0, pc: 0x200, changes: Array.from({ length: 32 }, (_, r) => [r, 0]) },
      { kind: 'int', name: 'TICK (timer interrupt)' },
    ]);
  });
});
