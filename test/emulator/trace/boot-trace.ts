/**
 * Compares our CPU against a per-instruction reference trace of the same
 * boot (recorded from QEMU at test time by qemu-trace.ts): one `pc` entry per
 * logged instruction, whose register changes are the results of the previous
 * instruction, and an `int` entry where QEMU took an exception.
 *
 * Our side steps the CPU one event at a time (`cpu.step()`), so an exception
 * taken on an instruction *fetch* (ITLB miss / insn page fault: QEMU logs no
 * line for that PC) is matched against the INT entry by one extra step.
 */
import type { Cpu } from '../../../emulator/cpu/cpu.ts';
import { parseElf } from '../../../emulator/elf.ts';
import { VECTOR_NAMES } from '../../../emulator/cpu/spr.ts';

export type TraceEntry =
  | { kind: 'pc'; insn: number; pc: number; changes: Array<[number, number]> }
  /** QEMU's name of the exception, e.g. "DTLBMISS (data tlb miss)". */
  | { kind: 'int'; name: string };

/**
 * The instruction word at `pc` in a kernel ELF, `pc` being either a virtual
 * (MMU on) or a physical (MMU off) address inside a PT_LOAD segment's file
 * bytes; undefined elsewhere.
 */
export function elfInsnReader(elf: Uint8Array): (pc: number) => number | undefined {
  const { segments } = parseElf(elf);
  const dv = new DataView(elf.buffer, elf.byteOffset, elf.byteLength);
  return (pc) => {
    for (const s of segments) {
      for (const base of [s.vaddr, s.paddr]) {
        const off = (pc - base) >>> 0;
        if (off < s.filesz && off + 4 <= s.filesz) return dv.getUint32(s.offset + off);
      }
    }
    return undefined;
  };
}

/**
 * The instruction index of the first `l.mfspr` in the reference that reads
 * SPR `spr` (rA | K, with rA as the reference has it), or undefined.
 */
export function firstSprRead(entries: TraceEntry[], insnAt: (pc: number) => number | undefined, spr: number): number | undefined {
  const regs = new Uint32Array(32);
  for (const e of entries) {
    if (e.kind !== 'pc') continue;
    for (const [r, v] of e.changes) regs[r] = v;
    const insn = insnAt(e.pc);
    if (insn === undefined || insn >>> 26 !== 0x2d) continue;
    if (((regs[(insn >>> 16) & 31]! | (insn & 0xffff)) >>> 0) === spr) return e.insn;
  }
  return undefined;
}

export interface TraceMismatch {
  /** Instruction index of the reference line where we diverged. */
  insn: number;
  message: string;
}

export interface TraceResult {
  /** Reference PC lines matched. */
  matched: number;
  exceptions: number;
  mismatch: TraceMismatch | undefined;
}

const hex = (v: number) => (v >>> 0).toString(16).padStart(8, '0');

/**
 * Walks the reference: PC and all GPRs must match before every instruction
 * with index < `exactUntil`; after it only the PC stream (and exceptions).
 * Stops at the first mismatch.
 */
export function compareTrace(cpu: Cpu, entries: TraceEntry[], exactUntil: number): TraceResult {
  const expected = new Uint32Array(32);
  let matched = 0;
  let exceptions = 0;
  let pendingInt: string | undefined;
  let lastPc = 0;
  let lastInsn = 0;
  const name = (v: number) => VECTOR_NAMES[v] ?? `vector 0x${v.toString(16)}`;
  // QEMU's names and ours agree on the first word ("DTLBMISS (data tlb miss)",
  // but plain "SYSCALL"), except for QEMU's spelling "DFP" of the data page fault.
  const same = (qemu: string, ours: string) => {
    const q = qemu.split(' ')[0]!;
    return (q === 'DFP' ? 'DPF' : q) === ours.split(' ')[0];
  };
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i]!;
    if (e.kind === 'int') {
      if (pendingInt === undefined) {
        // An exception on the next fetch: QEMU logged no line for it.
        const before = cpu.exceptionCount;
        cpu.step();
        if (cpu.exceptionCount === before) {
          return { matched, exceptions, mismatch: { insn: lastInsn, message: `QEMU took "${e.name}" after pc ${hex(lastPc)}, we did not (now at pc ${hex(cpu.pc)})` } };
        }
        pendingInt = name(cpu.lastVector);
      }
      if (!same(e.name, pendingInt)) {
        return { matched, exceptions, mismatch: { insn: lastInsn, message: `exception after pc ${hex(lastPc)}: QEMU "${e.name}", ours "${pendingInt}"` } };
      }
      pendingInt = undefined;
      exceptions++;
      continue;
    }
    for (const [reg, value] of e.changes) expected[reg] = value;
    if (pendingInt !== undefined) {
      return { matched, exceptions, mismatch: { insn: e.insn, message: `we took "${pendingInt}" at pc ${hex(lastPc)}, QEMU did not` } };
    }
    if (cpu.pc !== e.pc) {
      return { matched, exceptions, mismatch: { insn: e.insn, message: `pc: QEMU ${hex(e.pc)}, ours ${hex(cpu.pc)} (previous pc ${hex(lastPc)})` } };
    }
    if (e.insn < exactUntil) {
      for (let r = 0; r < 32; r++) {
        if ((cpu.gpr[r]! >>> 0) !== expected[r]) {
          return { matched, exceptions, mismatch: { insn: e.insn, message: `r${r} before pc ${hex(e.pc)}: QEMU ${hex(expected[r]!)}, ours ${hex(cpu.gpr[r]!)} (previous pc ${hex(lastPc)})` } };
        }
      }
    } else {
      // Past the first TTCR read registers may legitimately differ: follow ours.
      for (let r = 0; r < 32; r++) expected[r] = cpu.gpr[r]! >>> 0;
    }
    matched++;
    lastPc = e.pc;
    lastInsn = e.insn;
    if (i === entries.length - 1) break;
    const before = cpu.exceptionCount;
    cpu.step();
    if (cpu.exceptionCount !== before) pendingInt = name(cpu.lastVector);
  }
  return { matched, exceptions, mismatch: undefined };
}
