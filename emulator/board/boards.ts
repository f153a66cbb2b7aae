/**
 * The boards `--machine NAME` can build (QEMU's -M names), `virt` first (the
 * default). A new board is its own file plus one entry here.
 */
import type { TypeInfo } from '../qom/registry.ts';
import { TYPE_OR1KSIM_MACHINE } from './or1k-sim.ts';
import { TYPE_VIRT_MACHINE } from './virt.ts';

export interface BoardEntry {
  readonly name: string;
  readonly type: TypeInfo;
  readonly summary: string;
}

export const BOARDS: readonly BoardEntry[] = [
  { name: 'virt', type: TYPE_VIRT_MACHINE, summary: 'QEMU or1k virt: UART, syscon power-off/reboot, goldfish RTC, 8 virtio-mmio slots (disk root); default CPU any' },
  { name: 'or1k-sim', type: TYPE_OR1KSIM_MACHINE, summary: 'QEMU or1k-sim: 4 UARTs, no disk (initrd root), l.nop 1 powers off; default CPU or1200' },
];

export const DEFAULT_BOARD = 'virt';

/** The board called `name`, or undefined. */
export function findBoard(name: string): BoardEntry | undefined {
  return BOARDS.find((b) => b.name === name);
}

/** `--machine help`. */
export function boardHelpText(): string {
  const width = Math.max(...BOARDS.map((b) => b.name.length));
  return ['Supported machines are:', ...BOARDS.map((b) => `${b.name.padEnd(width)}  ${b.summary}${b.name === DEFAULT_BOARD ? ' (default)' : ''}`)].join('\n') + '\n';
}
