/**
 * ELF32 big-endian loader for or1k (EM_OPENRISC = 92).
 *
 * - `loadKernelElf`: a vmlinux or bare-metal image, the way QEMU's or1k boot
 *   code does it: every PT_LOAD copied to its *physical* address (p_paddr),
 *   bss (memsz beyond filesz) zeroed. The kernel is then started at the reset
 *   vector 0x100 (not e_entry, a virtual address) with r3 = DTB address; the
 *   DTB goes at the first page boundary after `end` (0x720000 for our kernel).
 * - `loadUserElf`: a static user program for a user-mode runner: PT_LOAD at
 *   p_vaddr (MMU off, identity), plus what the runner needs for the initial
 *   stack and auxv (entry, brk start, AT_PHDR/AT_PHENT/AT_PHNUM).
 *
 * Memory is written through the narrow `ElfTarget` (Ram implements it).
 * The ELF is its bytes, or an `ElfFile` the host reads on demand: then each
 * segment is read straight into guest RAM (`ElfTarget.fillFrom`), with no
 * copy of the whole file in between (a vmlinux is megabytes).
 */

export interface ElfTarget {
  readonly size: number;
  contains(pa: number, length: number): boolean;
  writeBytes(pa: number, data: Uint8Array): void;
  /** Zero-fills [pa, pa+length). */
  fill0(pa: number, length: number): void;
  /** Stores [pa, pa+length) from bytes `fill` writes, in guest order, into the array it is given. */
  fillFrom?(pa: number, length: number, fill: (dest: Uint8Array) => void): void;
}

/** An ELF file read on demand (the host implements it, e.g. with a file descriptor). */
export interface ElfFile {
  /** The file's size in bytes. */
  readonly size: number;
  /** Fills `dest` with the file's bytes from `offset` (the range lies inside the file). */
  readAt(offset: number, dest: Uint8Array): void;
}

/** The ELF header's 52 bytes and the program header table of `file`: all parseElf reads. */
function headBytes(file: ElfFile): Uint8Array {
  const first = new Uint8Array(Math.min(52, file.size));
  file.readAt(0, first);
  if (first.length < 52) return first;
  const dv = new DataView(first.buffer);
  const end = Math.min(file.size, Math.max(52, dv.getUint32(28) + dv.getUint16(42) * dv.getUint16(44)));
  const head = new Uint8Array(end);
  file.readAt(0, head);
  return head;
}

export interface ElfSegment {
  vaddr: number;
  paddr: number;
  offset: number;
  filesz: number;
  memsz: number;
  /** PF_X=1, PF_W=2, PF_R=4 */
  flags: number;
}

export interface LoadedElf {
  /** e_entry as written in the file. */
  entry: number;
  /** Lowest and one-past-highest address written (physical for kernels, virtual for user programs). */
  start: number;
  end: number;
  segments: ElfSegment[];
  /** Address of the program header table in the loaded image (AT_PHDR), 0 if not loaded. */
  phdrAddr: number;
  phent: number;
  phnum: number;
  /** User programs: initial program break (end of the highest segment, page-aligned to 8 KiB). */
  brk: number;
}

export class ElfError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = 'ElfError';
    this.code = code;
  }
}

const PT_LOAD = 1;
const PT_PHDR = 6;
const EM_OPENRISC = 92;

