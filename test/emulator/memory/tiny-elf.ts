/** Test ELF files for the loader tests. */
/** A minimal ELF32 big-endian or1k file: one PT_LOAD at paddr `pa`, `filesz` bytes 1, 2, 3 ... from offset 0x58, 0x30 bytes in memory. */
export function tinyElf(pa = 0x1000, filesz = 8): Uint8Array {
  const elf = new Uint8Array(0x58 + filesz);
  const dv = new DataView(elf.buffer);
  elf.set([0x7f, 0x45, 0x4c, 0x46, 1, 2, 1]);
  dv.setUint16(16, 2); dv.setUint16(18, 92); dv.setUint32(24, pa); dv.setUint32(28, 52);
  dv.setUint16(42, 32); dv.setUint16(44, 1);
  dv.setUint32(52, 1); dv.setUint32(56, 0x58); dv.setUint32(60, pa); dv.setUint32(64, pa);
  dv.setUint32(68, filesz); dv.setUint32(72, 0x30); dv.setUint32(76, 7);
  for (let i = 0; i < filesz; i++) elf[0x58 + i] = i + 1;
  return elf;
}
