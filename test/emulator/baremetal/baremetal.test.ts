/**
 * Bare-metal system tests: each src/t-*.c is built once with or1k-elf-gcc and
 * run both under qemu-system-or1k -M virt (the oracle) and on a minimal
 * machine built from the emulator's CPU, bus, RAM, UART and syscon. The UART
 * transcripts must be identical (they print SPR values, EPCR/EEAR/ESR of each
 * exception, and markers).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { compileBareMetal, makeBuildDir } from '../harness/compile.ts';
import { mapLimited } from '../harness/limit.ts';
import { runQemuSystem, type ProcResult } from '../harness/qemu.ts';
import { runBareMetal } from '../harness/test-machine.ts';

const SRC = join(import.meta.dirname, 'src');
const programs = readdirSync(SRC).filter((f) => /^t-.*\.c$/.test(f)).sort();

interface Built {
  elf: string;
  qemu: ProcResult;
}
const built = new Map<string, Built>();

beforeAll(async () => {
  const out = makeBuildDir('baremetal');
  await mapLimited(programs, 3, async (p) => {
    const elf = await compileBareMetal({ srcDir: SRC, source: p, outDir: out });
    const qemu = await runQemuSystem(elf);
    built.set(p, { elf, qemu });
  });
});

describe('bare-metal programs: emulator vs qemu-system-or1k', () => {
  it('found the test programs', () => {
    expect(programs.length).toBeGreaterThan(5);
  });

  for (const p of programs) {
    it(p, () => {
      const b = built.get(p)!;
      // The oracle itself must have finished cleanly through the syscon.
      expect(b.qemu.timedOut, `qemu timed out on ${p}; output:\n${b.qemu.stdout.toString('latin1')}`).toBe(false);
      expect(b.qemu.status).toBe(0);
      const want = b.qemu.stdout.toString('latin1').replace(/\r\n/g, '\n');
      expect(want).toMatch(/done\n$/);
      const got = runBareMetal(readFileSync(b.elf));
      expect(got.output).toBe(want);
      expect(got.end).toBe('poweroff');
    });
  }
});
