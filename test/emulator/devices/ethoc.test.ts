import { crc32 } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { Ethoc, ETHOC_REG as R, INT, MODER, PHY_ID, RXD, TXD } from '../../../emulator/devices/ethoc.ts';
import { etherCrc } from '../../../emulator/net/ether-crc.ts';
import { parseMac } from '../../../emulator/net/netdev.ts';
import { RecordingBackend, testFrame } from '../net/fake-backend.ts';
import { FakeIrq, FakeRam } from './fake-ram.ts';

const D = 0x400; // descriptor area
const BUF = 0x10000;

function setup(mac = '52:54:00:12:34:56') {
  const ram = new FakeRam(1 << 20);
  const irq = new FakeIrq();
  const nic = new Ethoc({ ram, irq, mac: parseMac(mac) });
  const backend = new RecordingBackend();
  nic.connect(backend);
  backend.attach(nic);
  return { ram, irq, nic, backend };
}

/** What Linux's ethoc_open does: TX_BD_NUM, descriptors with buffers, interrupts unmasked, RX and TX on. */
function linuxInit(nic: Ethoc, numTx = 8, numRx = 8): void {
  nic.write(R.TX_BD_NUM, 4, numTx);
  for (let i = 0; i < numTx; i++) {
    nic.write(D + 8 * i, 4, TXD.IRQ | TXD.CRC | (i === numTx - 1 ? TXD.WRAP : 0));
    nic.write(D + 8 * i + 4, 4, BUF + 0x800 * i);
  }
  for (let i = 0; i < numRx; i++) {
    nic.write(D + 8 * (numTx + i), 4, RXD.EMPTY | RXD.IRQ | (i === numRx - 1 ? RXD.WRAP : 0));
    nic.write(D + 8 * (numTx + i) + 4, 4, BUF + 0x800 * (numTx + i));
  }
  nic.write(R.INT_SOURCE, 4, 0x7f);
  nic.write(R.INT_MASK, 4, INT.TXB | INT.TXE | INT.RXB | INT.RXE | INT.BUSY);
  nic.write(R.MODER, 4, nic.read(R.MODER, 4) | MODER.PAD | MODER.RXEN | MODER.TXEN);
}

function mdioRead(nic: Ethoc, phy: number, reg: number): number {
  nic.write(R.MIIADDRESS, 4, (reg << 8) | phy);
  nic.write(R.MIICOMMAND, 4, 2);
  expect(nic.read(R.MIISTATUS, 4) & 2).toBe(0); // never busy
  const v = nic.read(R.MIIRX_DATA, 4);
  nic.write(R.MIICOMMAND, 4, 0);
  return v;
}