/** Parses the headers; `fileSize` is the whole file's size when `bytes` holds only its beginning. */
export function parseElf(bytes: Uint8Array, fileSize: number = bytes.length): Omit<LoadedElf, 'start' | 'end' | 'brk'> {
  if (bytes.length < 52 || bytes[0] !== 0x7f || bytes[1] !== 0x45 || bytes[2] !== 0x4c || bytes[3] !== 0x46) {
    throw new ElfError('ELF_BAD_MAGIC', 'not an ELF file (bad magic)');
  }
  if (bytes[4] !== 1) throw new ElfError('ELF_NOT_32BIT', 'not a 32-bit ELF file (EI_CLASS != ELFCLASS32)');
  if (bytes[5] !== 2) throw new ElfError('ELF_NOT_BIG_ENDIAN', 'not a big-endian ELF file (EI_DATA != ELFDATA2MSB)');
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const machine = dv.getUint16(18);
  if (machine !== EM_OPENRISC) {
    throw new ElfError('ELF_WRONG_MACHINE', `ELF machine is ${machine}, expected ${EM_OPENRISC} (OpenRISC)`);
  }
  const entry = dv.getUint32(24);
  const phoff = dv.getUint32(28);
  const phent = dv.getUint16(42);
  const phnum = dv.getUint16(44);
  if (phent < 32 || phoff + phent * phnum > Math.min(bytes.length, fileSize)) {
    throw new ElfError('ELF_TRUNCATED', 'program header table lies outside the file');
  }
  const segments: ElfSegment[] = [];
  let phdrAddr = 0;
  for (let i = 0; i < phnum; i++) {
    const o = phoff + i * phent;
    const type = dv.getUint32(o);
    const seg: ElfSegment = {
      offset: dv.getUint32(o + 4),
      vaddr: dv.getUint32(o + 8),
      paddr: dv.getUint32(o + 12),
      filesz: dv.getUint32(o + 16),
      memsz: dv.getUint32(o + 20),
      flags: dv.getUint32(o + 24),
    };
    if (type === PT_PHDR) phdrAddr = seg.vaddr;
    if (type !== PT_LOAD) continue;
    if (seg.offset + seg.filesz > fileSize) {
      throw new ElfError('ELF_TRUNCATED', `segment ${i} (offset ${seg.offset}, ${seg.filesz} bytes) lies outside the file`);
    }
    if (seg.filesz > seg.memsz) throw new ElfError('ELF_BAD_SEGMENT', `segment ${i} has filesz > memsz`);
    segments.push(seg);
  }
  if (segments.length === 0) throw new ElfError('ELF_NO_LOAD', 'ELF file has no PT_LOAD segment');
  if (phdrAddr === 0) {
    for (const s of segments) {
      if (phoff >= s.offset && phoff + phent * phnum <= s.offset + s.filesz) phdrAddr = s.vaddr + (phoff - s.offset);
    }
  }
  return { entry, segments, phdrAddr, phent, phnum };
}

function load(elf: Uint8Array | ElfFile, mem: ElfTarget, physical: boolean): LoadedElf {
  const info = elf instanceof Uint8Array ? parseElf(elf) : parseElf(headBytes(elf), elf.size);
  let start = Infinity;
  let end = 0;
  for (const s of info.segments) {
    const addr = physical ? s.paddr : s.vaddr;
    if (!mem.contains(addr, s.memsz)) {
      throw new ElfError('ELF_OUTSIDE_RAM',
        `segment at 0x${addr.toString(16)} (+0x${s.memsz.toString(16)}) does not fit in RAM of 0x${mem.size.toString(16)} bytes`);
    }
    if (elf instanceof Uint8Array) mem.writeBytes(addr, elf.subarray(s.offset, s.offset + s.filesz));
    else if (mem.fillFrom) mem.fillFrom(addr, s.filesz, (dest) => elf.readAt(s.offset, dest));
    else {
      const data = new Uint8Array(s.filesz);
      elf.readAt(s.offset, data);
      mem.writeBytes(addr, data);
    }
    if (s.memsz > s.filesz) mem.fill0(addr + s.filesz, s.memsz - s.filesz);
    start = Math.min(start, addr);
    end = Math.max(end, addr + s.memsz);
  }
  const brk = (end + 0x1fff) & ~0x1fff;
  return { ...info, start, end, brk: brk >>> 0 };
}

/** Loads a kernel / bare-metal ELF at its physical addresses. */
export function loadKernelElf(elf: Uint8Array | ElfFile, mem: ElfTarget): LoadedElf {
  return load(elf, mem, true);
}

/** Loads a static user program at its virtual addresses (identity-mapped RAM). */
export function loadUserElf(elf: Uint8Array | ElfFile, mem: ElfTarget): LoadedElf {
  return load(elf, mem, false);
}

/** Where QEMU puts the DTB after a kernel: the next 8 KiB boundary after the image. */
export function dtbAddressAfter(end: number): number {
  return ((end + 0x1fff) & ~0x1fff) >>> 0;
}
