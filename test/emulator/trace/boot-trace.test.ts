/**
 * The first 300,000 instructions of the Linux boot, instruction by
 * instruction, against QEMU 7.2 (`qemu-system-or1k -seed 1 -M virt -cpu any
 * -m 128 -singlestep -d cpu,nochain,int`, see fixtures/ and
 * /work/shared/reference/README.md).
 *
 * Machine: our vmlinux (from the guest cache) loaded at its physical
 * addresses, QEMU's exact DTB at 0x720000, r3 = 0x720000, PC = 0x100, and a
 * bare bus (RAM only; nothing is accessed in MMIO space this early).
 *
 * Exact PC + all GPRs up to instruction #167,888 (the first TTCR read, where
 * two QEMU runs differ too), PC stream and exceptions after it.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { Cpu } from '../../../emulator/cpu/cpu.ts';
import { loadKernelElf } from '../../../emulator/elf.ts';
import { Bus } from '../../../emulator/memory/bus.ts';
import { Ram } from '../../../emulator/memory/ram.ts';
import { guestVar } from '../../../src/guest/vars.ts';
import { compareTrace, parseTrace, type TraceEntry } from './boot-trace.ts';

const here = dirname(fileURLToPath(import.meta.url));
const DTB_ADDR = 0x720000;
const FIRST_TTCR_READ = 167_888;
/** Last instruction of head.S with the MMU off (the first ITLB miss is #117,415). */
const MMU_OFF_END = 117_414;

function bootCpu(kernel: Uint8Array): Cpu {
  const ram = new Ram(128 << 20);
  const log: string[] = [];
  const bus = new Bus({ ram, logger: (m) => log.push(m) });
  const cpu = new Cpu({ bus });
  const elf = loadKernelElf(kernel, ram);
  expect(elf.end).toBeLessThanOrEqual(DTB_ADDR);
  ram.writeBytes(DTB_ADDR, new Uint8Array(readFileSync(join(here, 'fixtures/or1k-virt.dtb'))));
  cpu.reset(0x100);
  cpu.gpr[3] = DTB_ADDR;
  cpu.nopHooks = false; // QEMU treats every l.nop as a no-op
  return cpu;
}

describe('boot trace vs QEMU (first 300k instructions)', () => {
  let kernel: Uint8Array;
  let entries: TraceEntry[];

  beforeAll(async () => {
    kernel = new Uint8Array(readFileSync(await guestVar('kernel')));
    entries = parseTrace(new Uint8Array(readFileSync(join(here, 'fixtures/qemu-boot-first300k.trace.gz'))));
  });

  it('parses the reference (299,938 logged instructions + 62 TLB-miss exceptions)', () => {
    const pcs = entries.filter((e) => e.kind === 'pc');
    expect(pcs.length).toBe(299_938);
    expect(entries.filter((e) => e.kind === 'int').length).toBe(62);
  });

  it('head.S with the MMU off matches exactly (PC and all GPRs)', () => {
    const cpu = bootCpu(kernel);
    const upTo = entries.findIndex((e) => e.kind === 'pc' && e.insn > MMU_OFF_END);
    const res = compareTrace(cpu, entries.slice(0, upTo), FIRST_TTCR_READ);
    expect(res.mismatch).toBeUndefined();
    expect(res.matched).toBe(MMU_OFF_END + 1);
  });

  it('all 300k instructions match: registers exact to the first TTCR read, then the PC stream', () => {
    const cpu = bootCpu(kernel);
    const res = compareTrace(cpu, entries, FIRST_TTCR_READ);
    expect(res.mismatch).toBeUndefined();
    expect(res.matched).toBe(299_938);
    expect(res.exceptions).toBe(62);
  });
});
