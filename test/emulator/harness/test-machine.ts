/**
 * A minimal or1k test machine for bare-metal programs, assembled from the
 * emulator's own parts: CPU + bus + 32 MiB RAM, the 16550 UART at 0x90000000
 * on PIC line 2 and the syscon finisher at 0x96000000 (the addresses and IRQ
 * of QEMU's virt board, so the same ELF runs under qemu-system-or1k).
 */
import { Cpu, StopReason } from '../../../emulator/cpu/cpu.ts';
import { BufferCharBackend } from '../../../emulator/devices/char-backend.ts';
import { Syscon, type FinishEvent } from '../../../emulator/devices/syscon.ts';
import { Uart16550 } from '../../../emulator/devices/uart16550.ts';
import { loadKernelElf } from '../../../emulator/elf.ts';
import { Bus } from '../../../emulator/memory/bus.ts';
import { Ram } from '../../../emulator/memory/ram.ts';

export interface BareMetalResult {
  output: string;
  /** 'poweroff' etc. from the syscon, or 'budget' when the instruction budget ran out, 'halt' on l.nop 1. */
  end: FinishEvent['kind'] | 'budget' | 'halt' | 'doze';
  instret: number;
  busLog: string[];
}

export function runBareMetal(elf: Uint8Array, opts: { maxInstructions?: number } = {}): BareMetalResult {
  const ram = new Ram(32 << 20);
  const busLog: string[] = [];
  const bus = new Bus({ ram, logger: (m) => busLog.push(m) });
  const cpu = new Cpu({ bus });
  cpu.nopHooks = false; // QEMU treats every l.nop as a no-op
  const serial = new BufferCharBackend();
  const uart = new Uart16550({ irq: cpu.picLine(2), backend: serial, clock: cpu.clock });
  bus.map(0x90000000, 0x100, uart, 'uart');
  let finish: FinishEvent | undefined;
  bus.map(0x96000000, 0x1000, new Syscon((e) => {
    finish = e;
    cpu.requestStop();
  }), 'syscon');
  const loaded = loadKernelElf(elf, ram);
  cpu.reset(loaded.entry);
  const max = opts.maxInstructions ?? 50_000_000;
  let end: BareMetalResult['end'] = 'budget';
  while (cpu.instret < max) {
    const why = cpu.run(Math.min(1_000_000, max - cpu.instret));
    if (why === StopReason.STOP_REQUESTED && finish) {
      end = finish.kind;
      break;
    }
    if (why === StopReason.HALT) {
      end = 'halt';
      break;
    }
    if (why === StopReason.DOZE) {
      const next = cpu.nextEventTick();
      if (next === Infinity) {
        end = 'doze';
        break;
      }
      cpu.advanceTicks(Math.max(1, next - cpu.ticks));
    }
  }
  return { output: serial.text(), end, instret: cpu.instret, busLog };
}
