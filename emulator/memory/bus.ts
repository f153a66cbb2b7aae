/**
 * The physical address space: RAM at 0 plus memory-mapped device regions.
 *
 * Dispatch is by 4 KiB frame: `frameRegion[pa >>> 12]` names the first region
 * in the frame (0 = none), then the offset is checked against the region's
 * exact size, so regions smaller than a frame (the 16550's 0x100 bytes) work.
 * Several small regions may share a frame (or1k-sim's UARTs 0x100 apart):
 * they are chained (`nextInFrame`), so a frame with one region costs one
 * check as before. A region that spans frames must start on a 4 KiB
 * boundary. RAM is region 1 and is read through
 * its own fast path by the CPU; the bus methods here are the CPU's slow path
 * and the way tests and loaders reach memory.
 *
 * Like QEMU, the bus raises no bus errors: an access nobody claims reads 0
 * and writes are dropped, reported through the injected logger (at most
 * `unmappedLogLimit` messages, then one "further messages suppressed").
 */
import type { MmioHandler } from '../device.ts';
import { Ram } from './ram.ts';

export type BusLogger = (message: string) => void;

export interface BusRegion {
  readonly name: string;
  readonly base: number;
  readonly size: number;
  readonly handler: MmioHandler;
}

const FRAME_SHIFT = 12;

function hex(v: number): string {
  return '0x' + (v >>> 0).toString(16).padStart(8, '0');
}

export class Bus {
  readonly ram: Ram;
  readonly regions: BusRegion[] = [];
  /** Region index + 1 per 4 KiB frame; 0 = unmapped. RAM frames hold 0 (checked first). */
  private readonly frameRegion = new Uint16Array(1 << (32 - FRAME_SHIFT));
  /** Per region id - 1: the next region id in the same frame (0 = none). */
  private readonly nextInFrame: number[] = [];
  private readonly log: BusLogger;
  private unmappedLogged = 0;
  readonly unmappedLogLimit: number;
  /** Count of unmapped accesses (reads and writes), for tests and diagnostics. */
  unmappedAccesses = 0;

  constructor(opts: { ram: Ram; logger?: BusLogger; unmappedLogLimit?: number }) {
    this.ram = opts.ram;
    this.log = opts.logger ?? (() => {});
    this.unmappedLogLimit = opts.unmappedLogLimit ?? 20;
  }

  /** Maps a device. Throws (at board construction, never at run time) on overlap or misalignment. */
  map(base: number, size: number, handler: MmioHandler, name: string): void {
    base >>>= 0;
    const first = base >>> FRAME_SHIFT;
    const last = (base + size - 1) >>> FRAME_SHIFT;
    const small = first === last;
    if ((!small && (base & ((1 << FRAME_SHIFT) - 1)) !== 0) || size <= 0 || base + size > 0x100000000) {
      throw new RangeError(`bus: region ${name} at ${hex(base)} size ${size} must lie within one 4 KiB frame or start on a 4 KiB boundary, and fit in 32 bits`);
    }
    if (base < this.ram.size) throw new RangeError(`bus: region ${name} at ${hex(base)} overlaps RAM`);
    for (let f = first; f <= last; f++) {
      for (let id = this.frameRegion[f]!; id !== 0; id = this.nextInFrame[id - 1]!) {
        const other = this.regions[id - 1]!;
        const shares = small && other.size <= (1 << FRAME_SHIFT) && (other.base >>> FRAME_SHIFT) === first;
        if (!shares || (base < other.base + other.size && other.base < base + size)) {
          throw new RangeError(`bus: region ${name} at ${hex(base)} overlaps ${other.name} at ${hex(other.base)}`);
        }
      }
    }
    this.regions.push({ name, base, size, handler });
    const id = this.regions.length;
    this.nextInFrame.push(small ? this.frameRegion[first]! : 0);
    for (let f = first; f <= last; f++) this.frameRegion[f] = id;
  }

  /** The region containing `pa`, if any (RAM excluded). */
  regionAt(pa: number): BusRegion | undefined {
    for (let id = this.frameRegion[(pa >>> 0) >>> FRAME_SHIFT]!; id !== 0; id = this.nextInFrame[id - 1]!) {
      const r = this.regions[id - 1]!;
      if ((pa >>> 0) - r.base >= 0 && (pa >>> 0) - r.base < r.size) return r;
    }
    return undefined;
  }

  /** Big-endian physical read of 1, 2 or 4 bytes (unsigned result). */
  read(pa: number, size: 1 | 2 | 4): number {
    pa >>>= 0;
    const ram = this.ram;
    if (pa + size <= ram.size) {
      return size === 4 ? ram.read32(pa) : size === 2 ? ram.read16(pa) : ram.read8(pa);
    }
    for (let id = this.frameRegion[pa >>> FRAME_SHIFT]!; id !== 0; id = this.nextInFrame[id - 1]!) {
      const r = this.regions[id - 1]!;
      const off = pa - r.base;
      if (off >= 0 && off + size <= r.size) return r.handler.read(off, size) >>> 0;
    }
    this.unmapped('read', pa, size, 0);
    return 0;
  }

  /** Big-endian physical write of 1, 2 or 4 bytes. */
  write(pa: number, size: 1 | 2 | 4, value: number): void {
    pa >>>= 0;
    const ram = this.ram;
    if (pa + size <= ram.size) {
      if (size === 4) ram.write32(pa, value);
      else if (size === 2) ram.write16(pa, value & 0xffff);
      else ram.write8(pa, value & 0xff);
      return;
    }
    for (let id = this.frameRegion[pa >>> FRAME_SHIFT]!; id !== 0; id = this.nextInFrame[id - 1]!) {
      const r = this.regions[id - 1]!;
      const off = pa - r.base;
      if (off >= 0 && off + size <= r.size) {
        r.handler.write(off, size, size === 4 ? value >>> 0 : value & (size === 2 ? 0xffff : 0xff));
        return;
      }
    }
    this.unmapped('write', pa, size, value);
  }

  private unmapped(kind: 'read' | 'write', pa: number, size: number, value: number): void {
    this.unmappedAccesses++;
    if (this.unmappedLogged > this.unmappedLogLimit) return;
    this.unmappedLogged++;
    if (this.unmappedLogged > this.unmappedLogLimit) {
      this.log('bus: further unmapped-access messages suppressed');
      return;
    }
    const what = kind === 'read' ? `read${size * 8}` : `write${size * 8} ${hex(value)}`;
    this.log(`bus: unmapped ${what} at ${hex(pa)} (reads 0, writes ignored)`);
  }
}