describe('ethoc (OpenCores ethernet MAC)', () => {
  it('resets to QEMU\'s register values, with the MAC registers holding the mac property', () => {
    const { nic } = setup('02:11:22:33:44:55');
    const want: Record<number, number> = {
      [R.MODER]: 0xa000, [R.INT_SOURCE]: 0, [R.INT_MASK]: 0, [R.IPGT]: 0x12, [R.IPGR1]: 0xc, [R.IPGR2]: 0x12,
      [R.PACKETLEN]: 0x00400600, [R.COLLCONF]: 0x000f003f, [R.TX_BD_NUM]: 0x40, [R.CTRLMODER]: 0, [R.MIIMODER]: 0x64,
      [R.MIICOMMAND]: 0, [R.MIIADDRESS]: 0, [R.MIITX_DATA]: 0, [R.MIIRX_DATA]: 0, [R.MIISTATUS]: 0,
      [R.MAC_ADDR0]: 0x22334455, [R.MAC_ADDR1]: 0x0211, [R.HASH0]: 0, [R.HASH1]: 0, [R.TXCTRL]: 0,
    };
    for (const [off, v] of Object.entries(want)) expect(nic.read(Number(off), 4), `register 0x${Number(off).toString(16)}`).toBe(v);
    expect(nic.read(0x54, 4)).toBe(0);
    // Big-endian byte lanes for narrow reads.
    expect(nic.read(R.PACKETLEN + 1, 1)).toBe(0x40);
    expect(nic.read(R.PACKETLEN + 2, 2)).toBe(0x0600);
  });

  it('has one PHY, at MDIO address 1 with ID 0x2000/0x5c90, link up; other addresses read 0xffff', () => {
    const { nic } = setup();
    for (let a = 0; a < 32; a++) {
      const id1 = mdioRead(nic, a, 2);
      const id2 = mdioRead(nic, a, 3);
      if (a === 1) expect([id1, id2]).toEqual([...PHY_ID]);
      else expect([id1, id2]).toEqual([0xffff, 0xffff]);
    }
    expect(mdioRead(nic, 1, 1) & 0x0004).toBe(0x0004); // BMSR link status
    expect(mdioRead(nic, 1, 1) & 0x0020).toBe(0x0020); // autonegotiation complete
    expect(mdioRead(nic, 1, 0)).toBe(0x1000); // BMCR: autonegotiation on
    // Writes: ANAR takes a value, PHYID is read-only, BMCR reset restores.
    nic.write(R.MIIADDRESS, 4, (4 << 8) | 1);
    nic.write(R.MIITX_DATA, 4, 0x0021);
    nic.write(R.MIICOMMAND, 4, 4);
    expect(mdioRead(nic, 1, 4)).toBe(0x0021);
    nic.write(R.MIIADDRESS, 4, (2 << 8) | 1);
    nic.write(R.MIITX_DATA, 4, 0x1234);
    expect(mdioRead(nic, 1, 2)).toBe(0x2000);
    nic.write(R.MIIADDRESS, 4, (0 << 8) | 1);
    nic.write(R.MIITX_DATA, 4, 0x8000);
    expect(mdioRead(nic, 1, 4)).toBe(0x01e1);
  });

  it('INT_SOURCE is write-1-to-clear and the line is level: high while INT_SOURCE & INT_MASK', () => {
    const { nic, irq, ram, backend } = setup();
    linuxInit(nic);
    ram.bytes.set(testFrame(60), BUF);
    nic.write(D, 4, (60 << 16) | TXD.READY | TXD.IRQ);
    expect(backend.sent.length).toBe(1);
    expect(nic.read(R.INT_SOURCE, 4)).toBe(INT.TXB);
    expect(irq.level).toBe(true);
    nic.write(R.INT_MASK, 4, 0);
    expect(irq.level).toBe(false);
    nic.write(R.INT_MASK, 4, INT.TXB);
    expect(irq.level).toBe(true);
    nic.write(R.INT_SOURCE, 4, INT.RXB); // clearing another bit changes nothing
    expect(nic.read(R.INT_SOURCE, 4)).toBe(INT.TXB);
    expect(irq.level).toBe(true);
    nic.write(R.INT_SOURCE, 4, INT.TXB);
    expect(nic.read(R.INT_SOURCE, 4)).toBe(0);
    expect(irq.level).toBe(false);
  });

  it('transmits READY descriptors in order, pads short frames with PAD, wraps at WRAP', () => {
    const { nic, ram, backend } = setup();
    linuxInit(nic, 2, 2);
    const f1 = testFrame(100, 1);
    ram.bytes.set(f1, BUF);
    nic.write(D, 4, (100 << 16) | TXD.READY | TXD.IRQ | TXD.CRC);
    expect(backend.sent).toEqual([f1]);
    expect(nic.read(D, 4)).toBe((100 << 16) | TXD.IRQ | TXD.CRC); // READY cleared, length kept
    expect(nic.state.txIndex).toBe(1);
    const f2 = testFrame(42, 2);
    ram.bytes.set(f2, BUF + 0x800);
    nic.write(D + 8, 4, (42 << 16) | TXD.READY | TXD.PAD | TXD.WRAP);
    const padded = new Uint8Array(64);
    padded.set(f2);
    expect(backend.sent[1]).toEqual(padded); // MINFL 64 (PACKETLEN 0x0040....)
    expect(nic.state.txIndex).toBe(0); // WRAP
    // Not READY, or 4 bytes or fewer: nothing sent.
    nic.write(D, 4, (100 << 16) | TXD.IRQ);
    nic.write(D, 4, (4 << 16) | TXD.READY);
    expect(backend.sent.length).toBe(2);
  });

  it('sends nothing until TXEN, then everything READY', () => {
    const { nic, ram, backend } = setup();
    nic.write(R.TX_BD_NUM, 4, 4);
    ram.bytes.set(testFrame(60, 7), BUF);
    ram.bytes.set(testFrame(70, 8), BUF + 100);
    nic.write(D + 4, 4, BUF);
    nic.write(D, 4, (60 << 16) | TXD.READY);
    nic.write(D + 12, 4, BUF + 100);
    nic.write(D + 8, 4, (70 << 16) | TXD.READY);
    expect(backend.sent.length).toBe(0);
    nic.write(R.MODER, 4, MODER.TXEN);
    expect(backend.sent.map((f) => f.length)).toEqual([60, 70]);
  });

  it('receives into EMPTY descriptors: frame + 4 zero FCS bytes, length in the descriptor, RXB, WRAP back to TX_BD_NUM', () => {
    const { nic, ram, backend, irq } = setup();
    linuxInit(nic, 2, 2);
    nic.write(R.INT_SOURCE, 4, 0xff);
    expect(backend.frontend!.canReceive()).toBe(true);
    ram.bytes.fill(0xee, BUF + 0x1000, BUF + 0x2000);
    const f = testFrame(98, 3); // to 52:54:00:12:34:56
    expect(backend.deliver(f)).toBe(true);
    expect(ram.bytes.subarray(BUF + 0x1000, BUF + 0x1000 + 98)).toEqual(f);
    expect(Array.from(ram.bytes.subarray(BUF + 0x1000 + 98, BUF + 0x1000 + 103))).toEqual([0, 0, 0, 0, 0xee]);
    expect(nic.read(D + 16, 4)).toBe(((102 << 16) | RXD.IRQ) >>> 0);
    expect(nic.read(R.INT_SOURCE, 4)).toBe(INT.RXB);
    expect(irq.level).toBe(true);
    // A short frame is padded to MINFL (PAD set): 42 + 22 zeros, the FCS within the padding.
    const short = testFrame(42, 4);
    expect(backend.deliver(short)).toBe(true);
    expect(nic.read(D + 24, 4) >>> 16).toBe(64);
    expect(nic.state.rxIndex).toBe(2); // WRAP → TX_BD_NUM
    // Both used: no room until the driver gives one back.
    expect(backend.frontend!.canReceive()).toBe(false);
    nic.write(D + 16, 4, RXD.EMPTY | RXD.IRQ);
    expect(backend.frontend!.canReceive()).toBe(true);
  });

  it('filters by destination: own MAC, broadcast unless BRO, multicast by hash, anything with PRO', () => {
    const { nic, ram, backend } = setup();
    linuxInit(nic, 2, 8);
    const to = (mac: number[], seed: number): Uint8Array => {
      const f = testFrame(60, seed);
      f.set(mac, 0);
      return f;
    };
    const received = (): number => nic.stats.rxFrames;
    backend.deliver(to([0x52, 0x54, 0x00, 0x12, 0x34, 0x99], 1));
    expect(received()).toBe(0);
    backend.deliver(to([0xff, 0xff, 0xff, 0xff, 0xff, 0xff], 2));
    expect(received()).toBe(1);
    nic.write(R.MODER, 4, nic.read(R.MODER, 4) | MODER.BRO);
    backend.deliver(to([0xff, 0xff, 0xff, 0xff, 0xff, 0xff], 3));
    expect(received()).toBe(1);
    const mc = [0x01, 0x00, 0x5e, 0x00, 0x00, 0x01];
    backend.deliver(to(mc, 4));
    expect(received()).toBe(1);
    const bit = etherCrc(Uint8Array.from(mc), 0, 6) >>> 26;
    nic.write(bit < 32 ? R.HASH0 : R.HASH1, 4, 1 << (bit & 31));
    backend.deliver(to(mc, 5));
    expect(received()).toBe(2);
    nic.write(R.MODER, 4, nic.read(R.MODER, 4) | MODER.PRO);
    backend.deliver(to([0x52, 0x54, 0x00, 0x12, 0x34, 0x99], 6));
    expect(received()).toBe(3);
    expect(nic.read(D + 16 + 16, 4) & RXD.MISS).toBe(RXD.MISS); // accepted only by PRO: marked a miss
    expect(ram.bytes[BUF + 0x800 * 4 + 5]).toBe(0x99);
  });

  it('the ethernet CRC is Linux\'s ether_crc: bitrev32 of the un-inverted little-endian CRC-32 (checked against zlib)', () => {
    const bitrev32 = (v: number): number => {
      let r = 0;
      for (let i = 0; i < 32; i++) r = (r << 1) | ((v >>> i) & 1);
      return r >>> 0;
    };
    let seed = 7;
    for (let n = 0; n < 200; n++) {
      const data = Uint8Array.from({ length: 1 + (n % 13) }, () => (seed = (seed * 1103515245 + 12345) >>> 0) >>> 24);
      expect(etherCrc(data, 0, data.length)).toBe(bitrev32(~crc32(data) >>> 0));
    }
  });

  it('drops (TXE/RXE) a buffer outside RAM instead of touching it', () => {
    const { nic, backend } = setup();
    linuxInit(nic, 2, 2);
    nic.write(D + 4, 4, 0xfffff000);
    nic.write(D, 4, (1500 << 16) | TXD.READY);
    expect(backend.sent.length).toBe(0);
    expect(nic.read(R.INT_SOURCE, 4) & INT.TXE).toBe(INT.TXE);
    nic.write(D + 20, 4, (1 << 20) - 10);
    expect(backend.deliver(testFrame(60))).toBe(false);
    expect(nic.read(R.INT_SOURCE, 4) & INT.RXE).toBe(INT.RXE);
  });
});
