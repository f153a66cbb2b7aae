import { describe, expect, it } from 'vitest';
import { swapForSize } from '../../../emulator/device.ts';
import { VIRTIO_MMIO as R, VirtioMmio } from '../../../emulator/devices/virtio-mmio.ts';
import { VirtioNet, VIRTIO_NET_F, VIRTIO_NET_HDR_BYTES } from '../../../emulator/devices/virtio-net.ts';
import { parseMac } from '../../../emulator/net/netdev.ts';
import { RecordingBackend, testFrame } from '../net/fake-backend.ts';
import { FakeIrq, FakeRam } from './fake-ram.ts';

const QSIZE = 64;
/** Per queue: descriptor table, available ring, used ring. */
const RINGS = [
  { desc: 0x10000, avail: 0x11000, used: 0x12000 },
  { desc: 0x20000, avail: 0x21000, used: 0x22000 },
];
const BUFS = 0x40000;

/** The Linux virtio-net probe sequence over the register block, then helpers to post buffers on either queue. */
class NetDriver {
  readonly availIdx = [0, 0];
  readonly nextDesc = [0, 0];
  readonly seenUsed = [0, 0];
  constructor(readonly dev: VirtioMmio, readonly ram: FakeRam) {}
  rd(off: number): number { return swapForSize(this.dev.read(off, 4), 4); }
  wr(off: number, v: number): void { this.dev.write(off, 4, swapForSize(v >>> 0, 4)); }

  probe(driverLow = VIRTIO_NET_F.MAC | VIRTIO_NET_F.STATUS, driverOk = true): void {
    this.wr(R.STATUS, 0);
    this.wr(R.STATUS, 3);
    this.wr(R.DEVICE_FEATURES_SEL, 0);
    const low = this.rd(R.DEVICE_FEATURES);
    this.wr(R.DRIVER_FEATURES_SEL, 1);
    this.wr(R.DRIVER_FEATURES, 1);
    this.wr(R.DRIVER_FEATURES_SEL, 0);
    this.wr(R.DRIVER_FEATURES, driverLow & low);
    this.wr(R.STATUS, 0x0b);
    for (let q = 0; q < 2; q++) {
      this.wr(R.QUEUE_SEL, q);
      this.wr(R.QUEUE_NUM, QSIZE);
      this.wr(R.QUEUE_DESC_LOW, RINGS[q]!.desc);
      this.wr(R.QUEUE_DRIVER_LOW, RINGS[q]!.avail);
      this.wr(R.QUEUE_DEVICE_LOW, RINGS[q]!.used);
      this.wr(R.QUEUE_READY, 1);
    }
    if (driverOk) this.wr(R.STATUS, 0x0f);
  }

  /** Publishes a chain of buffers on queue `q` (without notifying). */
  post(q: number, bufs: Array<{ addr: number; len: number; write: boolean }>): number {
    const r = RINGS[q]!;
    const head = this.nextDesc[q]!;
    bufs.forEach((b, i) => {
      const idx = (head + i) % QSIZE;
      const d = r.desc + 16 * idx;
      this.ram.writeU32LE(d, b.addr);
      this.ram.writeU32LE(d + 4, 0);
      this.ram.writeU32LE(d + 8, b.len);
      const last = i === bufs.length - 1;
      this.ram.writeU16LE(d + 12, (last ? 0 : 1) | (b.write ? 2 : 0));
      this.ram.writeU16LE(d + 14, last ? 0 : (idx + 1) % QSIZE);
    });
    this.nextDesc[q] = (head + bufs.length) % QSIZE;
    this.ram.writeU16LE(r.avail + 4 + 2 * (this.availIdx[q]! % QSIZE), head);
    this.availIdx[q] = (this.availIdx[q]! + 1) & 0xffff;
    this.ram.writeU16LE(r.avail + 2, this.availIdx[q]!);
    return head;
  }

