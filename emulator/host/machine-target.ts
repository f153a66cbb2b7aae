/**
 * Builds the or1k `virt` machine for a boot from host-side pieces (kernel
 * bytes, a disk backend, a console sink) and adapts it to the runner's
 * RunTarget. The machine itself (CPU, devices, board, device tree) is
 * emulator/machine.ts; this file only connects it to the host. Configuration
 * errors surface as QomError (code, hint) before anything runs.
 */
import type { RunTarget } from './runner.ts';
import type { FileDisk } from './file-disk.ts';
import { createMachine, type Machine } from '../machine.ts';
import { findBoard } from '../board/boards.ts';
import { QomError } from '../qom/errors.ts';
import { NS_PER_TICK } from '../cpu/cpu.ts';
import type { CharBackend } from '../devices/char-backend.ts';
import type { NetBackend } from '../net/net-backend.ts';
import type { ElfFile } from '../elf.ts';

export interface BootMachineConfig {
  /** The kernel (or bare-metal program) ELF file's bytes, or the file read on demand (see host/elf-file.ts). */
  kernel: Uint8Array | ElfFile;
  append: string;
  memoryBytes: number;
  /** The root disk (virtio-blk); absent for a bare-kernel boot. */
  disk?: FileDisk;
  /** Receives every byte the guest writes to the serial console. */
  serial: CharBackend;
  /** Extra `--device TYPE,prop=value` specs. */
  devices: string[];
  /** Further drives by id (e.g. a second disk named by its file path in `drive=`). */
  drives?: Record<string, FileDisk>;
  /** RTC wall clock at reset (seconds since 1970; SOURCE_DATE_EPOCH), for reproducible boots. */
  rtcEpochSeconds?: number;
  /** Translate hot guest code (default); false interprets everything (emulator/cpu/jit/). */
  jit?: boolean;
  /** Board name (board/boards.ts; default virt). */
  machine?: string;
  /** CPU model (default: the board's). */
  cpu?: string;
  /** Initrd bytes (loaded after the kernel, named in /chosen). */
  initrd?: Uint8Array;
  /** Network backends by id, named by the NICs' `netdev=` (--nic). */
  netdevs?: Record<string, NetBackend>;
}

export interface BootMachine {
  machine: Machine;
  target: RunTarget;
  /** The composition tree and memory map, for `--print-machine`. */
  describe(): string;
}

export function createBootMachine(cfg: BootMachineConfig): BootMachine {
  const board = findBoard(cfg.machine ?? 'virt');
  if (!board) throw new QomError('unknown-type', `unknown machine '${cfg.machine}'`, { hint: 'see --machine help' });
  const machine = createMachine({
    board: board.type,
    cpu: cfg.cpu,
    initrd: cfg.initrd,
    kernel: cfg.kernel,
    cmdline: cfg.append,
    memoryBytes: cfg.memoryBytes,
    // The image is drive hd0; the first virtio-blk-device on it is /dev/vda,
    // unless the user attached hd0 to a device of their own.
    drives: { ...cfg.drives, ...(cfg.disk ? { hd0: cfg.disk } : {}) },
    devices: cfg.disk && !cfg.devices.some(usesHd0) ? ['virtio-blk-device,drive=hd0', ...cfg.devices] : cfg.devices,
    serial: cfg.serial,
    rtcEpochSeconds: cfg.rtcEpochSeconds,
    netdevs: cfg.netdevs,
  });
  if (cfg.jit === false) machine.cpu.jit = false;
  return { machine, target: machineTarget(machine), describe: () => machine.printTree() };
}

function usesHd0(spec: string): boolean {
  return /(^|,)drive=hd0(,|$)/.test(spec);
}

/** The runner's view of a machine. */
export function machineTarget(m: Machine): RunTarget {
  return {
    run(budget: number): number {
      m.run(budget);
      return m.lastRetired;
    },
    get idle() {
      return m.idle;
    },
    get halted() {
      if (m.finish) {
        const f = m.finish;
        return f.kind === 'reboot' ? { how: 'reset' as const, code: 0 } : { how: 'poweroff' as const, code: f.kind === 'fail' ? f.code || 1 : 0 };
      }
      if (m.haltCode !== undefined) return { how: 'poweroff' as const, code: m.haltCode };
      return undefined;
    },
    nowNs: () => m.nowNs(),
    nextEventNs: () => m.nextEventNs(),
    // Guest time moves in whole timer ticks: round up so a skip never falls short of its goal.
    skipTo: (ns: number) => m.skipTo(Math.ceil(ns / NS_PER_TICK) * NS_PER_TICK),
    input: (bytes: Uint8Array) => m.input(bytes),
    reset: () => m.reset(),
    setNsPerInstruction: (ns: number) => m.cpu.setTickRate(ns / NS_PER_TICK),
    waitingOnHost: () => m.waitingOnHost(),
  };
}
