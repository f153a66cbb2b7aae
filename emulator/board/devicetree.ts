/**
 * Generates a machine's device tree from its composition tree: the board
 * class writes its skeleton, then every device writes its own node(s) from
 * its properties (the values of its row in the board table), in tree order —
 * the order QEMU's board code creates them, so with libfdt's placement
 * (QemuFdt) the blob matches QEMU's.
 *
 * For `virt` that is QEMU 7.2's tree (reference/or1k-virt.dts), except:
 * - /soc/pci@9e000000 is omitted: the guest kernel is built without PCI and
 *   nothing else refers to the node.
 * - /chosen/rng-seed is derived from the `rng-seed` number (deterministic,
 *   32 bytes), not from QEMU's generator; unset leaves it out.
 * With an initrd, /chosen gets linux,initrd-start/-end (both boards, as QEMU's
 * hw/openrisc/boot.c).
 * All eight virtio-mmio slots are always present (as in QEMU); an empty slot
 * reads DeviceID 0 and Linux skips it, so a second disk needs no DT change.
 */
import type { FdtNode } from '../fdt/fdt-node.ts';
import { u32Cells } from '../fdt/fdt-node.ts';
import { QemuFdt } from '../fdt/qemu-fdt.ts';
import type { QObject } from '../qom/object.ts';
import { DeviceClass } from '../qom/qdev.ts';
import { machineClass } from './board.ts';

export function buildDeviceTree(machine: QObject): FdtNode {
  const fdt = new QemuFdt();
  machineClass(machine.klass).fdt(machine, fdt);
  for (const obj of machine.walk()) if (obj.klass instanceof DeviceClass) obj.klass.fdt?.(obj, fdt);
  // QEMU's openrisc_load_initrd adds these once the board and its devices are in the tree.
  if (machine.has('initrd-start')) {
    fdt.setpropCells('/chosen', 'linux,initrd-start', machine.getNumber('initrd-start'));
    fdt.setpropCells('/chosen', 'linux,initrd-end', machine.getNumber('initrd-end'));
  }
  return fdt.root;
}

/**
 * The nodes both or1k boards write the same way, in QEMU's order (its
 * openrisc_create_fdt helpers): /memory@BASE, /cpus with its one cpu@0, and the
 * level-triggered /pic as the root's interrupt parent.
 */
export function addMemoryCpuPic(machine: QObject, fdt: QemuFdt, ramBase: number): void {
  const memory = `/memory@${ramBase.toString(16)}`;
  fdt.addSubnode(memory);
  fdt.setpropCells(memory, 'reg', ramBase, machine.getNumber('memory'));
  fdt.setpropString(memory, 'device_type', 'memory');

  fdt.addSubnode('/cpus');
  fdt.setpropCells('/cpus', '#size-cells', 0);
  fdt.setpropCells('/cpus', '#address-cells', 1);
  fdt.addSubnode('/cpus/cpu@0');
  fdt.setpropString('/cpus/cpu@0', 'compatible', 'opencores,or1200-rtlsvn481');
  fdt.setpropCells('/cpus/cpu@0', 'reg', 0);
  fdt.setpropCells('/cpus/cpu@0', 'clock-frequency', machine.children.get('cpu')!.getNumber('clock-frequency'));

  const pic = fdt.allocPhandle();
  fdt.addSubnode('/pic');
  fdt.setpropString('/pic', 'compatible', 'opencores,or1k-pic-level');
  fdt.setpropCells('/pic', '#interrupt-cells', 1);
  fdt.setpropFlag('/pic', 'interrupt-controller');
  fdt.setpropCells('/pic', 'phandle', pic);
  fdt.setpropCells('/', 'interrupt-parent', pic);
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
