/**
 * Hand-made or1k ELF files for tests that need a kernel image without a
 * guest build: an ELF32 big-endian EM_OPENRISC executable with one PT_LOAD
 * (program header at 52), as emulator/elf.ts reads it.
 */

export interface ElfSpec {
  /** File size in bytes. */
  size: number;
  entry: number;
  /** The PT_LOAD: file offset, addresses and sizes. */
  offset: number;
  vaddr: number;
  paddr: number;
  filesz: number;
  memsz: number;
  /** Big-endian words to place in the file: [file offset, value]. */
  words?: ReadonlyArray<readonly [number, number]>;
}

export function or1kElf(spec: ElfSpec): Uint8Array {
  const image = new Uint8Array(spec.size);
  const dv = new DataView(image.buffer);
  image.set([0x7f, 0x45, 0x4c, 0x46, 1, 2, 1]);
  dv.setUint16(16, 2); // ET_EXEC
  dv.setUint16(18, 92); // EM_OPENRISC
  dv.setUint32(20, 1); // EV_CURRENT
  dv.setUint32(24, spec.entry);
  dv.setUint32(28, 52); // e_phoff
  dv.setUint16(40, 52); // e_ehsize
  dv.setUint16(42, 32); // e_phentsize
  dv.setUint16(44, 1); // e_phnum
  const ph = 52;
  dv.setUint32(ph, 1); // PT_LOAD
  dv.setUint32(ph + 4, spec.offset);
  dv.setUint32(ph + 8, spec.vaddr);
  dv.setUint32(ph + 12, spec.paddr);
  dv.setUint32(ph + 16, spec.filesz);
  dv.setUint32(ph + 20, spec.memsz);
  dv.setUint32(ph + 24, 7); // RWX
  for (const [at, value] of spec.words ?? []) dv.setUint32(at, value);
  return image;
}

/**
 * The smallest kernel a machine accepts, for tests that build machines and
 * look at them (device tree, QOM tree, memory map) without a guest: its code
 * at the reset vector is `l.j 0; l.nop` (spins forever).
 */
export function spinElf(): Uint8Array {
  return or1kElf({
    size: 0x2000, entry: 0x100, offset: 0x1000, vaddr: 0, paddr: 0, filesz: 0x200, memsz: 0x200,
    words: [[0x1000 + 0x100, 0x00000000], [0x1000 + 0x104, 0x15000000]], // l.j 0; l.nop
  });
}

/** For the loader tests: one PT_LOAD at `pa` (VA = PA), `filesz` bytes 1, 2, 3 ... from offset 0x58, 0x30 bytes in memory. */
export function tinyElf(pa = 0x1000, filesz = 8): Uint8Array {
  const elf = or1kElf({ size: 0x58 + filesz, entry: pa, offset: 0x58, vaddr: pa, paddr: pa, filesz, memsz: 0x30 });
  for (let i = 0; i < filesz; i++) elf[0x58 + i] = i + 1;
  return elf;
}
