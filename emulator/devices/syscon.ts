/**
 * The `virt` board's test/finisher device (QEMU hw/misc/sifive_test.c), which
 * Linux drives through syscon-poweroff / syscon-reboot. Registers are native
 * (big-endian) 32-bit; reads return 0. A write to offset 0 whose low 16 bits
 * are 0x5555 powers off (exit 0), 0x7777 resets, 0x3333 fails with the code in
 * bits 31:16 (QEMU exits with status (code << 1) | 1). Other values are
 * ignored. The machine learns of it through the `onFinish` callback.
 */
import type { Device, FinishEvent, MmioHandler } from '../device.ts';
import { deviceClass, deviceClassSetParentRealize, TYPE_SYS_BUS_DEVICE, sysbusFdtNode } from '../qom/qdev.ts';
import type { TypeInfo } from '../qom/registry.ts';

export type { FinishEvent } from '../device.ts';

export const FINISHER = { FAIL: 0x3333, PASS: 0x5555, RESET: 0x7777 } as const;

export type FinishKind = FinishEvent['kind'];

export class Syscon implements MmioHandler, Device {
  constructor(private readonly onFinish: (event: FinishEvent) => void) {}

  reset(): void {
    // No state: every write acts at once.
  }

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

/**
 * QOM type `sifive_test`: realize routes finisher writes to the machine's
 * shutdown request; nodes as QEMU's openrisc_virt_test_init (the syscon, then
 * syscon-reboot and syscon-poweroff pointing at it).
 */
export const TYPE_SIFIVE_TEST: TypeInfo = {
  name: 'sifive_test',
  parent: TYPE_SYS_BUS_DEVICE,
  description: 'test/finisher: poweroff 0x5555, reboot 0x7777, fail 0x3333',
  classInit: (klass) => {
    deviceClassSetParentRealize(klass, (dev, ctx, parentRealize) => {
      dev.instance = new Syscon((event) => ctx.requestShutdown(event));
      parentRealize(dev, ctx);
    });
    deviceClass(klass).fdt = (dev, fdt) => {
      const phandle = fdt.allocPhandle();
      const node = sysbusFdtNode(dev, fdt, '/soc/test', 'syscon', { irq: false });
      fdt.setpropCells(node, 'phandle', phandle);
      fdt.setpropFlag(node, 'big-endian');
      for (const [name, value] of [['reboot', FINISHER.RESET], ['poweroff', FINISHER.PASS]] as const) {
        fdt.addSubnode(`/soc/${name}`);
        fdt.setpropString(`/soc/${name}`, 'compatible', `syscon-${name}`);
        fdt.setpropCells(`/soc/${name}`, 'regmap', phandle);
        fdt.setpropCells(`/soc/${name}`, 'offset', 0);
        fdt.setpropCells(`/soc/${name}`, 'value', value);
      }
    };
  },
};
