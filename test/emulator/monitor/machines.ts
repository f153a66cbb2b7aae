/**
 * Real machines for the monitor tests: the virt board built by the device
 * model, running a tiny bare-metal program (no guest kernel needed to look
 * at the qtree, mtree and QOM properties).
 */
import { MemoryBlockBackend } from '../../../emulator/devices/block-backend.ts';
import { createMachine, type Machine } from '../../../emulator/machine.ts';

/** A big-endian or1k ELF whose code at the reset vector is `l.j 0; l.nop` (spins forever). */
export function spinElf(): Uint8Array {
  const image = new Uint8Array(0x2000);
  const dv = new DataView(image.buffer);
  image.set([0x7f, 0x45, 0x4c, 0x46, 1, 2, 1]);
  dv.setUint16(16, 2); // ET_EXEC
  dv.setUint16(18, 92); // EM_OPENRISC
  dv.setUint32(20, 1);
  dv.setUint32(24, 0x100); // e_entry
  dv.setUint32(28, 52); // e_phoff
  dv.setUint16(40, 52);
  dv.setUint16(42, 32);
  dv.setUint16(44, 1);
  const ph = 52;
  dv.setUint32(ph, 1); // PT_LOAD
  dv.setUint32(ph + 4, 0x1000); // p_offset
  dv.setUint32(ph + 16, 0x200); // p_filesz
  dv.setUint32(ph + 20, 0x200); // p_memsz
  dv.setUint32(ph + 24, 7);
  dv.setUint32(0x1000 + 0x100, 0x00000000); // l.j 0
  dv.setUint32(0x1000 + 0x104, 0x15000000); // l.nop
  return image;
}

/** The default virt machine (128M), no disks. */
export function plainMachine(): Machine {
  return createMachine({ kernel: spinElf() });
}

/** virt with the root disk (hd0 → slot 7) and a second disk `data` on drive d1 (slot 6). */
export function twoDiskMachine(): Machine {
  return createMachine({
    kernel: spinElf(),
    rootDisk: new MemoryBlockBackend(new Uint8Array(1 << 20)),
    drives: { d1: new MemoryBlockBackend(new Uint8Array(64 << 10), { readOnly: true }) },
    devices: ['virtio-blk-device,drive=d1,id=data,serial=SN42'],
  });
}
