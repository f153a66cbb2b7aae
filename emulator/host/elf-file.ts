/**
 * A kernel ELF on disk, read on demand (emulator/elf.ts `ElfFile`): the
 * loader reads the headers, then each segment straight into guest RAM, so a
 * boot never holds a second copy of a multi-megabyte vmlinux. The size is
 * taken when opened; each read opens the file again (a reset reloads it).
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { ElfError, type ElfFile } from '../elf.ts';

/** Opens `path` (throwing as readFileSync would if it cannot be read) and returns it as an ElfFile. */
export function elfFile(path: string): ElfFile {
  const fd = openSync(path, 'r');
  let size: number;
  try {
    size = fstatSync(fd).size;
  } finally {
    closeSync(fd);
  }
  return {
    size,
    readAt(offset: number, dest: Uint8Array): void {
      const rd = openSync(path, 'r');
      try {
        for (let done = 0; done < dest.length;) {
          const n = readSync(rd, dest, done, dest.length - done, offset + done);
          if (n === 0) throw new ElfError('ELF_TRUNCATED', `${path} became shorter while it was loaded (${offset + done} of ${size} bytes)`);
          done += n;
        }
      } finally {
        closeSync(rd);
      }
    },
  };
}
