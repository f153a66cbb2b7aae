/**
 * Generates the `virt` device tree from the board table (virt.ts), mirroring
 * the blob QEMU 7.2 hands the guest (reference/or1k-virt.dts): same nodes,
 * compatible strings, properties and order.
 *
 * Differences, on purpose:
 * - /soc/pci@9e000000 is omitted: the guest kernel is built without PCI and
 *   nothing else refers to the node.
 * - /chosen/rng-seed is derived from the `rngSeed` number (deterministic,
 *   32 bytes), not from QEMU's generator; `rngSeed: null` leaves it out.
 * All eight virtio-mmio slots are always present (as in QEMU); an empty slot
 * reads DeviceID 0 and Linux skips it, so a second disk needs no DT change.
 */
import { FdtNode, u32Cells } from '../fdt/fdt-node.ts';
import { writeFdt } from '../fdt/fdt-writer.ts';
import { VIRT, virtioSlot } from './virt.ts';

export interface DeviceTreeOptions {
  memoryBytes: number;
  /** Kernel command line (/chosen/bootargs). */
  bootargs: string;
  /** Seed for /chosen/rng-seed; null omits the property. Default 1. */
  rngSeed?: number | null;
}

export function buildDeviceTree(options: DeviceTreeOptions): FdtNode {
  const root = new FdtNode('');
  root.cells('interrupt-parent', VIRT.phandle.pic);
  root.cells('#size-cells', 1);
  root.cells('#address-cells', 1);
  root.string('compatible', 'opencores,or1ksim');

  const uartName = `serial@${hex(VIRT.uart.base)}`;
  root.child(uartName)
    .flag('big-endian')
    .cells('clock-frequency', VIRT.clockHz)
    .cells('interrupts', VIRT.uart.irq)
    .cells('reg', VIRT.uart.base, VIRT.uart.size)
    .string('compatible', 'ns16550a');

  root.child('aliases').string('uart0', `/${uartName}`);

  const chosen = root.child('chosen');
  chosen.string('stdout-path', `/${uartName}`);
  const seed = options.rngSeed === undefined ? 1 : options.rngSeed;
  if (seed !== null) chosen.prop('rng-seed', rngSeedBytes(seed));
  chosen.string('bootargs', options.bootargs);

  root.child('pic')
    .cells('phandle', VIRT.phandle.pic)
    .flag('interrupt-controller')
    .cells('#interrupt-cells', 1)
    .string('compatible', 'opencores,or1k-pic-level');

  const cpus = root.child('cpus');
  cpus.cells('#address-cells', 1);
  cpus.cells('#size-cells', 0);
  cpus.child('cpu@0')
    .cells('clock-frequency', VIRT.clockHz)
    .cells('reg', 0)
    .string('compatible', 'opencores,or1200-rtlsvn481');

  root.child(`memory@${hex(VIRT.ram.base)}`)
    .string('device_type', 'memory')
    .cells('reg', VIRT.ram.base, options.memoryBytes);

  const soc = root.child('soc');
  soc.cells('#size-cells', 1);
  soc.cells('#address-cells', 1);
  soc.string('compatible', 'simple-bus');
  soc.flag('ranges');
  for (let n = VIRT.virtio.count - 1; n >= 0; n--) {
    const slot = virtioSlot(n);
    soc.child(`virtio_mmio@${hex(slot.base)}`)
      .cells('interrupts', slot.irq)
      .cells('reg', slot.base, slot.size)
      .string('compatible', 'virtio,mmio');
  }
  soc.child(`rtc@${hex(VIRT.rtc.base)}`)
    .cells('interrupts', VIRT.rtc.irq)
    .cells('reg', VIRT.rtc.base, VIRT.rtc.size)
    .string('compatible', 'google,goldfish-rtc');
  soc.child('poweroff')
    .cells('value', 0x5555)
    .cells('offset', 0)
    .cells('regmap', VIRT.phandle.syscon)
    .string('compatible', 'syscon-poweroff');
  soc.child('reboot')
    .cells('value', 0x7777)
    .cells('offset', 0)
    .cells('regmap', VIRT.phandle.syscon)
    .string('compatible', 'syscon-reboot');
  soc.child(`test@${hex(VIRT.syscon.base)}`)
    .flag('big-endian')
    .cells('phandle', VIRT.phandle.syscon)
    .cells('reg', VIRT.syscon.base, VIRT.syscon.size)
    .string('compatible', 'syscon');
  return root;
}

/** The DTB bytes for the board. */
export function buildDtb(options: DeviceTreeOptions): Uint8Array {
  return writeFdt(buildDeviceTree(options));
}

/** 32 deterministic bytes from a seed (splitmix32 stream). */
export function rngSeedBytes(seed: number): Uint8Array {
  let state = seed >>> 0;
  const words: number[] = [];
  for (let i = 0; i < 8; i++) {
    state = (state + 0x9e3779b9) >>> 0;
    let z = state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    words.push((z ^ (z >>> 16)) >>> 0);
  }
  return u32Cells(words);
}

function hex(v: number): string {
  return (v >>> 0).toString(16);
}
