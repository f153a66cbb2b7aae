/**
 * The or1k `or1k-sim` board: the ONE place that knows its addresses and
 * interrupt lines. Mirrors QEMU 7.2's hw/openrisc/openrisc_sim.c (with the
 * 7.2.16 stable fix Debian's 7.2.22 carries: serial0 is the UART at
 * 0x90000000, aliases serial0..3), the machine of the OpenRISC Linux how-to:
 * `qemu-system-or1k -M or1k-sim -cpu or1200 -kernel vmlinux -initrd FILE`
 * with a `make ARCH=openrisc defconfig` (or1ksim_defconfig) kernel.
 *
 * - RAM at 0, four ns16550a UARTs at 0x90000000 + 0x100·n, all on PIC line 2
 *   (wired-OR here, see shared-irq.ts); the first is the console (serial0).
 * - No virtio, RTC, syscon or reset device: the root file system arrives as
 *   an initrd, and power-off is `l.nop 1` (Linux's default_power_off on a
 *   board with no power-off driver), which ends the run like a power-off.
 *   A guest reboot executes `l.nop 13`, which QEMU ignores, and then hangs
 *   ("Reboot failed -- System halted"); so does this board.
 * - The CPU is QEMU's default for it, or1200 (`--cpu any` for the 1.3 model).
 * - The device tree is QEMU's, node for node: nodes at the root (no /soc),
 *   /chosen/bootargs always present (empty without --append), no rng-seed.
 */
import type { QemuFdt } from '../fdt/qemu-fdt.ts';
import { TYPE_NS16550A } from '../devices/uart16550.ts';
import { CONSOLE_CHARDEV } from '../devices/char-backend.ts';
import type { QObject } from '../qom/object.ts';
import type { TypeInfo } from '../qom/registry.ts';
import { machineClass, TYPE_MACHINE, type BoardDevice } from './board.ts';
import { addMemoryCpuPic } from './devicetree.ts';
import { TYPE_ETHOC } from '../devices/ethoc.ts';

/** CPU and tick-timer clock (DT clock-frequency), also the UARTs' input clock (QEMU OR1KSIM_CLK_MHZ). */
const CLOCK_HZ = 20_000_000;
const UART = { base: 0x9000_0000, stride: 0x100, size: 0x100, count: 4, irq: 2 } as const;

/**
 * The ethoc (OpenCores 10/100 MAC) slot, QEMU's OR1KSIM_ETHOC: regs at
 * 0x92000000, buffer descriptors at +0x400, DT reg size 0x800, IRQ 4. QEMU
 * creates it only when a NIC is configured (it adds a user NIC by default; it
 * is absent with `-nic none`). Here likewise: `--nic` (whose default model on
 * this board is ethoc) or `--device ethoc` puts the MAC in this slot, and a
 * boot without a NIC has none. (QEMU creates it before the UARTs, so in its
 * tree the ethoc node comes after theirs; ours, added after the board's
 * devices, comes before them: the same nodes and properties.)
 */
export const OR1KSIM_ETHOC = { base: 0x9200_0000, size: 0x800, irq: 4 } as const;

/** The board's place for a user-added sys-bus device: the ethoc slot. */
export const OR1KSIM_USER_SYSBUS: readonly BoardDevice[] = [
  { name: 'ethoc', type: TYPE_ETHOC, base: OR1KSIM_ETHOC.base, size: OR1KSIM_ETHOC.size, irq: OR1KSIM_ETHOC.irq },
];

/**
 * The board table (QEMU's or1ksim_memmap and IRQ numbers), in QEMU's creation
 * order: the UARTs from the highest address down, so that with libfdt's
 * placement the lowest-address UART's node comes first in the tree.
 */
export const OR1KSIM_DEVICES: readonly BoardDevice[] = [
  ...Array.from({ length: UART.count }, (_, i): BoardDevice => {
    const n = UART.count - 1 - i;
    return {
      name: `serial${n}`,
      type: TYPE_NS16550A,
      base: UART.base + UART.stride * n,
      size: UART.size,
      irq: UART.irq,
      sharedIrq: true,
      props: { 'clock-frequency': CLOCK_HZ, chardev: n === 0 ? CONSOLE_CHARDEV : '', alias: `serial${n}` },
    };
  }),
];

export const OR1KSIM = {
  ram: { base: 0x0000_0000, defaultBytes: 128 * 1024 * 1024 },
  clockHz: CLOCK_HZ,
  uart: UART,
} as const;

/**
 * The board's own part of the device tree, in the order of QEMU 7.2's
 * openrisc_create_fdt for or1k-sim: root properties, memory, cpus, pic,
 * chosen (bootargs), aliases. The UARTs then add theirs.
 */
function or1ksimFdt(machine: QObject, fdt: QemuFdt): void {
  fdt.setpropString('/', 'compatible', 'opencores,or1ksim');
  fdt.setpropCells('/', '#address-cells', 1);
  fdt.setpropCells('/', '#size-cells', 1);

  addMemoryCpuPic(machine, fdt, OR1KSIM.ram.base);

  fdt.addSubnode('/chosen');
  // QEMU passes its kernel_cmdline, "" without -append: bootargs is always there.
  fdt.setpropString('/chosen', 'bootargs', machine.getString('append') ?? '');

  fdt.addSubnode('/aliases');
}

export const TYPE_OR1KSIM_MACHINE: TypeInfo = {
  name: 'or1k-sim-machine',
  parent: TYPE_MACHINE,
  description: 'OpenRISC simulator board (QEMU hw/openrisc/openrisc_sim.c): four UARTs, initrd root, l.nop 1 power-off',
  classInit: (klass) => {
    const mc = machineClass(klass);
    mc.devices = OR1KSIM_DEVICES;
    mc.userDevices = [];
    mc.userSysbus = OR1KSIM_USER_SYSBUS;
    mc.fdt = or1ksimFdt;
    mc.defaultCpu = 'or1200';
    mc.nopHaltPowersOff = true;
    mc.rngSeed = false;
  },
};
