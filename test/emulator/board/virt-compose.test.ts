import { describe, expect, it } from 'vitest';
import { checkBoardTable, composeVirt } from '../../../emulator/board/virt-compose.ts';
import { createVirtRegistry } from '../../../emulator/board/virt-types.ts';
import { printTree } from '../../../emulator/qom/qtree.ts';

const disk = { size: 16 << 20, readOnly: false };

describe('virt composition tree', () => {
  it('puts the first disk on slot 7 (0x97007000, IRQ 11) and a second on slot 6', () => {
    const m = composeVirt({ drives: { hd0: disk, hd1: disk }, devices: ['virtio-blk-device,drive=hd0', 'virtio-blk-device,drive=hd1,serial=two'] });
    expect(m.virtio.map((v) => v.slot)).toEqual([7, 6]);
    expect(m.slots[7]!.get('mmio')).toBe(0x97007000);
    expect(m.slots[7]!.get('irq')).toBe(11);
    expect(m.slots[6]!.get('irq')).toBe(10);
    expect(m.virtio[0]!.device.getLink('drive')!.path()).toBe('/machine/drives/hd0');
    expect(m.virtio[1]!.device.path()).toBe('/machine/sysbus/virtio-mmio.6/device');
  });

  it('honours bus=virtio-mmio-bus.N and reports a clash', () => {
    const m = composeVirt({ drives: { hd0: disk }, devices: ['virtio-blk-device,drive=hd0,bus=virtio-mmio-bus.2'] });
    expect(m.virtio[0]!.slot).toBe(2);
    expect(() => composeVirt({ drives: { hd0: disk, hd1: disk }, devices: ['virtio-blk-device,drive=hd0', 'virtio-blk-device,drive=hd1,bus=virtio-mmio-bus.7'] }))
      .toThrow(expect.objectContaining({ code: 'slot-clash', message: expect.stringContaining('virtio-mmio-bus.7 already holds virtio-blk-device') }));
    expect(() => composeVirt({ drives: { hd0: disk }, devices: ['virtio-blk-device,drive=hd0,bus=virtio-mmio-bus.9'] }))
      .toThrow(expect.objectContaining({ code: 'bad-property-value' }));
  });

  it('fails clearly on a missing or unknown drive, a drive used twice, and a full bus', () => {
    expect(() => composeVirt({ devices: ['virtio-blk-device'] })).toThrow(expect.objectContaining({ code: 'missing-property', message: "--device 'virtio-blk-device': virtio-blk-device needs drive=" }));
    expect(() => composeVirt({ drives: { hd0: disk }, devices: ['virtio-blk-device,drive=hd9'] }))
      .toThrow(expect.objectContaining({ code: 'missing-drive', hint: 'known drives: hd0' }));
    expect(() => composeVirt({ drives: { hd0: disk }, devices: ['virtio-blk-device,drive=hd0', 'virtio-blk-device,drive=hd0'] }))
      .toThrow(expect.objectContaining({ code: 'drive-in-use' }));
    const drives = Object.fromEntries(Array.from({ length: 9 }, (_, i) => [`d${i}`, disk]));
    expect(() => composeVirt({ drives, devices: Array.from({ length: 9 }, (_, i) => `virtio-blk-device,drive=d${i}`) }))
      .toThrow(expect.objectContaining({ code: 'no-free-slot' }));
    expect(() => composeVirt({ devices: ['virtio-blk-devcie,drive=hd0'] })).toThrow(expect.objectContaining({ code: 'unknown-type', message: expect.stringContaining("did you mean 'virtio-blk-device'") }));
    expect(() => composeVirt({ devices: ['ns16550a'] })).toThrow(expect.objectContaining({ code: 'not-user-creatable' }));
    expect(() => composeVirt({ drives: { hd0: disk }, devices: ['virtio-blk-device,drive=hd0,id=a', 'virtio-blk-device,drive=hd0,id=a'] })).toThrow(expect.objectContaining({ code: 'duplicate-id' }));
    expect(() => composeVirt({ memoryBytes: 1000 })).toThrow(expect.objectContaining({ code: 'bad-property-value' }));
  });

  it('detects IRQ and region clashes in a board table', () => {
    expect(() => checkBoardTable([{ name: 'a', base: 0x1000, size: 0x100, irq: 2 }, { name: 'b', base: 0x2000, size: 0x100, irq: 2 }]))
      .toThrow(expect.objectContaining({ code: 'irq-clash', message: 'board: b and a both use IRQ 2' }));
    expect(() => checkBoardTable([{ name: 'a', base: 0x1000, size: 0x1001 }, { name: 'b', base: 0x2000, size: 0x100 }]))
      .toThrow(expect.objectContaining({ code: 'region-clash' }));
  });

  it('prints the whole tree with every property (for --print-machine)', () => {
    const m = composeVirt({ cmdline: 'console=ttyS0', rtcEpochSeconds: 1700000000, drives: { hd0: disk }, devices: ['virtio-blk-device,drive=hd0'] });
    const text = printTree(m.root);
    expect(text).toContain('/machine (virt-machine)');
    expect(text).toContain('memory = 134217728 (128M)');
    expect(text).toContain('append = "console=ttyS0"');
    expect(text).toMatch(/\/machine\/sysbus\/serial \(ns16550a\)\n\s+clock-frequency = 20000000 \(0x1312d00\)\n\s+chardev = "serial0"\n\s+mmio = 0x90000000/);
    expect(text).toContain('epoch = 1700000000');
    expect(text).toMatch(/\/machine\/sysbus\/virtio-mmio.7\/device \(virtio-blk-device\)\n\s+drive = "hd0"/);
    expect(text).toMatch(/\/machine\/drives\/hd0 \(drive\)\n\s+size = 16777216 \(16M\)/);
  });

  it('documents every type for --device help', () => {
    const r = createVirtRegistry();
    expect(r.listTypes()).toMatch(/Devices you can add[^\n]*\n  name "virtio-blk-device", bus virtio-bus, desc "virtio block device/);
    const help = r.describeType('virtio-blk-device');
    expect(help).toMatch(/drive=<link<drive>> +- id of the disk image backend to use \(required\)/);
    expect(help).toMatch(/serial=<string> +- .*default: ""/);
  });
});
