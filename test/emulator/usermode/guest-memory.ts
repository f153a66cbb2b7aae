/**
 * Checked access to the user program's memory (identity-mapped RAM) for
 * syscall arguments: strings, structs and buffers. Every accessor checks the
 * range first; a bad pointer becomes -EFAULT in the caller, never a host crash.
 */
import type { Ram } from '../../../emulator/memory/ram.ts';

export class GuestMemory {
  constructor(readonly ram: Ram) {}

  ok(addr: number, length: number): boolean {
    return addr > 0 && length >= 0 && this.ram.contains(addr >>> 0, length);
  }
  u32(addr: number): number {
    return this.ram.read32(addr >>> 0);
  }
  setU32(addr: number, v: number): void {
    this.ram.write32(addr >>> 0, v >>> 0);
  }
  /** 64-bit big-endian store of a JS number (exact below 2^53; negative allowed). */
  setU64(addr: number, v: number): void {
    const hi = Math.floor(v / 0x100000000);
    this.setU32(addr, hi >>> 0);
    this.setU32(addr + 4, (v - hi * 0x100000000) >>> 0);
  }
  bytes(addr: number, length: number): Uint8Array {
    return this.ram.readBytes(addr >>> 0, length);
  }
  write(addr: number, data: Uint8Array): void {
    this.ram.writeBytes(addr >>> 0, data);
  }
  fill0(addr: number, length: number): void {
    this.ram.fill0(addr >>> 0, length);
  }
  /** NUL-terminated string (bytes as Latin-1), or undefined if unterminated/out of range. */
  cstring(addr: number, max = 4096): string | undefined {
    let s = '';
    for (let i = 0; i < max; i++) {
      if (!this.ok(addr + i, 1)) return undefined;
      const c = this.ram.read8(addr + i);
      if (c === 0) return s;
      s += String.fromCharCode(c);
    }
    return undefined;
  }
}
