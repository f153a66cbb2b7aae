import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { rngSeedBytes } from '../../../emulator/board/devicetree.ts';
import { buildDtb, dtbAddressAfter, VIRT } from '../../../emulator/board/virt.ts';
import { QemuFdt } from '../../../emulator/fdt/qemu-fdt.ts';
import { writeFdt } from '../../../emulator/fdt/fdt-writer.ts';
import { dtcDecompile } from '../fdt/dtc.ts';

/** QEMU 7.2's tree (copy of shared/reference/or1k-virt.dts: `qemu-system-or1k -M virt -m 128 -seed 1`). */
const referenceDts = (): string => readFileSync(new URL('./fixtures/or1k-virt.dts', import.meta.url), 'utf8');

/** SHA-256 of the virt DTB (128M, `root=/dev/vda console=ttyS0 rw`, rng-seed 1) as the hand-written generator made it. */
const GOLDEN_SHA256 = '0fb7f9d16b18442420e6553c11f8b5757e74755ba4234087a635869e8e5a864b';

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

  it('is the same blob as before the device model generated it (golden SHA-256: boots stay bit-identical)', () => {
    const dtb = buildDtb({ memoryBytes: 128 << 20, bootargs: 'root=/dev/vda console=ttyS0 rw' });
    expect(createHash('sha256').update(dtb).digest('hex')).toBe(GOLDEN_SHA256);
  });

  it('places nodes and properties as libfdt does: each new one before those already there', () => {
    const fdt = new QemuFdt();
    fdt.addSubnode('/a');
    fdt.addSubnode('/b');
    fdt.setpropCells('/b', 'x', 1);
    fdt.setpropCells('/b', 'y', 2);
    fdt.setpropCells('/b', 'x', 3); // replaced in place
    expect(fdt.root.children.map((c) => c.name)).toEqual(['b', 'a']);
    expect(fdt.node('/b').props.map((p) => p.name)).toEqual(['y', 'x']);
    expect(dtcDecompile(writeFdt(fdt.root))).toContain('x = <0x03>;');
    expect([fdt.allocPhandle(), fdt.allocPhandle()]).toEqual([0x8000, 0x8001]);
  });

  it('lists every virtio-mmio slot, so the first disk (slot 7) and a second disk (slot 6) both appear', () => {
    const dts = dtcDecompile(buildDtb({ memoryBytes: 1 << 20, bootargs: '' }));
    expect(dts).toMatch(/virtio_mmio@97007000 \{\s+interrupts = <0x0b>;\s+reg = <0x97007000 0x1000>;/);
    expect(dts).toMatch(/virtio_mmio@97006000 \{\s+interrupts = <0x0a>;\s+reg = <0x97006000 0x1000>;/);
    // DT order: slot 7 first, so the first disk is virtio0 (/dev/vda).
    expect(dts.indexOf('virtio_mmio@97007000')).toBeLessThan(dts.indexOf('virtio_mmio@97006000'));
  });

  it('places the DTB at the next 8 KiB boundary after the kernel image, like QEMU', () => {
    // An example end address (a past vmlinux's); boot-trace.test.ts checks the real vmlinux against QEMU's r3.
    expect(dtbAddressAfter(0x71e6b0)).toBe(0x720000);
    expect(dtbAddressAfter(0x720000)).toBe(0x720000);
    expect(VIRT.resetPc).toBe(0x100);
  });
});
