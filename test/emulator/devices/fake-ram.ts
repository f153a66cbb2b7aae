/** A byte-array GuestRam for device tests (no CPU needed). */
import type { Clock, GuestRam, IrqLine } from '../../../emulator/device.ts';

export class FakeRam implements GuestRam {
  readonly bytes: Uint8Array;
  constructor(readonly size: number) {
    this.bytes = new Uint8Array(size);
  }
  contains(pa: number, length: number): boolean {
    return Number.isInteger(pa) && Number.isInteger(length) && pa >= 0 && length >= 0 && pa + length <= this.size;
  }
  private check(pa: number, n: number): void {
    if (!this.contains(pa, n)) throw new Error(`device accessed RAM out of range: 0x${pa.toString(16)}+${n}`);
  }
  read8(pa: number): number { this.check(pa, 1); return this.bytes[pa]!; }
  write8(pa: number, v: number): void { this.check(pa, 1); this.bytes[pa] = v; }
  readU16LE(pa: number): number { this.check(pa, 2); return this.bytes[pa]! | (this.bytes[pa + 1]! << 8); }
  readU32LE(pa: number): number { this.check(pa, 4); return (this.readU16LE(pa) | (this.readU16LE(pa + 2) << 16)) >>> 0; }
  readU64LE(pa: number): number { this.check(pa, 8); return this.readU32LE(pa) + this.readU32LE(pa + 4) * 2 ** 32; }
  writeU16LE(pa: number, v: number): void { this.check(pa, 2); this.bytes[pa] = v & 0xff; this.bytes[pa + 1] = (v >>> 8) & 0xff; }
  writeU32LE(pa: number, v: number): void { this.check(pa, 4); this.writeU16LE(pa, v & 0xffff); this.writeU16LE(pa + 2, v >>> 16); }
  readBytes(pa: number, length: number): Uint8Array { this.check(pa, length); return this.bytes.slice(pa, pa + length); }
  writeBytes(pa: number, data: Uint8Array): void { this.check(pa, data.length); this.bytes.set(data, pa); }
}

export class FakeIrq implements IrqLine {
  level = false;
  changes = 0;
  set(level: boolean): void {
    if (level !== this.level) this.changes++;
    this.level = level;
  }
}

export class FakeClock implements Clock {
  ns = 0;
  nowNs(): number { return this.ns; }
}
