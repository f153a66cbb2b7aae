/**
 * The device model's promise: a new device is one file (fixtures/toy-timer.ts)
 * plus one row in a board table. Here the row goes into a board subtype whose
 * class_init extends the virt table it inherited; the machine then maps the
 * device, wires its IRQ, puts its node in the device tree, polls it for its
 * timer, resets it on a reboot and prints it — with no change anywhere else.
 */
import { describe, expect, it } from 'vitest';
import { machineClass } from '../../../emulator/board/board.ts';
import { TYPE_VIRT_MACHINE, VIRT_DEVICES } from '../../../emulator/board/virt.ts';
import { createMachine } from '../../../emulator/machine.ts';
import { realizedInstance } from '../../../emulator/qom/qdev.ts';
import type { TypeInfo } from '../../../emulator/qom/registry.ts';
import { dtcDecompile } from '../fdt/dtc.ts';
import { TYPE_TOY_TIMER, type ToyTimer } from './fixtures/toy-timer.ts';
import { spinElf } from '../../helpers/or1k-elf.ts';

const TYPE_VIRT_PLUS: TypeInfo = {
  name: 'virt-plus',
  parent: TYPE_VIRT_MACHINE,
  description: 'virt with a toy timer',
  classInit: (klass) => {
    const mc = machineClass(klass);
    mc.devices = [...mc.devices, { name: 'toy', type: TYPE_TOY_TIMER, base: 0x9600_6000, size: 0x1000, irq: 12 }];
  },
};

describe('adding a device: one file plus one table row', () => {
  it('the machine builds, maps, wires, describes, polls and resets a device it has never heard of', () => {
    const m = createMachine({ kernel: spinElf(), memoryBytes: 16 << 20, board: TYPE_VIRT_PLUS });
    const toy = realizedInstance<ToyTimer>(m.qom('/machine/sysbus/toy'), 'toy-timer');
    // Mapped at its row's address, after the virt devices it inherited.
    expect(m.bus.regionAt(0x9600_6000)?.name).toBe('/machine/sysbus/toy');
    expect(m.bus.regions.map((r) => r.name).slice(0, -1)).toEqual(VIRT_DEVICES.map((d) => `/machine/sysbus/${d.name}`));
    // Its own device-tree node, from its row's values.
    expect(dtcDecompile(m.dtb)).toMatch(/toy@96006000 \{\s+interrupts = <0x0c>;\s+reg = <0x96006000 0x1000>;\s+compatible = "test,toy-timer";/);
    // The run loop stops at its event and polls it: the interrupt reaches the PIC (line 12).
    m.bus.write(0x9600_6000, 4, 50_000);
    expect(m.nextEventNs()).toBeLessThanOrEqual(m.nowNs() + 50_000);
    m.run(10_000);
    expect(toy.polls).toBeGreaterThan(0);
    expect(m.bus.read(0x9600_6000, 4)).toBe(1);
    expect((m.cpu.picsr >>> 12) & 1).toBe(1);
    // A reboot resets it with every other device.
    const before = toy.resets;
    m.reset();
    expect(toy.resets).toBe(before + 1);
    expect(m.bus.read(0x9600_6000, 4)).toBe(0);
    expect(m.printTree()).toMatch(/toy = child<toy-timer>[\s\S]*\/machine\/sysbus\/toy \(toy-timer\)\n\s+compatible = "test,toy-timer"\n\s+mmio = 0x96006000/);
  });

  it('its row is checked with the rest of the table', () => {
    const clash: TypeInfo = {
      name: 'virt-clash',
      parent: TYPE_VIRT_MACHINE,
      description: 'a toy on the RTC IRQ',
      classInit: (klass) => {
        const mc = machineClass(klass);
        mc.devices = [...mc.devices, { name: 'toy', type: TYPE_TOY_TIMER, base: 0x9600_6000, size: 0x1000, irq: 3 }];
      },
    };
    expect(() => createMachine({ kernel: spinElf(), board: clash })).toThrow(expect.objectContaining({ code: 'irq-clash', message: 'board: toy and rtc both use IRQ 3' }));
  });
});
