import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MemoryBlockBackend } from '../../../emulator/devices/block-backend.ts';
import { VirtioBlk, VIRTIO_BLK_F, VIRTIO_BLK_S, VIRTIO_BLK_T } from '../../../emulator/devices/virtio-blk.ts';
import { VIRTIO_MMIO as R, VirtioMmio } from '../../../emulator/devices/virtio-mmio.ts';
import { FakeIrq, FakeRam } from './fake-ram.ts';
import { AVAIL, DESC, QSIZE, TestDriver } from './virtio-driver.ts';

const HDR = 0x20000;
const DATA = 0x30000;
const STATUS = 0x2f000;

function setup(options: { sectors?: number; readOnly?: boolean; serial?: string; log?: (m: string) => void } = {}) {
  const ram = new FakeRam(1 << 20);
  const irq = new FakeIrq();
  const image = new Uint8Array((options.sectors ?? 64) * 512);
  for (let i = 0; i < image.length; i++) image[i] = (i * 7 + (i >>> 9)) & 0xff;
  const disk = new MemoryBlockBackend(image, { readOnly: options.readOnly });
  const blk = new VirtioBlk({ disk, serial: options.serial });
  const dev = new VirtioMmio({ ram, irq, backend: blk, name: 'slot7', log: options.log });
  const drv = new TestDriver(dev, ram);
  return { ram, irq, image, disk, blk, dev, drv };
}

