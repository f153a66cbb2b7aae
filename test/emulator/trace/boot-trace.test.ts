/**
 * The start of the Linux boot, instruction by instruction, against QEMU 7.2.
 *
 * The reference is made at test time from the kernel under test (the guest
 * cache's vmlinux): `qemu-system-or1k -seed 1 -M virt -cpu any -m 128
 * -singlestep -d cpu,nochain,int`, started paused so that the reset PC, r3
 * and the DTB at r3 can be read first, then stopped once it has logged
 * INSTRUCTIONS instructions (qemu-trace.ts; a block that QEMU enters twice
 * because its main loop interrupted it, at host-dependent moments, counts
 * once). Nothing here knows the kernel's version, layout or instruction
 * counts: the checkpoints come from the trace.
 *
 * Our side: the same vmlinux loaded at its physical addresses, QEMU's DTB
 * bytes at QEMU's address in r3, the reset PC, and a bare bus (RAM only;
 * nothing touches MMIO this early).
 *
 * Checkpoints, found in the reference:
 * - the end of head.S with the MMU off: the last instruction before the
 *   first exception (the first TLB miss once the MMU is on);
 * - the first timer read: the first `l.mfspr` of TTCR, the instruction
 *   word taken from vmlinux at the logged PC and the SPR number from the
 *   logged registers. QEMU's TTCR follows the host clock, so values
 *   derived from it differ between any two runs.
 * PC and all GPRs must match before every instruction up to the first timer
 * read; after it, the PC stream and every exception, to the end of the log.
 */
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { Cpu } from '../../../emulator/cpu/cpu.ts';
import { SPR } from '../../../emulator/cpu/spr.ts';
import { loadKernelElf } from '../../../emulator/elf.ts';
import { createMachine } from '../../../emulator/machine.ts';
import { Bus } from '../../../emulator/memory/bus.ts';
import { Ram } from '../../../emulator/memory/ram.ts';
import { guestVar } from '../../../src/guest/vars.ts';
import { compareTrace, elfInsnReader, firstSprRead, type TraceEntry } from './boot-trace.ts';
import { DEFAULT_APPEND, recordQemuBootTrace, type QemuBootTrace } from './qemu-trace.ts';

/** Logged instructions to compare: QEMU logs 300k in about 4 s on a 2-core machine, our side steps them in about 1 s. */
const INSTRUCTIONS = 300_000;
const MEMORY_MIB = 128;

function bootCpu(kernel: Uint8Array, ref: QemuBootTrace): Cpu {
  const ram = new Ram(MEMORY_MIB << 20);
  const log: string[] = [];
  const bus = new Bus({ ram, logger: (m) => log.push(m) });
  const cpu = new Cpu({ bus });
  const elf = loadKernelElf(kernel, ram);
  expect(elf.end).toBeLessThanOrEqual(ref.dtbAddr);
  ram.writeBytes(ref.dtbAddr, ref.dtb);
  cpu.reset(ref.resetPc);
  cpu.gpr[3] = ref.dtbAddr;
  cpu.nopHooks = false; // QEMU treats every l.nop as a no-op
  return cpu;
}

describe(`boot trace vs QEMU (first ${INSTRUCTIONS} instructions, reference recorded now)`, () => {
  let kernel: Uint8Array;
  let ref: QemuBootTrace;
  let entries: TraceEntry[];
  /** Index of the last instruction before the first exception. */
  let mmuOffEnd: number;
  /** Index of the first instruction that reads TTCR. */
  let firstTtcrRead: number;

  beforeAll(async () => {
    // MKROOTFS_TEST_KERNEL: trace another vmlinux than the guest cache's (e.g. while the guest is being rebuilt).
    const path = process.env.MKROOTFS_TEST_KERNEL ?? await guestVar('kernel');
    kernel = new Uint8Array(readFileSync(path));
    ref = await recordQemuBootTrace({ kernel: path, instructions: INSTRUCTIONS, memoryMiB: MEMORY_MIB });
    entries = ref.entries;
    const firstInt = entries.findIndex((e) => e.kind === 'int');
    const before = entries.slice(0, firstInt < 0 ? 0 : firstInt).filter((e) => e.kind === 'pc');
    mmuOffEnd = before.length - 1;
    // No TTCR read in the window (the first test fails then): every register is compared.
    firstTtcrRead = firstSprRead(entries, elfInsnReader(kernel), SPR.TTCR) ?? INSTRUCTIONS;
  });

  it('QEMU logged the boot: every line understood, the reset state, a TLB miss, then a TTCR read', () => {
    expect(ref.unparsedCount, `unparsed lines, e.g. ${JSON.stringify(ref.unparsed)}`).toBe(0);
    expect(ref.instructions).toBe(INSTRUCTIONS);
    const first = entries[0]!;
    expect(first.kind === 'pc' && first.pc).toBe(ref.resetPc);
    expect(first.kind === 'pc' && first.changes.find(([r]) => r === 3)?.[1]).toBe(ref.dtbAddr);
    const firstInt = entries.find((e) => e.kind === 'int');
    expect(firstInt?.kind === 'int' && firstInt.name).toMatch(/^[ID]TLBMISS/);
    expect(mmuOffEnd).toBeGreaterThan(0);
    expect(firstTtcrRead).toBeGreaterThan(mmuOffEnd);
    expect(firstTtcrRead).toBeLessThan(INSTRUCTIONS);
    // Enough of the boot after the first timer read for the PC stream to mean something.
    expect(INSTRUCTIONS - firstTtcrRead).toBeGreaterThan(INSTRUCTIONS / 10);
  });

  it('our virt board starts this kernel where QEMU does: reset PC, and r3 = the DTB address', () => {
    const m = createMachine({ kernel, memoryBytes: MEMORY_MIB << 20, cmdline: DEFAULT_APPEND });
    expect({ pc: m.cpu.pc, r3: m.cpu.gpr[3], dtb: m.dtbAddress }).toEqual({ pc: ref.resetPc, r3: ref.dtbAddr, dtb: ref.dtbAddr });
  });

  it('head.S with the MMU off matches exactly (PC and all GPRs)', () => {
    const cpu = bootCpu(kernel, ref);
    const upTo = entries.findIndex((e) => e.kind === 'int');
    expect(upTo).toBeGreaterThan(0);
    const res = compareTrace(cpu, entries.slice(0, upTo), firstTtcrRead + 1);
    expect(res.mismatch).toBeUndefined();
    expect(res.matched).toBe(mmuOffEnd + 1);
  });

  it('every logged instruction and exception matches: registers exactly up to the first TTCR read, then the PC stream', () => {
    const cpu = bootCpu(kernel, ref);
    const res = compareTrace(cpu, entries, firstTtcrRead + 1);
    expect(res.mismatch).toBeUndefined();
    expect(res.matched).toBe(INSTRUCTIONS);
    expect(res.exceptions).toBe(entries.filter((e) => e.kind === 'int').length);
  });
});
