import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { buildDtb, rngSeedBytes } from '../../../emulator/board/devicetree.ts';
import { dtbAddressAfter, VIRT, virtioSlot, VIRTIO_SLOT_ORDER } from '../../../emulator/board/virt.ts';
import { dtcDecompile } from '../fdt/dtc.ts';

/** QEMU 7.2's tree (copy of shared/reference/or1k-virt.dts: `qemu-system-or1k -M virt -m 128 -seed 1`). */
const referenceDts = (): string => readFileSync(new URL('./fixtures/or1k-virt.dts', import.meta.url), 'utf8');

/** Drops the parts we leave out on purpose: the PCI node and the rng-seed value. */
function normalise(dts: string): string {
  return dts
    .replace(/\n\t\tpci@9e000000 \{[\s\S]*?\n\t\t\};\n/, '\n')
    .replace(/\t\trng-seed = <[^>]*>;\n/, '')
    .replace(/\n\n+/g, '\n\n');
}

describe('virt device tree', () => {
  it('decompiles (dtc) to the reference QEMU tree, except the PCI node and rng-seed', () => {
    const dtb = buildDtb({ memoryBytes: 128 << 20, bootargs: 'root=/dev/vda console=ttyS0 rw' });
    const ours = dtcDecompile(dtb);
    expect(normalise(ours)).toBe(normalise(referenceDts()));
    expect(ours).not.toContain('pci@');
  });

  it('puts the kernel command line and memory size in the tree', () => {
    const dts = dtcDecompile(buildDtb({ memoryBytes: 64 << 20, bootargs: 'console=ttyS0 earlycon quiet' }));
    expect(dts).toContain('bootargs = "console=ttyS0 earlycon quiet";');
    expect(dts).toContain('reg = <0x00 0x4000000>;');
  });

  it('derives rng-seed deterministically from the seed, or omits it', () => {
    const a = buildDtb({ memoryBytes: 1 << 20, bootargs: '', rngSeed: 7 });
    expect(buildDtb({ memoryBytes: 1 << 20, bootargs: '', rngSeed: 7 })).toEqual(a);
    expect(buildDtb({ memoryBytes: 1 << 20, bootargs: '', rngSeed: 8 })).not.toEqual(a);
    expect(rngSeedBytes(7).length).toBe(32);
    expect(dtcDecompile(buildDtb({ memoryBytes: 1 << 20, bootargs: '', rngSeed: null }))).not.toContain('rng-seed');
  });

  it('lists every virtio-mmio slot, so the first disk (slot 7) and a second disk (slot 6) both appear', () => {
    const dts = dtcDecompile(buildDtb({ memoryBytes: 1 << 20, bootargs: '' }));
    const first = virtioSlot(VIRTIO_SLOT_ORDER[0]!);
    const second = virtioSlot(VIRTIO_SLOT_ORDER[1]!);
    expect(first).toEqual({ index: 7, base: 0x97007000, size: 0x1000, irq: 11 });
    expect(second).toEqual({ index: 6, base: 0x97006000, size: 0x1000, irq: 10 });
    expect(dts).toMatch(/virtio_mmio@97007000 \{\s+interrupts = <0x0b>;\s+reg = <0x97007000 0x1000>;/);
    expect(dts).toMatch(/virtio_mmio@97006000 \{\s+interrupts = <0x0a>;\s+reg = <0x97006000 0x1000>;/);
    // DT order: slot 7 first, so the first disk is virtio0 (/dev/vda).
    expect(dts.indexOf('virtio_mmio@97007000')).toBeLessThan(dts.indexOf('virtio_mmio@97006000'));
  });

  it('places the DTB at the page after the kernel like QEMU (0x720000 for our vmlinux)', () => {
    expect(dtbAddressAfter(0x71e6b0)).toBe(0x720000);
    expect(VIRT.resetPc).toBe(0x100);
  });
});