describe('virtio-mmio transport', () => {
  it('identifies itself like QEMU: magic "virt", version 2, block device, vendor QEMU', () => {
    const { drv } = setup();
    expect(drv.rd(R.MAGIC_VALUE)).toBe(0x74726976);
    expect(drv.rd(R.VERSION)).toBe(2);
    expect(drv.rd(R.DEVICE_ID)).toBe(2);
    expect(drv.rd(R.VENDOR_ID)).toBe(0x554d4551);
  });

  it('presents an empty slot as DeviceID 0 (Linux skips it)', () => {
    const ram = new FakeRam(4096);
    const dev = new VirtioMmio({ ram, irq: new FakeIrq() });
    const drv = new TestDriver(dev, ram);
    expect(drv.rd(R.MAGIC_VALUE)).toBe(0x74726976);
    expect(drv.rd(R.VERSION)).toBe(2);
    expect(drv.rd(R.DEVICE_ID)).toBe(0);
    drv.wr(R.STATUS, 1);
    expect(drv.rd(R.STATUS)).toBe(0);
  });

  it('follows the reference handshake register sequence (qemu-virtio-mmio-trace.log)', () => {
    const { drv, dev, blk } = setup({ sectors: 32768 });
    // read magic/version/devid/vendor; Status=0; read back 0
    drv.wr(R.STATUS, 0);
    expect(drv.rd(R.STATUS)).toBe(0);
    drv.wr(R.STATUS, 1);
    drv.wr(R.STATUS, 3);
    drv.wr(R.DEVICE_FEATURES_SEL, 1);
    expect(drv.rd(R.DEVICE_FEATURES)).toBe(1); // VERSION_1 (bit 32)
    drv.wr(R.DEVICE_FEATURES_SEL, 0);
    const low = drv.rd(R.DEVICE_FEATURES);
    expect(low).toBe(VIRTIO_BLK_F.SEG_MAX | VIRTIO_BLK_F.BLK_SIZE | VIRTIO_BLK_F.FLUSH);
    expect(low & ((1 << 28) | (1 << 29))).toBe(0); // no INDIRECT_DESC / EVENT_IDX
    drv.wr(R.DRIVER_FEATURES_SEL, 1);
    drv.wr(R.DRIVER_FEATURES, 1);
    drv.wr(R.DRIVER_FEATURES_SEL, 0);
    drv.wr(R.DRIVER_FEATURES, 0x30006e54); // what Linux wrote to QEMU: only offered bits stick
    expect(dev.state.status).toBe(3);
    drv.wr(R.STATUS, 0x0b);
    expect(drv.rd(R.STATUS)).toBe(0x0b);
    drv.wr(R.QUEUE_SEL, 0);
    expect(drv.rd(R.QUEUE_READY)).toBe(0);
    expect(drv.rd(R.QUEUE_NUM_MAX)).toBe(1024);
    drv.wr(R.QUEUE_NUM, 0x400);
    drv.wr(R.QUEUE_DESC_LOW, 0x10000);
    drv.wr(R.QUEUE_DESC_HIGH, 0);
    drv.wr(R.QUEUE_DRIVER_LOW, 0x20000);
    drv.wr(R.QUEUE_DRIVER_HIGH, 0);
    drv.wr(R.QUEUE_DEVICE_LOW, 0x30000);
    drv.wr(R.QUEUE_DEVICE_HIGH, 0);
    drv.wr(R.QUEUE_READY, 1);
    expect(drv.rd(R.QUEUE_READY)).toBe(1);
    // config reads: seg_max, blk_size, capacity with ConfigGeneration around
    expect(drv.rd(0x10c)).toBe(126);
    expect(drv.rd(0x114)).toBe(512);
    expect(drv.rd(R.CONFIG_GENERATION)).toBe(0);
    expect(drv.rd(0x100)).toBe(32768);
    expect(drv.rd(0x104)).toBe(0);
    drv.wr(R.STATUS, 0x0f);
    expect(drv.rd(R.STATUS)).toBe(0x0f);
    expect(blk.capacitySectors).toBe(32768);
    // Queue 1 does not exist.
    drv.wr(R.QUEUE_SEL, 1);
    expect(drv.rd(R.QUEUE_NUM_MAX)).toBe(0);
    // Status=0 resets the device (poweroff path).
    drv.wr(R.STATUS, 0);
    expect(drv.rd(R.STATUS)).toBe(0);
    drv.wr(R.QUEUE_SEL, 0);
    expect(drv.rd(R.QUEUE_READY)).toBe(0);
  });

  it('ignores notifications before DRIVER_OK and narrow register writes', () => {
    const { drv, dev, ram } = setup();
    drv.wr(R.STATUS, 1);
    dev.write(R.STATUS, 2, 0x0f00);
    expect(drv.rd(R.STATUS)).toBe(1);
    drv.header(HDR, VIRTIO_BLK_T.IN, 0);
    ram.write8(STATUS, 0xee);
    drv.wr(R.QUEUE_NOTIFY, 0);
    expect(ram.bytes[STATUS]).toBe(0xee);
  });

  it('keeps FEATURES_OK clear when the driver did not accept VERSION_1', () => {
    const { drv } = setup();
    drv.wr(R.STATUS, 3);
    drv.wr(R.DRIVER_FEATURES_SEL, 0);
    drv.wr(R.DRIVER_FEATURES, 4);
    drv.wr(R.STATUS, 0x0b);
    expect(drv.rd(R.STATUS) & 8).toBe(0);
  });

  it('config space reads in bytes and halves return little-endian fields in bus order', () => {
    const { dev } = setup({ sectors: 0x12345 });
    // capacity = 0x00012345: bytes 45 23 01 00
    expect(dev.read(0x100, 1)).toBe(0x45);
    expect(dev.read(0x101, 1)).toBe(0x23);
    expect(dev.read(0x100, 2)).toBe(0x4523); // BE view of LE bytes; readw swaps back to 0x2345
    expect(dev.read(0x100, 4)).toBe(0x45230100);
    // narrow register accesses read 0
    expect(dev.read(0x000, 2)).toBe(0);
  });
});

