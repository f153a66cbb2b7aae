/**
 * The device types of the `virt` board, registered by name with their
 * property schemas (what `--device help` and `--device TYPE,help` show), and
 * the hierarchy QEMU uses: device → sys-bus-device → {ns16550a, goldfish-rtc,
 * sifive_test, virtio-mmio}; device → virtio-device → virtio-blk-device.
 * Only virtio-blk-device is user-creatable; the rest is the fixed board.
 * Board-assigned facts (MMIO base, IRQ, slot) are dynamic, read-only
 * properties added when a device is plugged (see machine.ts).
 */
import { TypeRegistry } from '../qom/registry.ts';
import { VIRT } from './virt.ts';

export const TYPE = {
  MACHINE: 'virt-machine',
  CONTAINER: 'container',
  DEVICE: 'device',
  SYS_BUS_DEVICE: 'sys-bus-device',
  VIRTIO_DEVICE: 'virtio-device',
  CPU: 'or1k-cpu',
  UART: 'ns16550a',
  RTC: 'goldfish-rtc',
  SYSCON: 'sifive_test',
  VIRTIO_MMIO: 'virtio-mmio',
  VIRTIO_BLK: 'virtio-blk-device',
  DRIVE: 'drive',
} as const;

export function createVirtRegistry(): TypeRegistry {
  const r = new TypeRegistry();
  r.register({ name: TYPE.CONTAINER, description: 'a node of the composition tree that only holds children' });
  r.register({
    name: TYPE.MACHINE,
    description: 'OpenRISC virt board (QEMU hw/openrisc/virt.c layout)',
    properties: [
      { name: 'memory', type: 'size', default: VIRT.ram.defaultBytes, description: 'RAM size at physical address 0' },
      { name: 'append', type: 'string', default: '', description: 'kernel command line (/chosen/bootargs)' },
      { name: 'rng-seed', type: 'uint32', default: 1, description: 'seed of the deterministic /chosen/rng-seed bytes' },
      { name: 'dtb-address', type: 'uint32', readOnly: true, hex: true, description: 'where the device tree blob was placed (r3)' },
      { name: 'kernel-end', type: 'uint32', readOnly: true, hex: true, description: 'end of the highest loaded ELF segment' },
    ],
  });
  r.register({ name: TYPE.DEVICE, abstract: true, description: 'any device' });
  r.register({ name: TYPE.SYS_BUS_DEVICE, parent: TYPE.DEVICE, abstract: true, description: 'a device on the system bus (MMIO region, IRQ line)' });
  r.register({ name: TYPE.VIRTIO_DEVICE, parent: TYPE.DEVICE, abstract: true, description: 'a virtio device (plugs into a virtio-mmio transport)' });
  r.register({
    name: TYPE.CPU,
    parent: TYPE.DEVICE,
    description: 'OpenRISC 1000 CPU (-cpu any: VR 0x13000040, AVR 1.3) with PIC and tick timer',
    properties: [{ name: 'clock-frequency', type: 'uint32', default: VIRT.clockHz, readOnly: true, description: 'CPU and tick-timer clock in Hz' }],
  });
  r.register({
    name: TYPE.UART,
    parent: TYPE.SYS_BUS_DEVICE,
    description: '16550A UART (console, ttyS0)',
    properties: [
      { name: 'clock-frequency', type: 'uint32', default: VIRT.clockHz, readOnly: true, description: 'UART input clock in Hz' },
      { name: 'chardev', type: 'string', default: 'serial0', description: 'host character backend it talks to' },
    ],
  });
  r.register({
    name: TYPE.RTC,
    parent: TYPE.SYS_BUS_DEVICE,
    description: 'Goldfish real-time clock',
    properties: [{ name: 'epoch', type: 'uint64', default: 0, description: 'wall-clock time at reset, seconds since 1970 (e.g. SOURCE_DATE_EPOCH)' }],
  });
  r.register({ name: TYPE.SYSCON, parent: TYPE.SYS_BUS_DEVICE, description: 'test/finisher: poweroff 0x5555, reboot 0x7777, fail 0x3333' });
  r.register({
    name: TYPE.VIRTIO_MMIO,
    parent: TYPE.SYS_BUS_DEVICE,
    description: 'virtio-mmio transport, version 2 (empty slots read DeviceID 0)',
    properties: [{ name: 'slot', type: 'uint32', readOnly: true, description: 'slot number 0..7 (bus virtio-mmio-bus.N)' }],
  });
  r.register({
    name: TYPE.VIRTIO_BLK,
    parent: TYPE.VIRTIO_DEVICE,
    userCreatable: true,
    description: 'virtio block device (first one is /dev/vda)',
    properties: [
      { name: 'drive', type: 'link', linkType: TYPE.DRIVE, required: true, description: 'id of the disk image backend to use' },
      { name: 'serial', type: 'string', default: '', description: 'serial number reported by GET_ID (20 bytes max)' },
      { name: 'read-only', type: 'bool', default: false, description: 'refuse guest writes (offers VIRTIO_BLK_F_RO)' },
      { name: 'bus', type: 'string', description: 'virtio-mmio-bus.N to plug into (default: the highest free slot, 7 first)' },
    ],
  });
  r.register({
    name: TYPE.DRIVE,
    description: 'a disk image backend supplied by the host',
    properties: [
      { name: 'size', type: 'size', readOnly: true, description: 'size in bytes' },
      { name: 'read-only', type: 'bool', readOnly: true, description: 'the backend refuses writes' },
    ],
  });
  return r;
}