  notify(q: number): void { this.wr(R.QUEUE_NOTIFY, q); }
  usedIdx(q: number): number { return this.ram.readU16LE(RINGS[q]!.used + 2); }
  used(q: number, i: number): { id: number; len: number } {
    const e = RINGS[q]!.used + 4 + 8 * (i % QSIZE);
    return { id: this.ram.readU32LE(e), len: this.ram.readU32LE(e + 4) };
  }
}

function setup(mac?: string) {
  const ram = new FakeRam(1 << 20);
  const irq = new FakeIrq();
  const net = new VirtioNet({ mac: mac ? parseMac(mac) : undefined });
  const backend = new RecordingBackend();
  net.connect(backend);
  backend.attach(net);
  const dev = new VirtioMmio({ ram, irq, backend: net, name: 'slot7' });
  const drv = new NetDriver(dev, ram);
  return { ram, irq, net, backend, dev, drv };
}

describe('virtio-net-device', () => {
  it('is device 1 offering MAC and STATUS (plus VERSION_1), with the MAC and link-up in config space', () => {
    const { drv, dev } = setup('52:54:00:aa:bb:cc');
    expect(drv.rd(R.DEVICE_ID)).toBe(1);
    drv.wr(R.DEVICE_FEATURES_SEL, 0);
    expect(drv.rd(R.DEVICE_FEATURES)).toBe((1 << 5) | (1 << 16));
    drv.wr(R.DEVICE_FEATURES_SEL, 1);
    expect(drv.rd(R.DEVICE_FEATURES)).toBe(1);
    // Config bytes as the CPU's byte loads see them (virtio_cread8 per MAC byte), status as a 16-bit LE field.
    const mac = Array.from({ length: 6 }, (_, i) => dev.read(R.CONFIG + i, 1));
    expect(mac).toEqual([0x52, 0x54, 0x00, 0xaa, 0xbb, 0xcc]);
    expect(swapForSize(dev.read(R.CONFIG + 6, 2), 2)).toBe(1);
    // Two queues (receive, transmit), no control queue.
    drv.wr(R.QUEUE_SEL, 1);
    expect(drv.rd(R.QUEUE_NUM_MAX)).toBeGreaterThan(0);
    drv.wr(R.QUEUE_SEL, 2);
    expect(drv.rd(R.QUEUE_NUM_MAX)).toBe(0);
  });

  it('defaults to QEMU\'s first MAC, 52:54:00:12:34:56', () => {
    const { net } = setup();
    expect(Array.from(net.config.subarray(0, 6))).toEqual([0x52, 0x54, 0x00, 0x12, 0x34, 0x56]);
  });

  it('transmits: skips the 12-byte header, hands the frame (split over buffers) to the backend, interrupts', () => {
    const { drv, ram, backend, irq, net } = setup();
    drv.probe();
    const frame = testFrame(98, 1);
    ram.bytes.fill(0xee, BUFS, BUFS + VIRTIO_NET_HDR_BYTES);
    ram.bytes.set(frame.subarray(0, 20), BUFS + 0x100);
    ram.bytes.set(frame.subarray(20), BUFS + 0x200);
    const head = drv.post(1, [{ addr: BUFS, len: 12, write: false }, { addr: BUFS + 0x100, len: 20, write: false }, { addr: BUFS + 0x200, len: 78, write: false }]);
    drv.notify(1);
    expect(backend.sent).toEqual([frame]);
    expect(drv.usedIdx(1)).toBe(1);
    expect(drv.used(1, 0)).toEqual({ id: head, len: 0 });
    expect(irq.level).toBe(true);
    expect(net.stats).toMatchObject({ txFrames: 1, txBytes: 98, txDropped: 0 });
  });

  it('drops a transmit chain shorter than header + ethernet header, and goes on', () => {
    const { drv, backend, net } = setup();
    drv.probe();
    drv.post(1, [{ addr: BUFS, len: 12 + 13, write: false }]);
    drv.post(1, [{ addr: BUFS, len: 12 + 60, write: false }]);
    drv.notify(1);
    expect(backend.sent.length).toBe(1);
    expect(drv.usedIdx(1)).toBe(2);
    expect(net.stats.txDropped).toBe(1);
  });

  it('keeps receive buffers until a frame arrives, then writes header (num_buffers 1) and frame', () => {
    const { drv, ram, backend, irq } = setup();
    drv.probe();
    expect(backend.frontend!.canReceive()).toBe(false); // no buffers yet
    ram.bytes.fill(0xee, BUFS, BUFS + 0x1000);
    const h0 = drv.post(0, [{ addr: BUFS, len: 12 + 1518, write: true }]);
    const h1 = drv.post(0, [{ addr: BUFS + 0x800, len: 12 + 1518, write: true }]);
    drv.notify(0);
    expect(drv.usedIdx(0)).toBe(0); // notify alone consumes nothing
    expect(irq.level).toBe(false);
    expect(backend.frontend!.canReceive()).toBe(true);
    const f = testFrame(60, 2);
    expect(backend.deliver(f)).toBe(true);
    expect(drv.usedIdx(0)).toBe(1);
    expect(drv.used(0, 0)).toEqual({ id: h0, len: 12 + 60 });
    expect(Array.from(ram.bytes.subarray(BUFS, BUFS + 12))).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0]);
    expect(ram.bytes.subarray(BUFS + 12, BUFS + 72)).toEqual(f);
    expect(ram.bytes[BUFS + 72]).toBe(0xee);
    expect(irq.level).toBe(true);
    const big = testFrame(1514, 3);
    expect(backend.deliver(big)).toBe(true);
    expect(drv.used(0, 1)).toEqual({ id: h1, len: 12 + 1514 });
    expect(ram.bytes.subarray(BUFS + 0x800 + 12, BUFS + 0x800 + 12 + 1514)).toEqual(big);
    expect(backend.frontend!.canReceive()).toBe(false); // both buffers used
    expect(backend.deliver(f)).toBe(false);
  });

  it('writes a frame across a chain whose header and data are separate buffers', () => {
    const { drv, ram, backend } = setup();
    drv.probe();
    drv.post(0, [{ addr: BUFS, len: 5, write: true }, { addr: BUFS + 0x100, len: 10, write: true }, { addr: BUFS + 0x200, len: 2000, write: true }]);
    const f = testFrame(100, 4);
    expect(backend.deliver(f)).toBe(true);
    const stream = new Uint8Array([...ram.bytes.subarray(BUFS, BUFS + 5), ...ram.bytes.subarray(BUFS + 0x100, BUFS + 0x10a), ...ram.bytes.subarray(BUFS + 0x200, BUFS + 0x200 + 97)]);
    expect(stream[10]).toBe(1);
    expect(stream.subarray(12)).toEqual(f);
  });

  it('drops a frame too big for the next buffer but keeps the buffer for the next frame', () => {
    const { drv, backend, net } = setup();
    drv.probe();
    const head = drv.post(0, [{ addr: BUFS, len: 12 + 100, write: true }]);
    expect(backend.deliver(testFrame(200))).toBe(false);
    expect(net.stats.rxDropped).toBe(1);
    expect(drv.usedIdx(0)).toBe(0);
    expect(backend.deliver(testFrame(100))).toBe(true);
    expect(drv.used(0, 0)).toEqual({ id: head, len: 112 });
  });

  it('receives nothing before DRIVER_OK, and nothing after a reset until set up again', () => {
    const { drv, backend } = setup();
    drv.probe(VIRTIO_NET_F.MAC, false);
    drv.post(0, [{ addr: BUFS, len: 2000, write: true }]);
    expect(backend.frontend!.canReceive()).toBe(false);
    drv.wr(R.STATUS, 0x0f);
    expect(backend.frontend!.canReceive()).toBe(true);
    drv.wr(R.STATUS, 0);
    expect(backend.frontend!.canReceive()).toBe(false);
    expect(backend.resets).toBe(0); // a driver reset is not a reboot: the backend keeps its state
  });
});
