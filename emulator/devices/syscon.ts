/**
 * The `virt` board's test/finisher device (QEMU hw/misc/sifive_test.c), which
 * Linux drives through syscon-poweroff / syscon-reboot. Registers are native
 * (big-endian) 32-bit; reads return 0. A write to offset 0 whose low 16 bits
 * are 0x5555 powers off (exit 0), 0x7777 resets, 0x3333 fails with the code in
 * bits 31:16 (QEMU exits with status (code << 1) | 1). Other values are
 * ignored. The machine learns of it through the `onFinish` callback.
 */
import type { MmioHandler } from '../device.ts';

export const FINISHER = { FAIL: 0x3333, PASS: 0x5555, RESET: 0x7777 } as const;

export type FinishKind = 'poweroff' | 'reboot' | 'fail';

export interface FinishEvent {
  kind: FinishKind;
  /** Code from bits 31:16 (fail only; 0 otherwise). */
  code: number;
  /** The exit status QEMU would use: 0 for poweroff/reboot, (code << 1) | 1 for fail. */
  exitStatus: number;
}

export class Syscon implements MmioHandler {
  constructor(private readonly onFinish: (event: FinishEvent) => void) {}

  read(_offset: number, _size: 1 | 2 | 4): number {
    return 0;
  }

  write(offset: number, size: 1 | 2 | 4, value: number): void {
    if (offset !== 0 || size === 1) return;
    // A 2-byte store to offset 0 carries the status in its low bits already.
    const v = value >>> 0;
    const status = v & 0xffff;
    const code = size === 4 ? v >>> 16 : 0;
    if (status === FINISHER.PASS) this.onFinish({ kind: 'poweroff', code: 0, exitStatus: 0 });
    else if (status === FINISHER.RESET) this.onFinish({ kind: 'reboot', code: 0, exitStatus: 0 });
    else if (status === FINISHER.FAIL) this.onFinish({ kind: 'fail', code, exitStatus: ((code << 1) | 1) & 0xff });
  }
}