describe('virtio-blk requests through real virtqueues', () => {
  it('IN: reads sectors into guest buffers, completes the used ring, raises and acks the IRQ', () => {
    const { drv, ram, irq, image, blk } = setup();
    drv.handshake(0xffffffff);
    drv.header(HDR, VIRTIO_BLK_T.IN, 3);
    ram.write8(STATUS, 0xff);
    const head = drv.submit([
      { addr: HDR, len: 16, write: false },
      { addr: DATA, len: 1024, write: true },
      { addr: DATA + 0x1000, len: 512, write: true },
      { addr: STATUS, len: 1, write: true },
    ]);
    expect(ram.bytes[STATUS]).toBe(VIRTIO_BLK_S.OK);
    expect(ram.bytes.slice(DATA, DATA + 1024)).toEqual(image.slice(3 * 512, 5 * 512));
    expect(ram.bytes.slice(DATA + 0x1000, DATA + 0x1200)).toEqual(image.slice(5 * 512, 6 * 512));
    expect(drv.usedIdx()).toBe(1);
    expect(drv.usedElem(0)).toEqual({ id: head, len: 1537 });
    expect(irq.level).toBe(true);
    expect(drv.rd(R.INTERRUPT_STATUS)).toBe(1);
    drv.wr(R.INTERRUPT_ACK, 1);
    expect(irq.level).toBe(false);
    expect(blk.stats.reads).toBe(1);
  });

  it('OUT then IN round-trips; header and data may share a descriptor split anywhere', () => {
    const { drv, ram, image } = setup();
    drv.handshake(0xffffffff);
    // header(16) + data(512) in one readable buffer split as 10 + 518
    drv.header(HDR, VIRTIO_BLK_T.OUT, 7);
    for (let i = 0; i < 512; i++) ram.bytes[HDR + 16 + i] = 255 - (i & 0xff);
    drv.submit([
      { addr: HDR, len: 10, write: false },
      { addr: HDR + 10, len: 518, write: false },
      { addr: STATUS, len: 1, write: true },
    ]);
    expect(ram.bytes[STATUS]).toBe(VIRTIO_BLK_S.OK);
    expect(drv.usedElem(0).len).toBe(1);
    expect(image.slice(7 * 512, 8 * 512)).toEqual(ram.bytes.slice(HDR + 16, HDR + 528));
  });

  it('FLUSH calls the backend; GET_ID returns the serial (20 bytes max)', () => {
    const { drv, ram, disk } = setup({ serial: 'mkrootfs-disk-serial-0123' });
    drv.handshake(0xffffffff);
    drv.header(HDR, VIRTIO_BLK_T.FLUSH, 0);
    drv.submit([{ addr: HDR, len: 16, write: false }, { addr: STATUS, len: 1, write: true }]);
    expect(ram.bytes[STATUS]).toBe(VIRTIO_BLK_S.OK);
    expect(disk.flushes).toBe(1);
    drv.header(HDR, VIRTIO_BLK_T.GET_ID, 0);
    ram.write8(STATUS, 0xff);
    drv.submit([{ addr: HDR, len: 16, write: false }, { addr: DATA, len: 20, write: true }, { addr: STATUS, len: 1, write: true }]);
    expect(ram.bytes[STATUS]).toBe(VIRTIO_BLK_S.OK);
    expect(new TextDecoder().decode(ram.bytes.slice(DATA, DATA + 20))).toBe('mkrootfs-disk-serial');
  });

  it('answers bad requests with IOERR / UNSUPP and keeps working', () => {
    const { drv, ram, image } = setup({ sectors: 64 });
    drv.handshake(0xffffffff);
    const before = image.slice();
    const cases: Array<[string, number, number, number, number]> = [
      // name, type, sector, data length, expected status
      ['read past the end', VIRTIO_BLK_T.IN, 63, 1024, VIRTIO_BLK_S.IOERR],
      ['read at a huge sector', VIRTIO_BLK_T.IN, 2 ** 40, 512, VIRTIO_BLK_S.IOERR],
      ['partial sector', VIRTIO_BLK_T.IN, 0, 100, VIRTIO_BLK_S.IOERR],
      ['write past the end', VIRTIO_BLK_T.OUT, 64, 512, VIRTIO_BLK_S.IOERR],
      ['unknown type', 99, 0, 0, VIRTIO_BLK_S.UNSUPP],
      ['discard (not offered)', 11, 0, 0, VIRTIO_BLK_S.UNSUPP],
    ];
    for (const [name, type, sector, len, status] of cases) {
      drv.header(HDR, type, sector);
      ram.write8(STATUS, 0xee);
      const write = type !== VIRTIO_BLK_T.OUT;
      const bufs = [{ addr: HDR, len: 16, write: false }];
      if (len) bufs.push({ addr: DATA, len, write });
      bufs.push({ addr: STATUS, len: 1, write: true });
      drv.submit(bufs);
      expect(ram.bytes[STATUS], name).toBe(status);
    }
    // a short header is an I/O error, not a crash
    ram.write8(STATUS, 0xee);
    drv.submit([{ addr: HDR, len: 8, write: false }, { addr: STATUS, len: 1, write: true }]);
    expect(ram.bytes[STATUS]).toBe(VIRTIO_BLK_S.IOERR);
    expect(image).toEqual(before);
    // and a good request still works afterwards
    drv.header(HDR, VIRTIO_BLK_T.IN, 0);
    drv.submit([{ addr: HDR, len: 16, write: false }, { addr: DATA, len: 512, write: true }, { addr: STATUS, len: 1, write: true }]);
    expect(ram.bytes[STATUS]).toBe(VIRTIO_BLK_S.OK);
  });

  it('refuses writes to a read-only disk (offers VIRTIO_BLK_F_RO)', () => {
    const { drv, ram, image } = setup({ readOnly: true });
    const f = drv.handshake(0xffffffff);
    expect(f.low & VIRTIO_BLK_F.RO).toBe(VIRTIO_BLK_F.RO);
    drv.header(HDR, VIRTIO_BLK_T.OUT, 0);
    ram.bytes.fill(0x55, HDR + 16, HDR + 528);
    drv.submit([{ addr: HDR, len: 528, write: false }, { addr: STATUS, len: 1, write: true }]);
    expect(ram.bytes[STATUS]).toBe(VIRTIO_BLK_S.IOERR);
    expect(image[0]).toBe(0);
  });

  it('a host I/O error (backend returns false or throws) becomes IOERR', () => {
    const { drv, ram, disk } = setup();
    drv.handshake(0xffffffff);
    disk.read = () => { throw new Error('EIO'); };
    drv.header(HDR, VIRTIO_BLK_T.IN, 0);
    drv.submit([{ addr: HDR, len: 16, write: false }, { addr: DATA, len: 512, write: true }, { addr: STATUS, len: 1, write: true }]);
    expect(ram.bytes[STATUS]).toBe(VIRTIO_BLK_S.IOERR);
  });

  it('a descriptor loop or out-of-RAM buffer breaks the queue (NEEDS_RESET), no hang, no crash', () => {
    const logged: string[] = [];
    const { drv, ram, irq } = setup({ log: (m) => logged.push(m) });
    drv.handshake(0xffffffff);
    // Two descriptors pointing at each other.
    for (const [i, next] of [[0, 1], [1, 0]] as const) {
      const d = DESC + 16 * i;
      ram.writeU32LE(d, HDR);
      ram.writeU32LE(d + 8, 16);
      ram.writeU16LE(d + 12, 1);
      ram.writeU16LE(d + 14, next);
    }
    ram.writeU16LE(AVAIL + 4, 0);
    ram.writeU16LE(AVAIL + 2, 1);
    drv.wr(R.QUEUE_NOTIFY, 0);
    expect(drv.rd(R.STATUS) & 0x40).toBe(0x40);
    expect(drv.rd(R.INTERRUPT_STATUS) & 2).toBe(2);
    expect(irq.level).toBe(true);
    expect(drv.usedIdx()).toBe(0);
    expect(logged).toEqual(['slot7: guest broke the virtqueue protocol (descriptor chain loops or is longer than the queue); device needs a reset']);
    // After reset and a new handshake the device works again.
    drv.availIdx = 0;
    drv.nextDesc = 0;
    ram.bytes.fill(0, AVAIL, AVAIL + 0x100);
    drv.handshake(0xffffffff);
    drv.header(HDR, VIRTIO_BLK_T.IN, 0);
    drv.submit([{ addr: HDR, len: 16, write: false }, { addr: 0xfff00, len: 0x200, write: true }, { addr: STATUS, len: 1, write: true }]);
    expect(ram.bytes[STATUS]).toBe(VIRTIO_BLK_S.OK);
    drv.header(HDR, VIRTIO_BLK_T.IN, 0);
    drv.submit([{ addr: HDR, len: 16, write: false }, { addr: 0xfff00, len: 0x400, write: true }, { addr: STATUS, len: 1, write: true }]);
    expect(drv.rd(R.STATUS) & 0x40).toBe(0x40);
  });

  it('rejects rings outside RAM at QueueReady', () => {
    const { drv } = setup();
    drv.wr(R.STATUS, 1); drv.wr(R.STATUS, 3);
    drv.wr(R.DRIVER_FEATURES_SEL, 1); drv.wr(R.DRIVER_FEATURES, 1);
    drv.wr(R.STATUS, 0x0b);
    drv.wr(R.QUEUE_NUM, 1024);
    drv.wr(R.QUEUE_DESC_LOW, 0xffff0000);
    drv.wr(R.QUEUE_DRIVER_LOW, AVAIL);
    drv.wr(R.QUEUE_DEVICE_LOW, 0x16000);
    drv.wr(R.QUEUE_READY, 1);
    drv.wr(R.STATUS, 0x0f);
    expect(() => drv.wr(R.QUEUE_NOTIFY, 0)).not.toThrow();
    expect(drv.usedIdx()).toBe(0);
  });

  it('property: arbitrary descriptor tables, avail rings and headers never crash the host or touch RAM out of range', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 16 * QSIZE, maxLength: 16 * QSIZE }),
        fc.array(fc.integer({ min: 0, max: 0xffff }), { minLength: 1, maxLength: 8 }),
        fc.integer({ min: 0, max: 0xffff }),
        fc.uint8Array({ minLength: 16, maxLength: 16 }),
        (descBytes, ring, availIdx, header) => {
          const { drv, ram, dev, irq } = setup({ sectors: 16 });
          drv.handshake(0xffffffff);
          // Point descriptors mostly into RAM so some chains are walkable.
          ram.bytes.set(descBytes, DESC);
          for (let i = 0; i < QSIZE; i++) {
            const d = DESC + 16 * i;
            if (descBytes[i]! & 1) {
              ram.writeU32LE(d, 0x20000 + ((ram.readU32LE(d) & 0xffff) >>> 0));
              ram.writeU32LE(d + 4, 0);
              ram.writeU32LE(d + 8, ram.readU32LE(d + 8) & 0x3ff);
            }
          }
          ram.bytes.set(header, 0x20000);
          ring.forEach((h, i) => ram.writeU16LE(AVAIL + 4 + 2 * i, h));
          ram.writeU16LE(AVAIL + 2, availIdx);
          drv.wr(R.QUEUE_NOTIFY, 0);
          drv.wr(R.QUEUE_NOTIFY, 0);
          // Invariants: used index never runs past what was offered; IRQ level matches status.
          const used = drv.usedIdx();
          expect(used).toBeLessThanOrEqual(Math.min(availIdx, QSIZE * 2));
          expect(irq.level).toBe(dev.state.interruptStatus !== 0);
        },
      ),
      { numRuns: 300 },
    );
  });
});
