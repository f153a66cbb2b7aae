/**
 * A level-triggered interrupt line that several devices drive (or1k-sim's four
 * UARTs all use PIC line 2): the line is high while any input is high, as a
 * wired-OR. Each device gets its own input, so one device lowering its
 * request never hides another's. (QEMU 7.2 connects the four UARTs to one
 * qemu_irq, where the last write wins; Linux only enables interrupts on the
 * UARTs it opens, so both behave the same for it.)
 */
import type { IrqLine } from '../device.ts';

export class SharedIrq {
  private high = 0;

  constructor(private readonly out: IrqLine) {}

  /** A new input of this line (called at realize, never on the hot path). */
  input(): IrqLine {
    let level = false;
    return {
      set: (l: boolean) => {
        if (l === level) return;
        level = l;
        this.high += l ? 1 : -1;
        this.out.set(this.high > 0);
      },
    };
  }
}
