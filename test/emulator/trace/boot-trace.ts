/**
 * Compares our CPU against QEMU's per-instruction boot trace
 * (fixtures/qemu-boot-first300k.trace.gz, format in
 * /work/shared/reference/README.md): `idx PC changed-regs` lines, where the
 * register changes are the results of the previous instruction, and
 * `# CPU: 0 INT: <name>` lines for exceptions. After the first exception the
 * index is written `line-insn`; the instruction index is what counts.
 *
 * Our side steps the CPU one event at a time (`cpu.step()`), so an exception
 * taken on an instruction *fetch* (ITLB miss / insn page fault: QEMU logs no
 * line for that PC) is matched against the INT line by one extra step.
 */
import { gunzipSync } from 'node:zlib';
import type { Cpu } from '../../../emulator/cpu/cpu.ts';
import { VECTOR_NAMES } from '../../../emulator/cpu/spr.ts';

export type TraceEntry =
  | { kind: 'pc'; insn: number; pc: number; changes: Array<[number, number]> }
  | { kind: 'int'; name: string };

export function parseTrace(gz: Uint8Array): TraceEntry[] {
  const text = gunzipSync(gz).toString('latin1');
  const out: TraceEntry[] = [];
  for (const line of text.split('\n')) {
    if (line === '') continue;
    if (line.startsWith('#')) {
      const m = /INT: (.*)$/.exec(line);
      if (m) out.push({ kind: 'int', name: m[1]!.trim() });
      continue;
    }
    const parts = line.split(' ');
    const idx = parts[0]!;
    const dash = idx.indexOf('-');
    const insn = Number(dash >= 0 ? idx.slice(dash + 1) : idx);
    const pc = parseInt(parts[1]!, 16) >>> 0;
    const changes: Array<[number, number]> = [];
    for (let i = 2; i < parts.length; i++) {
      const p = parts[i]!;
      if (p === '') continue;
      const eq = p.indexOf('=');
      changes.push([Number(p.slice(1, eq)), parseInt(p.slice(eq + 1), 16) >>> 0]);
    }
    out.push({ kind: 'pc', insn, pc, changes });
  }
  return out;
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
      if (pendingInt !== e.name) {
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
