import { describe, expect, it } from 'vitest';
import { OR1KSIM_DEVICES } from '../../../emulator/board/or1k-sim.ts';
import { boardRegistry, checkBoardTable } from '../../../emulator/board/board.ts';
import { composeMachine, type ComposeOptions } from '../../../emulator/board/compose.ts';
import { TYPE_VIRT_MACHINE, VIRT_DEVICES } from '../../../emulator/board/virt.ts';
import { printTree } from '../../../emulator/qom/qtree.ts';
import { TypeRegistry } from '../../../emulator/qom/registry.ts';

const disk = { size: 16 << 20, readOnly: false };
const compose = (options: Omit<ComposeOptions, 'board'> = {}) => composeMachine({ board: TYPE_VIRT_MACHINE, ...options });

describe('machine composition from the board table', () => {
  it("creates one child per board-table row, with the row's region, IRQ and properties", () => {
    const { root } = compose();
    const sysbus = root.children.get('sysbus')!;
    expect([...sysbus.children.keys()]).toEqual(VIRT_DEVICES.map((d) => d.name));
    for (const row of VIRT_DEVICES) {
      const dev = sysbus.children.get(row.name)!;
      expect(dev.typeName).toBe(row.type.name);
      expect(dev.get('mmio')).toBe(row.base);
      expect(dev.get('mmio-size')).toBe(row.size);
      expect(dev.has('irq') ? dev.get('irq') : undefined).toBe(row.irq);
    }
    expect(sysbus.children.get('virtio-mmio.7')!.get('mmio')).toBe(0x97007000);
    expect(sysbus.children.get('virtio-mmio.7')!.get('irq')).toBe(11);
  });

  it('puts the first disk on slot 7 (0x97007000, IRQ 11) and a second on slot 6, newest bus first as QEMU', () => {
    const { root } = compose({ drives: { hd0: disk, hd1: disk }, devices: ['virtio-blk-device,drive=hd0', 'virtio-blk-device,drive=hd1,serial=two'] });
    const blk = [...root.walk()].filter((o) => o.typeName === 'virtio-blk-device');
    expect(blk.map((d) => d.path())).toEqual(['/machine/sysbus/virtio-mmio.6/device', '/machine/sysbus/virtio-mmio.7/device']);
    const first = blk.find((d) => d.getString('drive') === 'hd0')!;
    expect(first.path()).toBe('/machine/sysbus/virtio-mmio.7/device');
    expect(first.getLink('drive')!.path()).toBe('/machine/drives/hd0');
  });

  it('honours bus=virtio-mmio-bus.N and reports a full or unknown bus', () => {
    const { root } = compose({ drives: { hd0: disk }, devices: ['virtio-blk-device,drive=hd0,bus=virtio-mmio-bus.2'] });
    expect(root.children.get('sysbus')!.children.get('virtio-mmio.2')!.children.get('device')!.typeName).toBe('virtio-blk-device');
    expect(() => compose({ drives: { hd0: disk, hd1: disk }, devices: ['virtio-blk-device,drive=hd0', 'virtio-blk-device,drive=hd1,bus=virtio-mmio-bus.7'] }))
      .toThrow(expect.objectContaining({ code: 'bus-full', message: expect.stringContaining('virtio-mmio-bus.7 already holds virtio-blk-device') }));
    expect(() => compose({ drives: { hd0: disk }, devices: ['virtio-blk-device,drive=hd0,bus=virtio-mmio-bus.9'] }))
      .toThrow(expect.objectContaining({ code: 'bad-property-value', hint: expect.stringContaining('virtio-mmio-bus.0') }));
  });

  it('fails clearly on a missing or unknown link target, an exclusive target used twice, and a full bus', () => {
    expect(() => compose({ devices: ['virtio-blk-device'] })).toThrow(expect.objectContaining({ code: 'missing-property', message: "--device 'virtio-blk-device': virtio-blk-device needs drive=" }));
    expect(() => compose({ drives: { hd0: disk }, devices: ['virtio-blk-device,drive=hd9'] }))
      .toThrow(expect.objectContaining({ code: 'missing-link-target', message: "--device 'virtio-blk-device,drive=hd9': no drive with id 'hd9'", hint: 'known drives: hd0' }));
    expect(() => compose({ drives: { hd0: disk }, devices: ['virtio-blk-device,drive=hd0', 'virtio-blk-device,drive=hd0'] }))
      .toThrow(expect.objectContaining({ code: 'link-in-use', message: expect.stringContaining("drive 'hd0' is already used by /machine/sysbus/virtio-mmio.7/device") }));
    const drives = Object.fromEntries(Array.from({ length: 9 }, (_, i) => [`d${i}`, disk]));
    expect(() => compose({ drives, devices: Array.from({ length: 9 }, (_, i) => `virtio-blk-device,drive=d${i}`) }))
      .toThrow(expect.objectContaining({ code: 'no-free-bus' }));
    expect(() => compose({ devices: ['virtio-blk-devcie,drive=hd0'] })).toThrow(expect.objectContaining({ code: 'unknown-type', message: expect.stringContaining("did you mean 'virtio-blk-device'") }));
    expect(() => compose({ devices: ['ns16550a'] })).toThrow(expect.objectContaining({ code: 'not-user-creatable' }));
    expect(() => compose({ drives: { hd0: disk }, devices: ['virtio-blk-device,drive=hd0,id=a', 'virtio-blk-device,drive=hd0,id=a'] })).toThrow(expect.objectContaining({ code: 'duplicate-id' }));
    expect(() => compose({ memoryBytes: 1000 })).toThrow(expect.objectContaining({ code: 'bad-property-value' }));
    expect(() => compose({ memoryBytes: 0x9000_2000 })).toThrow(expect.objectContaining({ message: expect.stringContaining('below 0x90000000') }));
  });

  it('detects IRQ and region clashes in a board table', () => {
    expect(() => checkBoardTable([{ name: 'a', base: 0x1000, size: 0x100, irq: 2 }, { name: 'b', base: 0x2000, size: 0x100, irq: 2 }]))
      .toThrow(expect.objectContaining({ code: 'irq-clash', message: 'board: b and a both use IRQ 2' }));
    expect(() => checkBoardTable([{ name: 'a', base: 0x1000, size: 0x1001 }, { name: 'b', base: 0x2000, size: 0x100 }]))
      .toThrow(expect.objectContaining({ code: 'region-clash' }));
    expect(() => checkBoardTable(VIRT_DEVICES)).not.toThrow();
    // Rows that both declare the line shared may use it (or1k-sim's UARTs); one undeclared row still clashes.
    expect(() => checkBoardTable([{ name: 'a', base: 0x1000, size: 0x100, irq: 2, sharedIrq: true }, { name: 'b', base: 0x1100, size: 0x100, irq: 2, sharedIrq: true }])).not.toThrow();
    expect(() => checkBoardTable([{ name: 'a', base: 0x1000, size: 0x100, irq: 2, sharedIrq: true }, { name: 'b', base: 0x2000, size: 0x100, irq: 2 }]))
      .toThrow(expect.objectContaining({ code: 'irq-clash' }));
    expect(() => checkBoardTable(OR1KSIM_DEVICES)).not.toThrow();
  });

  it('prints the whole tree with every property, child<> and link<> included (for --print-machine)', () => {
    const { root } = compose({ cmdline: 'console=ttyS0', rtcEpochSeconds: 1700000000, drives: { hd0: disk }, devices: ['virtio-blk-device,drive=hd0'] });
    const text = printTree(root);
    expect(text).toContain('/machine (virt-machine)');
    expect(text).toContain('memory = 134217728 (128M)');
    expect(text).toContain('append = "console=ttyS0"');
    expect(text).toContain('rtc-base = 1700000000');
    expect(text).toMatch(/\n {2}cpu = child<or1k-cpu>\n {2}sysbus = child<container>\n {2}drives = child<container>\n/);
    expect(text).toMatch(/\/machine\/sysbus\/serial \(ns16550a\)\n\s+clock-frequency = 20000000 \(0x1312d00\)\n\s+chardev = "serial0"\n\s+alias = "uart0"\n\s+mmio = 0x90000000/);
    expect(text).toMatch(/\/machine\/sysbus\/virtio-mmio.7 \(virtio-mmio\)\n(\s+.*\n)*?\s+device = child<virtio-blk-device>\n/);
    expect(text).toMatch(/\/machine\/sysbus\/virtio-mmio.7\/device \(virtio-blk-device\)\n\s+drive = "hd0" \(link<drive> \/machine\/drives\/hd0\)/);
    expect(text).toMatch(/\/machine\/drives\/hd0 \(drive\)\n\s+size = 16777216 \(16M\)/);
  });

  it('documents every type for --device help', () => {
    const r = boardRegistry(TYPE_VIRT_MACHINE, new TypeRegistry());
    expect(r.listTypes()).toMatch(/Devices you can add[^\n]*\n  name "ethoc", bus System, desc "OpenCores[^\n]*\n  name "virtio-blk-device", bus virtio-bus, desc "virtio block device/);
    expect(r.listTypes()).toContain('name "ns16550a", bus System');
    const help = r.describeType('virtio-blk-device');
    expect(help).toMatch(/drive=<link<drive>> +- id of the disk image backend to use \(required\)/);
    expect(help).toMatch(/serial=<string> +- .*default: ""/);
  });
});
