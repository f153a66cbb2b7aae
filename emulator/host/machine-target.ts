/**
 * Builds the or1k `virt` machine for a boot from host-side pieces (kernel
 * bytes, a disk backend, a console sink) and adapts it to the runner's
 * RunTarget. The machine itself (CPU, devices, board, device tree) is
 * emulator/machine.ts; this file only connects it to the host.
 */
import type { RunTarget } from './runner.ts';
import type { FileDisk } from './file-disk.ts';

export interface BootMachineConfig {
  /** The kernel (or bare-metal program) ELF file's bytes. */
  kernel: Uint8Array;
  append: string;
  memoryBytes: number;
  /** The root disk (virtio-blk); absent for a bare-kernel boot. */
  disk?: FileDisk;
  /** Receives every byte the guest writes to the serial console. */
  consoleOut: (bytes: Uint8Array) => void;
  /** Extra `--device TYPE,prop=value` specs. */
  devices: string[];
}

export interface BootMachine {
  target: RunTarget;
  /** The composition tree and memory map, for `--print-machine`. */
  describe(): string;
}

/** Error raised for configuration problems found before the guest starts. */
export class MachineConfigError extends Error {
  readonly hint: string | undefined;
  constructor(message: string, hint?: string) {
    super(message);
    this.name = 'MachineConfigError';
    this.hint = hint;
  }
}

export function createBootMachine(cfg: BootMachineConfig): BootMachine {
  void cfg;
  throw new MachineConfigError('the or1k machine (emulator/machine.ts) is not available in this build',
    'the emulator core is still being written; use qemu-system-or1k -M virt meanwhile');
}

/** Text for `--device help` (spec 'help') or `--device TYPE,help`. */
export function deviceHelp(type: string | undefined): string {
  void type;
  throw new MachineConfigError('the device registry (emulator/qom) is not available in this build');
}
