/**
 * The initial user stack of a Linux process as the kernel's ELF loader lays
 * it out (fs/binfmt_elf.c create_elf_tables): from the stack pointer up,
 * argc, argv[] + NULL, envp[] + NULL, the auxiliary vector (type, value
 * pairs ending with AT_NULL), then the 16 AT_RANDOM bytes and the strings.
 */
import type { Ram } from '../../../emulator/memory/ram.ts';

export const AT = {
  NULL: 0, PHDR: 3, PHENT: 4, PHNUM: 5, PAGESZ: 6, BASE: 7, FLAGS: 8, ENTRY: 9,
  UID: 11, EUID: 12, GID: 13, EGID: 14, HWCAP: 16, CLKTCK: 17, SECURE: 23, RANDOM: 25, EXECFN: 31,
} as const;

export interface StackArgs {
  ram: Ram;
  /** One past the highest stack byte. */
  top: number;
  argv: string[];
  env: string[];
  entry: number;
  phdr: number;
  phent: number;
  phnum: number;
  /** 16 bytes for AT_RANDOM (deterministic: a fixed pattern). */
  random?: Uint8Array;
}

/** Writes the stack; returns the initial stack pointer (16-byte aligned). */
export function buildInitialStack(a: StackArgs): number {
  const enc = new TextEncoder();
  let p = a.top;
  const putBytes = (b: Uint8Array): number => {
    p -= b.length;
    a.ram.writeBytes(p, b);
    return p;
  };
  const putString = (s: string): number => putBytes(enc.encode(s + '\0'));
  const execfn = putString(a.argv[0] ?? '');
  const envPtrs = a.env.map(putString);
  const argPtrs = a.argv.map(putString);
  p &= ~15;
  const random = putBytes(a.random ?? Uint8Array.from({ length: 16 }, (_, i) => (i * 37 + 11) & 0xff));
  const auxv: Array<[number, number]> = [
    [AT.PHDR, a.phdr], [AT.PHENT, a.phent], [AT.PHNUM, a.phnum], [AT.PAGESZ, 8192],
    [AT.BASE, 0], [AT.FLAGS, 0], [AT.ENTRY, a.entry],
    [AT.UID, 0], [AT.EUID, 0], [AT.GID, 0], [AT.EGID, 0],
    [AT.HWCAP, 0], [AT.CLKTCK, 100], [AT.SECURE, 0], [AT.RANDOM, random], [AT.EXECFN, execfn],
    [AT.NULL, 0],
  ];
  const words: number[] = [a.argv.length, ...argPtrs, 0, ...envPtrs, 0];
  for (const [k, v] of auxv) words.push(k, v);
  p -= words.length * 4;
  p &= ~15;
  for (let i = 0; i < words.length; i++) a.ram.write32(p + i * 4, words[i]! >>> 0);
  return p;
}
