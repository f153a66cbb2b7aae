/**
 * A minimal virtio-mmio driver for tests: performs the Linux handshake through
 * the register block (as the big-endian CPU would: values byte-swapped) and
 * builds split-virtqueue requests in a FakeRam.
 */
import { swapForSize } from '../../../emulator/device.ts';
import { VIRTIO_MMIO as R, type VirtioMmio } from '../../../emulator/devices/virtio-mmio.ts';
import type { FakeRam } from './fake-ram.ts';

export const DESC = 0x10000;
export const AVAIL = 0x14000;
export const USED = 0x16000;
export const QSIZE = 128;

export interface Buf { addr: number; len: number; write: boolean }

export class TestDriver {
  availIdx = 0;
  nextDesc = 0;
  constructor(readonly dev: VirtioMmio, readonly ram: FakeRam) {}

  rd(off: number): number { return swapForSize(this.dev.read(off, 4), 4); }
  wr(off: number, v: number): void { this.dev.write(off, 4, swapForSize(v >>> 0, 4)); }

  /** The handshake of reference/qemu-virtio-mmio-trace.log; returns the device features. */
  handshake(driverLow: number): { low: number; high: number } {
    this.wr(R.STATUS, 0);
    this.wr(R.STATUS, 1);
    this.wr(R.STATUS, 3);
    this.wr(R.DEVICE_FEATURES_SEL, 1);
    const high = this.rd(R.DEVICE_FEATURES);
    this.wr(R.DEVICE_FEATURES_SEL, 0);
    const low = this.rd(R.DEVICE_FEATURES);
    this.wr(R.DRIVER_FEATURES_SEL, 1);
    this.wr(R.DRIVER_FEATURES, 1);
    this.wr(R.DRIVER_FEATURES_SEL, 0);
    this.wr(R.DRIVER_FEATURES, driverLow & low);
    this.wr(R.STATUS, 0x0b);
    this.wr(R.QUEUE_SEL, 0);
    this.wr(R.QUEUE_NUM, QSIZE);
    this.wr(R.QUEUE_DESC_LOW, DESC);
    this.wr(R.QUEUE_DESC_HIGH, 0);
    this.wr(R.QUEUE_DRIVER_LOW, AVAIL);
    this.wr(R.QUEUE_DRIVER_HIGH, 0);
    this.wr(R.QUEUE_DEVICE_LOW, USED);
    this.wr(R.QUEUE_DEVICE_HIGH, 0);
    this.wr(R.QUEUE_READY, 1);
    this.wr(R.STATUS, 0x0f);
    return { low, high };
  }

  /** Writes a chain of descriptors and publishes it; returns the head index. */
  submit(bufs: Buf[], notify = true): number {
    const head = this.nextDesc;
    bufs.forEach((b, i) => {
      const idx = (head + i) % QSIZE;
      const d = DESC + 16 * idx;
      this.ram.writeU32LE(d, b.addr);
      this.ram.writeU32LE(d + 4, 0);
      this.ram.writeU32LE(d + 8, b.len);
      const last = i === bufs.length - 1;
      this.ram.writeU16LE(d + 12, (last ? 0 : 1) | (b.write ? 2 : 0));
      this.ram.writeU16LE(d + 14, last ? 0 : (idx + 1) % QSIZE);
    });
    this.nextDesc = (head + bufs.length) % QSIZE;
    this.ram.writeU16LE(AVAIL + 4 + 2 * (this.availIdx % QSIZE), head);
    this.availIdx = (this.availIdx + 1) & 0xffff;
    this.ram.writeU16LE(AVAIL + 2, this.availIdx);
    if (notify) this.wr(R.QUEUE_NOTIFY, 0);
    return head;
  }

  usedIdx(): number { return this.ram.readU16LE(USED + 2); }
  usedElem(i: number): { id: number; len: number } {
    const e = USED + 4 + 8 * (i % QSIZE);
    return { id: this.ram.readU32LE(e), len: this.ram.readU32LE(e + 4) };
  }

  /** Writes a 16-byte virtio-blk request header at `addr`. */
  header(addr: number, type: number, sector: number): void {
    this.ram.writeU32LE(addr, type);
    this.ram.writeU32LE(addr + 4, 0);
    this.ram.writeU32LE(addr + 8, sector % 2 ** 32);
    this.ram.writeU32LE(addr + 12, Math.floor(sector / 2 ** 32));
  }
}
