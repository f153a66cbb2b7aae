/**
 * The or1k `virt` board: the ONE place that knows physical addresses, region
 * sizes and interrupt lines. Mirrors QEMU's hw/openrisc/virt.c so a stock
 * `virt_defconfig` kernel boots unchanged and QEMU stays a reference. The
 * device tree (devicetree.ts) and the machine (machine.ts) are both built
 * from this table, so they cannot drift apart.
 */

export interface MmioRegion {
  readonly base: number;
  /** Size announced in the device tree `reg`. */
  readonly size: number;
}

export const VIRT = {
  ram: { base: 0x0000_0000, defaultBytes: 128 * 1024 * 1024 },
  /** CPU and tick-timer clock (DT clock-frequency), also the UART input clock. */
  clockHz: 20_000_000,
  uart: { base: 0x9000_0000, size: 0x100, irq: 2 },
  syscon: { base: 0x9600_0000, size: 0x8 },
  rtc: { base: 0x9600_5000, size: 0x1000, irq: 3 },
  virtio: { base: 0x9700_0000, stride: 0x1000, size: 0x1000, count: 8, firstIrq: 4 },
  /** QEMU's gpex window; our kernel has no PCI, the node is left out of the tree. */
  pciEcam: { base: 0x9e00_0000, size: 0x100_0000 },
  /** Reset PC; QEMU's KERNEL_LOAD_ADDR fallback for vmlinux (entry is a VA). */
  resetPc: 0x100,
  /** Device tree phandles used by QEMU (kept for byte-level comparability). */
  phandle: { pic: 0x8000, syscon: 0x8001 },
} as const;

export interface VirtioSlot {
  readonly index: number;
  readonly base: number;
  readonly size: number;
  readonly irq: number;
}

/** virtio-mmio slot `n` (0..7): 0x97000000 + 0x1000·n, IRQ 4 + n. */
export function virtioSlot(n: number): VirtioSlot {
  if (!Number.isInteger(n) || n < 0 || n >= VIRT.virtio.count) throw new RangeError(`virtio-mmio slot ${n} does not exist (0..${VIRT.virtio.count - 1})`);
  return { index: n, base: VIRT.virtio.base + VIRT.virtio.stride * n, size: VIRT.virtio.size, irq: VIRT.virtio.firstIrq + n };
}

/**
 * Order in which virtio devices take slots. QEMU's virtio-mmio buses are
 * filled from the last one created, so the first `-device virtio-blk-device`
 * lands on slot 7 (0x97007000, IRQ 11; first in DT order → virtio0, /dev/vda),
 * the second on slot 6, and so on.
 */
export const VIRTIO_SLOT_ORDER: readonly number[] = [7, 6, 5, 4, 3, 2, 1, 0];

/** Every fixed region and IRQ of the board, for overlap/clash checks and `--print-machine`. */
export function boardRegions(): Array<{ name: string; base: number; size: number; irq?: number }> {
  const list: Array<{ name: string; base: number; size: number; irq?: number }> = [
    { name: 'serial', base: VIRT.uart.base, size: VIRT.uart.size, irq: VIRT.uart.irq },
    { name: 'syscon', base: VIRT.syscon.base, size: VIRT.syscon.size },
    { name: 'rtc', base: VIRT.rtc.base, size: VIRT.rtc.size, irq: VIRT.rtc.irq },
  ];
  for (let n = 0; n < VIRT.virtio.count; n++) {
    const s = virtioSlot(n);
    list.push({ name: `virtio-mmio.${n}`, base: s.base, size: s.size, irq: s.irq });
  }
  return list;
}

/** Page-aligned (8 KiB, or1k TARGET_PAGE_SIZE) address after `end` — where QEMU puts the DTB. */
export function dtbAddressAfter(end: number): number {
  const page = 0x2000;
  return Math.ceil(end / page) * page;
}
