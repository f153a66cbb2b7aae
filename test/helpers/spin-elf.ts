/**
 * The smallest kernel a machine accepts: for tests that build machines and
 * look at them (device tree, QOM tree, memory map) without a guest.
 */

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
