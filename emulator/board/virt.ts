/**
 * The or1k `virt` board: the ONE place that knows physical addresses, region
 * sizes and interrupt lines. Mirrors QEMU's hw/openrisc/virt.c so a stock
 * `virt_defconfig` kernel boots unchanged and QEMU stays a reference.
 *
 * `VIRT_DEVICES` is the board table: the machine's composition tree, its bus
 * mappings and IRQ wiring, and the device tree all come from it (each device
 * type writes its own node from its row's values), so they cannot drift
 * apart. A new board device is its own file plus one row here; a new device
 * users may add with --device is its own file plus one entry in
 * `VIRT_USER_DEVICES`.
 */
import { writeFdt } from '../fdt/fdt-writer.ts';
import type { QemuFdt } from '../fdt/qemu-fdt.ts';
import { ETHOC_REGION_SIZE, TYPE_ETHOC } from '../devices/ethoc.ts';
import { TYPE_GOLDFISH_RTC } from '../devices/goldfish-rtc.ts';
import { TYPE_SIFIVE_TEST } from '../devices/syscon.ts';
import { TYPE_NS16550A } from '../devices/uart16550.ts';
import { TYPE_VIRTIO_BLK } from '../devices/virtio-blk.ts';
import { TYPE_VIRTIO_MMIO } from '../devices/virtio-mmio.ts';
import { TYPE_VIRTIO_NET } from '../devices/virtio-net.ts';
import type { QObject } from '../qom/object.ts';
import type { TypeInfo } from '../qom/registry.ts';
import { machineClass, TYPE_MACHINE, type BoardDevice } from './board.ts';
import { composeMachine } from './compose.ts';
import { addMemoryCpuPic, buildDeviceTree, rngSeedBytes } from './devicetree.ts';

/** CPU and tick-timer clock (DT clock-frequency), also the UART input clock. */
const CLOCK_HZ = 20_000_000;
const VIRTIO = { base: 0x9700_0000, stride: 0x1000, size: 0x1000, count: 8, firstIrq: 4 } as const;

/** The board table (QEMU's virt_memmap and IRQ numbers), in QEMU's creation order. */
export const VIRT_DEVICES: readonly BoardDevice[] = [
  { name: 'serial', type: TYPE_NS16550A, base: 0x9000_0000, size: 0x100, irq: 2, props: { 'clock-frequency': CLOCK_HZ, alias: 'uart0' } },
  { name: 'syscon', type: TYPE_SIFIVE_TEST, base: 0x9600_0000, size: 0x8 },
  { name: 'rtc', type: TYPE_GOLDFISH_RTC, base: 0x9600_5000, size: 0x1000, irq: 3 },
  // QEMU's gpex PCI window at 0x9e000000 is left out: the guest kernel has no PCI.
  ...Array.from({ length: VIRTIO.count }, (_, n): BoardDevice => ({
    name: `virtio-mmio.${n}`,
    type: TYPE_VIRTIO_MMIO,
    base: VIRTIO.base + VIRTIO.stride * n,
    size: VIRTIO.size,
    irq: VIRTIO.firstIrq + n,
    props: { slot: n },
  })),
];

/**
 * Places for sys-bus devices users may add with --device (QEMU's virt has no
 * ethoc; these spots are free in its map): ethoc at or1k-sim's address,
 * 0x92000000 (0x800: registers and descriptors), on IRQ 20 (virtio takes
 * 4–11, QEMU's PCI 13–16).
 */
export const VIRT_USER_SYSBUS: readonly BoardDevice[] = [
  { name: 'ethoc', type: TYPE_ETHOC, base: 0x9200_0000, size: ETHOC_REGION_SIZE, irq: 20 },
];

/** Types users may add with --device. */
export const VIRT_USER_DEVICES: readonly TypeInfo[] = [TYPE_VIRTIO_BLK, TYPE_VIRTIO_NET];

export const VIRT = {
  ram: { base: 0x0000_0000, defaultBytes: 128 * 1024 * 1024 },
  clockHz: CLOCK_HZ,
  /** Reset PC; QEMU's KERNEL_LOAD_ADDR fallback for vmlinux (entry is a VA). */
  resetPc: 0x100,
} as const;

/**
 * The board's own part of the device tree, in the order of QEMU 7.2's
 * openrisc_create_fdt (libfdt places each new node and property first, see
 * QemuFdt): root, /soc, memory, cpus, pic, chosen, aliases. The devices then
 * add theirs, in table order.
 */
function virtFdt(machine: QObject, fdt: QemuFdt): void {
  fdt.setpropString('/', 'compatible', 'opencores,or1ksim');
  fdt.setpropCells('/', '#address-cells', 1);
  fdt.setpropCells('/', '#size-cells', 1);

  fdt.addSubnode('/soc');
  fdt.setpropFlag('/soc', 'ranges');
  fdt.setpropString('/soc', 'compatible', 'simple-bus');
  fdt.setpropCells('/soc', '#address-cells', 1);
  fdt.setpropCells('/soc', '#size-cells', 1);

  addMemoryCpuPic(machine, fdt, VIRT.ram.base);

  fdt.addSubnode('/chosen');
  fdt.setpropString('/chosen', 'bootargs', machine.getString('append') ?? '');
  // QEMU fills rng-seed from its generator; ours derives 32 bytes from a number, so boots are reproducible.
  if (machine.has('rng-seed')) fdt.setprop('/chosen', 'rng-seed', rngSeedBytes(machine.getNumber('rng-seed')));

  fdt.addSubnode('/aliases');
}

export const TYPE_VIRT_MACHINE: TypeInfo = {
  name: 'virt-machine',
  parent: TYPE_MACHINE,
  description: 'OpenRISC virt board (QEMU hw/openrisc/virt.c layout)',
  classInit: (klass) => {
    const mc = machineClass(klass);
    mc.devices = VIRT_DEVICES;
    mc.userDevices = VIRT_USER_DEVICES;
    mc.userSysbus = VIRT_USER_SYSBUS;
    mc.fdt = virtFdt;
  },
};

/** Page-aligned (8 KiB, or1k TARGET_PAGE_SIZE) address after `end` — where QEMU puts the DTB. */
export function dtbAddressAfter(end: number): number {
  const page = 0x2000;
  return Math.ceil(end / page) * page;
}

export interface VirtDtbOptions {
  memoryBytes: number;
  /** Kernel command line (/chosen/bootargs). */
  bootargs: string;
  /** Seed for /chosen/rng-seed; null omits the property. Default 1. */
  rngSeed?: number | null;
}

/** The DTB of a `virt` machine without user devices (all eight virtio slots are always in the tree). */
export function buildDtb(options: VirtDtbOptions): Uint8Array {
  const { root } = composeMachine({ board: TYPE_VIRT_MACHINE, memoryBytes: options.memoryBytes, cmdline: options.bootargs, rngSeed: options.rngSeed });
  return writeFdt(buildDeviceTree(root));
}
