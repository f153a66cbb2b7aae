/**
 * Fuzz: a hostile guest drives ethoc and virtio-net with random register
 * writes, descriptors, buffer addresses and lengths, while the host feeds
 * random frames. The host never throws, every DMA stays inside guest RAM
 * (FakeRam throws on any access outside it), frames handed to the backend
 * are bounded, and the IRQ line matches the device's own state.
 */
import { describe, expect, it } from 'vitest';
import { swapForSize } from '../../../emulator/device.ts';
import { Ethoc, ETHOC_REG, INT } from '../../../emulator/devices/ethoc.ts';
import { VIRTIO_MMIO as R, VirtioMmio } from '../../../emulator/devices/virtio-mmio.ts';
import { VirtioNet } from '../../../emulator/devices/virtio-net.ts';
import { mulberry32 } from '../../helpers/prng.ts';
import { FakeIrq, FakeRam } from '../devices/fake-ram.ts';
import { RecordingBackend } from './fake-backend.ts';

const RAM = 256 * 1024;

function randomFrame(rnd: () => number): Uint8Array {
  const pick = rnd();
  const len = pick < 0.1 ? Math.floor(rnd() * 14) : pick < 0.9 ? 14 + Math.floor(rnd() * 1500) : Math.floor(rnd() * 70000);
  const f = new Uint8Array(len);
  for (let i = 0; i < len; i++) f[i] = (rnd() * 256) | 0;
  if (len >= 6 && rnd() < 0.5) f.set(rnd() < 0.5 ? [0x52, 0x54, 0x00, 0x12, 0x34, 0x56] : [0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
  return f;
}

/** Mostly addresses inside RAM, sometimes at its edge or far outside. */
function randomAddr(rnd: () => number): number {
  const p = rnd();
  if (p < 0.7) return Math.floor(rnd() * RAM);
  if (p < 0.85) return RAM - Math.floor(rnd() * 2048);
  return (rnd() * 0x1_0000_0000) >>> 0;
}

describe('NIC fuzz (hostile guest, random frames)', () => {
  it('ethoc: random register and descriptor writes, random frames', () => {
    const total = { tx: 0, txDropped: 0, rx: 0, rxDropped: 0 };
    for (let seed = 1; seed <= 40; seed++) {
      const rnd = mulberry32(seed);
      const ram = new FakeRam(RAM);
      const irq = new FakeIrq();
      const nic = new Ethoc({ ram, irq });
      const backend = new RecordingBackend();
      nic.connect(backend);
      backend.attach(nic);
      // Start from a working setup most of the time, so the deep paths run.
      if (rnd() < 0.8) {
        nic.write(ETHOC_REG.TX_BD_NUM, 4, Math.floor(rnd() * 0x90));
        for (let i = 0; i < 128; i++) {
          nic.write(0x400 + 8 * i + 4, 4, randomAddr(rnd));
          nic.write(0x400 + 8 * i, 4, ((Math.floor(rnd() * 0x10000) << 16) | (rnd() < 0.5 ? 0xc000 : 0) | (rnd() < 0.1 ? 0x2000 : 0)) >>> 0);
        }
        nic.write(ETHOC_REG.INT_MASK, 4, 0x1f);
        nic.write(ETHOC_REG.MODER, 4, 0xa000 | 0x3 | (rnd() < 0.2 ? 0x20 : 0) | (rnd() < 0.2 ? 0x4000 : 0));
      }
      for (let step = 0; step < 400; step++) {
        const what = rnd();
        if (what < 0.35) {
          const off = rnd() < 0.5 ? Math.floor(rnd() * 0x58) : 0x400 + Math.floor(rnd() * 0x400);
          const size = ([1, 2, 4] as const)[Math.floor(rnd() * 3)]!;
          nic.write(off, size, (rnd() * 0x1_0000_0000) >>> 0);
        } else if (what < 0.5) {
          nic.read(Math.floor(rnd() * 0x800), ([1, 2, 4] as const)[Math.floor(rnd() * 3)]!);
        } else if (what < 0.6) {
          const i = Math.floor(rnd() * 128);
          nic.write(0x400 + 8 * i, 4, ((Math.floor(rnd() * 0x700) << 16) | 0xe000) >>> 0); // READY/EMPTY|IRQ|WRAP
        } else {
          const f = randomFrame(rnd);
          if (nic.canReceive()) nic.receive(f);
        }
        for (const f of backend.sent) expect(f.length).toBeLessThanOrEqual(65536);
        backend.sent.length = 0;
        const s = nic.state;
        expect(irq.level).toBe((s.intSource & nic.read(ETHOC_REG.INT_MASK, 4)) !== 0);
        expect(s.intSource & ~0x7f).toBe(0);
      }
      total.tx += nic.stats.txFrames;
      total.txDropped += nic.stats.txDropped;
      total.rx += nic.stats.rxFrames;
      total.rxDropped += nic.stats.rxDropped;
    }
    console.log(`ethoc fuzz: ${JSON.stringify(total)}`);
    // The fuzz reaches both the working and the refusing paths.
    expect(total.tx).toBeGreaterThan(10);
    expect(total.txDropped).toBeGreaterThan(0);
    expect(total.rx).toBeGreaterThan(10);
    expect(total.rxDropped).toBeGreaterThan(0);
    expect(INT.BUSY).toBe(0x10);
  });

  it('virtio-net: random rings, descriptors, lengths and frames', () => {
    const total = { tx: 0, txDropped: 0, rx: 0, broken: 0 };
    for (let seed = 1; seed <= 40; seed++) {
      const rnd = mulberry32(1000 + seed);
      const ram = new FakeRam(RAM);
      const irq = new FakeIrq();
      const net = new VirtioNet();
      const backend = new RecordingBackend();
      net.connect(backend);
      backend.attach(net);
      const dev = new VirtioMmio({ ram, irq, backend: net });
      const wr = (off: number, v: number): void => dev.write(off, 4, swapForSize(v >>> 0, 4));
      // A plausible setup, then garbage.
      wr(R.STATUS, 0);
      wr(R.STATUS, 3);
      wr(R.DRIVER_FEATURES_SEL, 1);
      wr(R.DRIVER_FEATURES, 1);
      wr(R.STATUS, 0xb);
      const qsize = [8, 16, 64, 3, 0][Math.floor(rnd() * 5)]!;
      for (let q = 0; q < 2; q++) {
        wr(R.QUEUE_SEL, q);
        wr(R.QUEUE_NUM, qsize);
        wr(R.QUEUE_DESC_LOW, rnd() < 0.9 ? 0x1000 + q * 0x4000 : randomAddr(rnd));
        wr(R.QUEUE_DRIVER_LOW, 0x2000 + q * 0x4000);
        wr(R.QUEUE_DEVICE_LOW, 0x3000 + q * 0x4000);
        wr(R.QUEUE_READY, 1);
      }
      wr(R.STATUS, 0xf);
      for (let step = 0; step < 300; step++) {
        const what = rnd();
        if (what < 0.4) {
          // Random descriptors and ring entries for a random queue, then a notify.
          const q = rnd() < 0.5 ? 0 : 1;
          const base = 0x1000 + q * 0x4000;
          for (let k = 0; k < 4; k++) {
            const d = base + 16 * Math.floor(rnd() * 64);
            ram.writeU32LE(d, randomAddr(rnd));
            ram.writeU32LE(d + 4, rnd() < 0.95 ? 0 : (rnd() * 0xffffffff) >>> 0);
            ram.writeU32LE(d + 8, rnd() < 0.8 ? Math.floor(rnd() * 2000) : (rnd() * 0xffffffff) >>> 0);
            ram.writeU16LE(d + 12, Math.floor(rnd() * 8));
            ram.writeU16LE(d + 14, Math.floor(rnd() * 80));
          }
          const avail = 0x2000 + q * 0x4000;
          ram.writeU16LE(avail + 4 + 2 * Math.floor(rnd() * 64), Math.floor(rnd() * 80));
          ram.writeU16LE(avail + 2, (ram.readU16LE(avail + 2) + Math.floor(rnd() * 3)) & 0xffff);
          wr(R.QUEUE_NOTIFY, q);
        } else if (what < 0.5) {
          wr(Math.floor(rnd() * 0x40) * 4, (rnd() * 0x1_0000_0000) >>> 0);
        } else if (what < 0.55) {
          dev.read(Math.floor(rnd() * 0x120), ([1, 2, 4] as const)[Math.floor(rnd() * 3)]!);
        } else {
          const f = randomFrame(rnd);
          if (net.canReceive()) net.receive(f);
        }
        for (const f of backend.sent) {
          expect(f.length).toBeGreaterThanOrEqual(14);
          expect(f.length).toBeLessThanOrEqual(65536);
        }
        backend.sent.length = 0;
        expect(irq.level).toBe(dev.state.interruptStatus !== 0);
      }
      total.tx += net.stats.txFrames;
      total.txDropped += net.stats.txDropped;
      total.rx += net.stats.rxFrames;
      if (dev.state.status & 0x40) total.broken++;
    }
    console.log(`virtio-net fuzz: ${JSON.stringify(total)}`);
    expect(total.tx + total.txDropped).toBeGreaterThan(0);
    expect(total.broken).toBeGreaterThan(0);
  });
});
