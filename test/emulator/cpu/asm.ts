/**
 * The or1k encoder (emulator/cpu/asm.ts, checked against or1k-elf-as in
 * encoding.test.ts) for CPU unit tests, plus a machine harness: program at 0x2000, every
 * exception vector holds `l.nop 1` so an exception stops run() with HALT
 * and pc = vector + 4.
 */
import { Cpu, StopReason } from '../../../emulator/cpu/cpu.ts';
import { Bus } from '../../../emulator/memory/bus.ts';
import { Ram } from '../../../emulator/memory/ram.ts';

import { A } from '../../../emulator/cpu/asm.ts';

export { A };

export const PROG = 0x2000;
export const HALT = A.nop(1);

export interface TestMachine {
  cpu: Cpu;
  ram: Ram;
  bus: Bus;
  log: string[];
  /** Runs until HALT (or budget); returns the stop reason. */
  run(budget?: number): number;
}

/** A machine with `program` at 0x2000 (pc there, supervisor mode, MMUs off). */
export function machine(program: Array<number | number[]>, opts: { ramSize?: number } = {}): TestMachine {
  const ram = new Ram(opts.ramSize ?? 1 << 20);
  const log: string[] = [];
  const bus = new Bus({ ram, logger: (m) => log.push(m) });
  const cpu = new Cpu({ bus });
  for (let v = 0x200; v <= 0xe00; v += 0x100) ram.write32(v, HALT);
  const words = program.flat();
  words.forEach((w, i) => ram.write32(PROG + 4 * i, w));
  cpu.reset(PROG);
  return {
    cpu, ram, bus, log,
    run(budget = 100_000) {
      return cpu.run(budget);
    },
  };
}

/** Runs `program` + HALT and returns the CPU (throws if it did not halt). */
export function exec(program: Array<number | number[]>, setup?: (m: TestMachine) => void): TestMachine {
  const m = machine([...program, HALT]);
  setup?.(m);
  const why = m.run();
  if (why !== StopReason.HALT) throw new Error(`program did not halt (reason ${why}, pc 0x${m.cpu.pc.toString(16)})`);
  return m;
}
