/**
 * The virtio-mmio transport is generic: it pops the available ring, walks
 * each descriptor chain, and pushes the used ring, so a virtio device is only
 * its request handler. A toy device (reverses the bytes of its readable
 * buffers into its writable ones) is written here in a dozen lines and driven
 * through the same register protocol Linux uses.
 */
import { describe, expect, it } from 'vitest';
import { VIRTIO_MMIO as R, VirtioMmio, type VirtioBackend, type VirtioHost } from '../../../emulator/devices/virtio-mmio.ts';
import type { DescriptorChain } from '../../../emulator/devices/virtqueue.ts';
import { FakeIrq, FakeRam } from './fake-ram.ts';
import { TestDriver } from './virtio-driver.ts';

class Reverser implements VirtioBackend {
  readonly deviceId = 0x7e;
  readonly featuresLow = 0;
  readonly featuresHigh = 0;
  readonly queueCount = 1;
  readonly config = Uint8Array.of(0x2a);
  private host!: VirtioHost;
  resets = 0;
  chains: number[] = [];

  attach(host: VirtioHost): void {
    this.host = host;
  }

  handle(_index: number, chain: DescriptorChain): number {
    this.chains.push(chain.head);
    const bytes: number[] = [];
    for (let i = 0; i < chain.readable; i++) for (let k = 0; k < chain.len[i]!; k++) bytes.push(this.host.ram.read8(chain.addr[i]! + k));
    bytes.reverse();
    let n = 0;
    for (let i = chain.readable; i < chain.count; i++) for (let k = 0; k < chain.len[i]! && n < bytes.length; k++) this.host.ram.write8(chain.addr[i]! + k, bytes[n++]!);
    return n;
  }

  reset(): void {
    this.resets++;
  }
}

function setup() {
  const ram = new FakeRam(1 << 20);
  const irq = new FakeIrq();
  const dev = new VirtioMmio({ ram, irq, name: 'slot0' });
  return { ram, irq, dev, drv: new TestDriver(dev, ram) };
}

describe('virtio-mmio transport with a device that is only a request handler', () => {
  it('an empty slot takes a device with plug(): its ID, features, config and queue appear', () => {
    const { dev, drv } = setup();
    expect(drv.rd(R.DEVICE_ID)).toBe(0);
    const toy = new Reverser();
    dev.plug(toy);
    expect(drv.rd(R.DEVICE_ID)).toBe(0x7e);
    expect(dev.read(R.CONFIG, 1)).toBe(0x2a);
    drv.wr(R.QUEUE_SEL, 0);
    expect(drv.rd(R.QUEUE_NUM_MAX)).toBe(1024);
    expect(() => dev.plug(new Reverser())).toThrow('slot0: already holds a virtio device');
  });

  it('serves every available chain in order, fills the used ring and interrupts once per notify', () => {
    const { ram, irq, dev, drv } = setup();
    const toy = new Reverser();
    dev.plug(toy);
    drv.handshake(0);
    ram.writeBytes(0x20000, new TextEncoder().encode('hello'));
    ram.writeBytes(0x20100, new TextEncoder().encode('ab'));
    ram.writeBytes(0x20200, new TextEncoder().encode('cd'));
    const h1 = drv.submit([{ addr: 0x20000, len: 5, write: false }, { addr: 0x21000, len: 8, write: true }], false);
    const h2 = drv.submit([{ addr: 0x20100, len: 2, write: false }, { addr: 0x20200, len: 2, write: false }, { addr: 0x22000, len: 2, write: true }, { addr: 0x22002, len: 2, write: true }], false);
    expect(irq.changes).toBe(0);
    drv.wr(R.QUEUE_NOTIFY, 0);
    expect(toy.chains).toEqual([h1, h2]);
    expect(drv.usedIdx()).toBe(2);
    expect(drv.usedElem(0)).toEqual({ id: h1, len: 5 });
    expect(drv.usedElem(1)).toEqual({ id: h2, len: 4 });
    expect(new TextDecoder().decode(ram.readBytes(0x21000, 5))).toBe('olleh');
    expect(new TextDecoder().decode(ram.readBytes(0x22000, 4))).toBe('dcba');
    expect(irq.level).toBe(true);
    expect(irq.changes).toBe(1);
    drv.wr(R.INTERRUPT_ACK, 1);
    expect(irq.level).toBe(false);
    const resets = toy.resets;
    drv.wr(R.STATUS, 0); // a driver reset reaches the device
    expect(toy.resets).toBe(resets + 1);
  });

  it('a broken chain never reaches the handler: the queue fails and the driver is told to reset', () => {
    const { ram, dev, drv } = setup();
    const toy = new Reverser();
    dev.plug(toy);
    drv.handshake(0);
    drv.submit([{ addr: 0x20000, len: 8, write: true }, { addr: 0x21000, len: 8, write: false }]); // readable after writable
    expect(toy.chains).toEqual([]);
    expect(dev.state.status & 0x40).toBe(0x40); // NEEDS_RESET
    expect(dev.state.interruptStatus & 2).toBe(2); // config change
    expect(ram.readU16LE(0x16000 + 2)).toBe(0);
  });
});
