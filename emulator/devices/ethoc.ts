/**
 * The OpenCores 10/100 ethernet MAC (`opencores,ethoc` in Linux, QEMU's
 * `open_eth`, hw/net/opencores_eth.c) with the PHY Linux finds on its MDIO
 * bus (a DP83848C subset at address 1, as QEMU's).
 *
 * Region (0x800 bytes, big-endian 32-bit registers): 0x00–0x50 registers,
 * 0x400–0x7FF 128 buffer descriptors of two words, {len << 16 | flags,
 * buffer address}. Descriptors 0..TX_BD_NUM-1 transmit, the rest receive.
 * Buffers live in guest RAM (DMA).
 *
 * Transmit: whenever a descriptor is written (or TXEN is set), every READY
 * descriptor from the current one is sent at once, as QEMU does
 * synchronously: the frame (padded to MINFL with PAD, cut at MAXFL without
 * HUGEN) goes to the backend, READY is cleared, the next descriptor is the
 * following one (WRAP, or TX_BD_NUM, returns to 0), and with IRQ set TXB is
 * raised. Receive: the address filter (own MAC, broadcast unless BRO,
 * multicast by the CRC hash in HASH0/1, everything with PRO); the frame is
 * written to the current EMPTY receive descriptor's buffer with 4 zero FCS
 * bytes (Linux strips them), EMPTY is cleared, RXB raised with IRQ.
 * INT_SOURCE is write-1-to-clear; the line is level, high while
 * INT_SOURCE & INT_MASK.
 *
 * Differences from QEMU, on purpose: MAC_ADDR0/1 reset to the `mac`
 * property (QEMU's reset zeroes them, so Linux picks a random address — ours
 * is reproducible); a frame finding no EMPTY receive descriptor waits in the
 * backend's queue (`canReceive` false) where QEMU drops it and raises BUSY;
 * a buffer outside RAM drops the frame (TXE/RXE raised) where QEMU would DMA
 * into unassigned memory; PHY registers 16–31 read 0.
 */
import type { Device, GuestRam, IrqLine, MmioHandler } from '../device.ts';
import type { NetBackend, NetFrontend } from '../net/net-backend.ts';
import { attachNicBackend, DEFAULT_MAC, NIC_PROPERTIES, nicMac, parseMac } from '../net/netdev.ts';
import type { QemuFdt } from '../fdt/qemu-fdt.ts';
import { deviceClass, deviceClassSetParentRealize, sysbusFdtNode, sysbusIrq, TYPE_SYS_BUS_DEVICE } from '../qom/qdev.ts';
import type { TypeInfo } from '../qom/registry.ts';
import { etherCrc } from '../net/ether-crc.ts';

export const ETHOC_REG = {
  MODER: 0x00, INT_SOURCE: 0x04, INT_MASK: 0x08, IPGT: 0x0c, IPGR1: 0x10, IPGR2: 0x14, PACKETLEN: 0x18, COLLCONF: 0x1c,
  TX_BD_NUM: 0x20, CTRLMODER: 0x24, MIIMODER: 0x28, MIICOMMAND: 0x2c, MIIADDRESS: 0x30, MIITX_DATA: 0x34, MIIRX_DATA: 0x38,
  MIISTATUS: 0x3c, MAC_ADDR0: 0x40, MAC_ADDR1: 0x44, HASH0: 0x48, HASH1: 0x4c, TXCTRL: 0x50,
} as const;
const REG_COUNT = 21;
export const ETHOC_DESC_OFFSET = 0x400;
export const ETHOC_DESC_COUNT = 128;
/** Device-tree `reg` size (QEMU or1k-sim's memmap). */
export const ETHOC_REGION_SIZE = 0x800;

export const MODER = { RXEN: 0x1, TXEN: 0x2, BRO: 0x8, IAM: 0x10, PRO: 0x20, RST: 0x800, HUGEN: 0x4000, PAD: 0x8000 } as const;
export const INT = { TXB: 0x1, TXE: 0x2, RXB: 0x4, RXE: 0x8, BUSY: 0x10 } as const;
export const TXD = { READY: 0x8000, IRQ: 0x4000, WRAP: 0x2000, PAD: 0x1000, CRC: 0x800, STATUS: 0x01ff } as const;
export const RXD = { EMPTY: 0x8000, IRQ: 0x4000, WRAP: 0x2000, STATUS: 0x01ff, MISS: 0x80, TOO_LONG: 0x8 } as const;
const MIICOMMAND = { SCANSTAT: 0x1, RSTAT: 0x2, WCTRLDATA: 0x4 } as const;
const MIISTATUS_LINKFAIL = 0x1;

/** The PHY's address on the MDIO bus and its ID (QEMU's DEFAULT_PHY, DP83848C). */
export const PHY_ADDRESS = 1;
export const PHY_ID = [0x2000, 0x5c90] as const;
const MII = { BMCR: 0, BMSR: 1, PHYID1: 2, PHYID2: 3, ANAR: 4, ANLPAR: 5 } as const;
const BMCR_RESET = 0x8000;
const BMCR_AUTOEN = 0x1000;
const BMSR_RESET = 0x4000 | 0x2000 | 0x1000 | 0x0800 | 0x0040 | 0x0020 | 0x0008; // 100/10 FD/HD, MF preamble, AN complete, AN able
const BMSR_LINK = 0x0004;
const ANAR_ALL = 0x0100 | 0x0080 | 0x0040 | 0x0020 | 0x0001; // 100FD 100HD 10FD 10HD CSMA/CD
const FCS_BYTES = 4;
const MAX_HUGE = 65536;

export interface EthocStats {
  txFrames: number;
  txBytes: number;
  txDropped: number;
  rxFrames: number;
  rxBytes: number;
  rxFiltered: number;
  rxDropped: number;
}

export class Ethoc implements MmioHandler, Device, NetFrontend {
  readonly mac: Uint8Array;
  readonly stats: EthocStats = { txFrames: 0, txBytes: 0, txDropped: 0, rxFrames: 0, rxBytes: 0, rxFiltered: 0, rxDropped: 0 };
  private readonly ram: GuestRam;
  private readonly irq: IrqLine;
  private backend: NetBackend | undefined;
  private readonly regs = new Uint32Array(REG_COUNT);
  /** Descriptor words: [2i] = len/flags, [2i+1] = buffer address. */
  private readonly desc = new Uint32Array(ETHOC_DESC_COUNT * 2);
  private readonly mii = new Uint16Array(16);
  private txIndex = 0;
  private rxIndex = 0x40;
  private lineLevel = false;
  private readonly frame = new Uint8Array(MAX_HUGE + FCS_BYTES);

  constructor(options: { ram: GuestRam; irq: IrqLine; mac?: Uint8Array }) {
    this.ram = options.ram;
    this.irq = options.irq;
    this.mac = Uint8Array.from(options.mac ?? parseMac(DEFAULT_MAC)!);
    this.reset();
  }

  connect(backend: NetBackend | undefined): void {
    this.backend = backend;
  }

  /** Power-on state: QEMU's reset values, MAC registers from the `mac` property. */
  reset(): void {
    const r = this.regs;
    r.fill(0);
    r[ETHOC_REG.MODER >> 2] = 0xa000;
    r[ETHOC_REG.IPGT >> 2] = 0x12;
    r[ETHOC_REG.IPGR1 >> 2] = 0xc;
    r[ETHOC_REG.IPGR2 >> 2] = 0x12;
    r[ETHOC_REG.PACKETLEN >> 2] = 0x00400600;
    r[ETHOC_REG.COLLCONF >> 2] = 0x000f003f;
    r[ETHOC_REG.TX_BD_NUM >> 2] = 0x40;
    r[ETHOC_REG.MIIMODER >> 2] = 0x64;
    const m = this.mac;
    r[ETHOC_REG.MAC_ADDR0 >> 2] = ((m[2]! << 24) | (m[3]! << 16) | (m[4]! << 8) | m[5]!) >>> 0;
    r[ETHOC_REG.MAC_ADDR1 >> 2] = (m[0]! << 8) | m[1]!;
    this.txIndex = 0;
    this.rxIndex = 0x40;
    this.miiReset();
    this.updateIrq();
  }

  private miiReset(): void {
    const p = this.mii;
    p.fill(0);
    p[MII.BMCR] = BMCR_AUTOEN;
    p[MII.BMSR] = BMSR_RESET | BMSR_LINK;
    p[MII.PHYID1] = PHY_ID[0];
    p[MII.PHYID2] = PHY_ID[1];
    p[MII.ANAR] = ANAR_ALL;
    p[MII.ANLPAR] = ANAR_ALL; // the link partner (the backend) does everything
  }

  private reg(offset: number): number {
    return this.regs[offset >> 2]!;
  }

  // ---- MMIO ----

  read(offset: number, size: 1 | 2 | 4): number {
    const word = offset & ~3;
    let v = 0;
    if (word < REG_COUNT * 4) v = this.regs[word >> 2]!;
    else if (word >= ETHOC_DESC_OFFSET && word < ETHOC_DESC_OFFSET + ETHOC_DESC_COUNT * 8) v = this.desc[(word - ETHOC_DESC_OFFSET) >> 2]!;
    if (size === 4) return v >>> 0;
    // Big-endian byte lanes of the 32-bit word.
    const shift = (4 - size - (offset & 3)) * 8;
    return (v >>> shift) & (size === 1 ? 0xff : 0xffff);
  }

  write(offset: number, size: 1 | 2 | 4, value: number): void {
    const word = offset & ~3;
    let v = value >>> 0;
    if (size !== 4) {
      const old = this.read(word, 4);
      const shift = (4 - size - (offset & 3)) * 8;
      const mask = (size === 1 ? 0xff : 0xffff) << shift;
      v = ((old & ~mask) | ((value << shift) & mask)) >>> 0;
    }
    if (word >= ETHOC_DESC_OFFSET && word < ETHOC_DESC_OFFSET + ETHOC_DESC_COUNT * 8) {
      this.desc[(word - ETHOC_DESC_OFFSET) >> 2] = v;
      this.startTransmit();
      return;
    }
    if (word < REG_COUNT * 4) this.writeRegister(word, v);
  }

  private writeRegister(offset: number, v: number): void {
    const r = this.regs;
    switch (offset) {
      case ETHOC_REG.MODER: {
        const set = v & ~r[0]!;
        if (set & MODER.RST) this.reset();
        r[0] = v;
        if (set & MODER.RXEN) this.rxIndex = this.reg(ETHOC_REG.TX_BD_NUM);
        if (set & MODER.TXEN) {
          this.txIndex = 0;
          this.startTransmit();
        }
        return;
      }
      case ETHOC_REG.INT_SOURCE:
        r[ETHOC_REG.INT_SOURCE >> 2] &= ~v;
        this.updateIrq();
        return;
      case ETHOC_REG.INT_MASK:
        r[ETHOC_REG.INT_MASK >> 2] = v;
        this.updateIrq();
        return;
      case ETHOC_REG.TX_BD_NUM:
        if (v < 0x80) r[ETHOC_REG.TX_BD_NUM >> 2] = v;
        return;
      case ETHOC_REG.MIICOMMAND:
        r[ETHOC_REG.MIICOMMAND >> 2] = v;
        this.miiCommand(v);
        return;
      case ETHOC_REG.MIITX_DATA:
        r[ETHOC_REG.MIITX_DATA >> 2] = v & 0xffff;
        // QEMU writes the PHY as soon as the data register is written.
        if (this.phyAddress() === PHY_ADDRESS) this.miiWrite(this.phyRegister(), v & 0xffff);
        return;
      case ETHOC_REG.MIISTATUS:
        return; // read-only
      default:
        r[offset >> 2] = v;
    }
  }

  private phyAddress(): number {
    return this.reg(ETHOC_REG.MIIADDRESS) & 0x1f;
  }

  private phyRegister(): number {
    return (this.reg(ETHOC_REG.MIIADDRESS) >>> 8) & 0x1f;
  }

  private miiCommand(v: number): void {
    const phy = this.phyAddress();
    const regno = this.phyRegister();
    if (v & MIICOMMAND.WCTRLDATA && phy === PHY_ADDRESS) this.miiWrite(regno, this.reg(ETHOC_REG.MIITX_DATA) & 0xffff);
    if (v & MIICOMMAND.RSTAT) {
      // No PHY answers at other addresses: the bus reads all ones (how Linux's scan tells).
      this.regs[ETHOC_REG.MIIRX_DATA >> 2] = phy === PHY_ADDRESS ? (regno < 16 ? this.mii[regno]! : 0) : 0xffff;
      this.regs[ETHOC_REG.MIISTATUS >> 2] &= ~MIISTATUS_LINKFAIL; // the link is up
    }
  }

  private miiWrite(regno: number, v: number): void {
    if (regno === MII.BMCR) {
      if (v & BMCR_RESET) this.miiReset();
      else this.mii[MII.BMCR] = v;
    } else if (regno === MII.BMSR || regno === MII.PHYID1 || regno === MII.PHYID2) {
      // read-only
    } else if (regno < 16) {
      this.mii[regno] = v;
    }
  }

  // ---- interrupts ----

  private raise(bits: number): void {
    this.regs[ETHOC_REG.INT_SOURCE >> 2] |= bits;
    this.updateIrq();
  }

  private updateIrq(): void {
    const level = (this.reg(ETHOC_REG.INT_SOURCE) & this.reg(ETHOC_REG.INT_MASK)) !== 0;
    if (level !== this.lineLevel) {
      this.lineLevel = level;
      this.irq.set(level);
    }
  }

  /** INT_SOURCE and the line level (tests). */
  get state(): { intSource: number; irq: boolean; txIndex: number; rxIndex: number } {
    return { intSource: this.reg(ETHOC_REG.INT_SOURCE), irq: this.lineLevel, txIndex: this.txIndex, rxIndex: this.rxIndex };
  }

  // ---- transmit ----

  /** Sends every READY descriptor from the current one (at most one lap). */
  private startTransmit(): void {
    for (let n = 0; n < ETHOC_DESC_COUNT; n++) {
      const txBdNum = this.reg(ETHOC_REG.TX_BD_NUM);
      if (!(this.reg(ETHOC_REG.MODER) & MODER.TXEN) || txBdNum === 0) return;
      if (this.txIndex >= txBdNum) this.txIndex = 0;
      const i = this.txIndex;
      const flags = this.desc[2 * i]!;
      if (!(flags & TXD.READY) || flags >>> 16 <= 4) return;
      this.transmitOne(i, flags);
    }
  }

  private transmitOne(i: number, flags: number): void {
    const packetlen = this.reg(ETHOC_REG.PACKETLEN);
    const minfl = packetlen >>> 16;
    const maxfl = packetlen & 0xffff;
    let len = flags >>> 16;
    let txLen = len;
    if (flags & TXD.PAD && txLen < minfl) txLen = minfl;
    if (!(this.reg(ETHOC_REG.MODER) & MODER.HUGEN) && txLen > maxfl) txLen = maxfl;
    if (len > txLen) len = txLen;
    const addr = this.desc[2 * i + 1]!;
    let error = 0;
    if (txLen > MAX_HUGE || !this.ram.contains(addr, len)) {
      this.stats.txDropped++;
      error = INT.TXE;
    } else {
      const f = this.frame;
      f.set(this.ram.readBytes(addr, len), 0);
      f.fill(0, len, txLen);
      this.stats.txFrames++;
      this.stats.txBytes += txLen;
      this.backend?.send(f.subarray(0, txLen));
    }
    const txBdNum = this.reg(ETHOC_REG.TX_BD_NUM);
    this.txIndex = flags & TXD.WRAP ? 0 : this.txIndex + 1 >= txBdNum ? 0 : this.txIndex + 1;
    this.desc[2 * i] = (flags & ~(TXD.READY | TXD.STATUS)) >>> 0;
    if (flags & TXD.IRQ || error) this.raise((flags & TXD.IRQ ? INT.TXB : 0) | error);
  }

  // ---- receive ----

  canReceive(): boolean {
    return (this.reg(ETHOC_REG.MODER) & MODER.RXEN) !== 0 && this.reg(ETHOC_REG.TX_BD_NUM) < 0x80 && (this.desc[2 * this.rxIndex]! & RXD.EMPTY) !== 0;
  }

  /** Would the address filter reject this frame (QEMU's open_eth_receive test)? */
  private miss(frame: Uint8Array): boolean {
    if (frame.length < 6) return true;
    const moder = this.reg(ETHOC_REG.MODER);
    let broadcast = true;
    for (let k = 0; k < 6; k++) if (frame[k] !== 0xff) broadcast = false;
    if (broadcast) return (moder & MODER.BRO) !== 0;
    if (frame[0]! & 1 || moder & MODER.IAM) {
      const bit = etherCrc(frame, 0, 6) >>> 26;
      return (this.reg(bit < 32 ? ETHOC_REG.HASH0 : ETHOC_REG.HASH1) & (1 << (bit & 31))) === 0;
    }
    const a0 = this.reg(ETHOC_REG.MAC_ADDR0);
    const a1 = this.reg(ETHOC_REG.MAC_ADDR1);
    return frame[0] !== ((a1 >>> 8) & 0xff) || frame[1] !== (a1 & 0xff) || frame[2] !== a0 >>> 24 ||
      frame[3] !== ((a0 >>> 16) & 0xff) || frame[4] !== ((a0 >>> 8) & 0xff) || frame[5] !== (a0 & 0xff);
  }

  receive(frame: Uint8Array): boolean {
    const moder = this.reg(ETHOC_REG.MODER);
    const miss = this.miss(frame);
    if (miss && !(moder & MODER.PRO)) {
      this.stats.rxFiltered++;
      return true; // not for us: taken and ignored, as on the wire
    }
    if (!this.canReceive()) {
      this.stats.rxDropped++;
      this.raise(INT.BUSY);
      return false;
    }
    const i = this.rxIndex;
    let flags = this.desc[2 * i]! & ~RXD.STATUS;
    const packetlen = this.reg(ETHOC_REG.PACKETLEN);
    const minfl = packetlen >>> 16;
    const maxfl = packetlen & 0xffff;
    let copy = moder & MODER.HUGEN ? MAX_HUGE : maxfl;
    let fcs = FCS_BYTES;
    if (copy > frame.length) copy = frame.length;
    else fcs = 0; // cut at the limit: no FCS
    if (miss) flags |= RXD.MISS;
    if (moder & MODER.HUGEN && frame.length > maxfl) flags |= RXD.TOO_LONG;
    let total = copy;
    if (moder & MODER.PAD && total < minfl) {
      fcs = minfl - total > fcs ? 0 : fcs - (minfl - total);
      total = minfl;
    }
    total += fcs;
    const addr = this.desc[2 * i + 1]!;
    if (!this.ram.contains(addr, total)) {
      this.stats.rxDropped++;
      this.raise(INT.RXE);
      return false;
    }
    const f = this.frame;
    f.set(frame.subarray(0, copy), 0);
    f.fill(0, copy, total); // padding and the FCS the host did not give us
    this.ram.writeBytes(addr, f.subarray(0, total));
    flags = ((flags & 0xffff & ~RXD.EMPTY) | (total << 16)) >>> 0;
    this.desc[2 * i] = flags;
    const txBdNum = this.reg(ETHOC_REG.TX_BD_NUM);
    this.rxIndex = flags & RXD.WRAP || i === ETHOC_DESC_COUNT - 1 ? txBdNum : i + 1;
    this.stats.rxFrames++;
    this.stats.rxBytes += frame.length;
    if (flags & RXD.IRQ) this.raise(INT.RXB);
    return true;
  }
}

/**
 * QOM type `ethoc` (QEMU's open_eth): a sys-bus device. On or1k-sim it is a
 * board row (0x92000000, IRQ 4); `virt` places a user-added one at the spot
 * its table reserves. Its node is QEMU's (openrisc_sim_net_init): at the
 * root, compatible, reg, interrupts, big-endian, and alias enet0.
 */
export const TYPE_ETHOC: TypeInfo = {
  name: 'ethoc',
  parent: TYPE_SYS_BUS_DEVICE,
  userCreatable: true,
  description: 'OpenCores 10/100 ethernet MAC (opencores,ethoc; QEMU open_eth) with an MDIO PHY at address 1',
  properties: NIC_PROPERTIES,
  classInit: (klass) => {
    deviceClassSetParentRealize(klass, (dev, ctx, parentRealize) => {
      const nic = new Ethoc({ ram: ctx.ram, irq: sysbusIrq(dev, ctx), mac: nicMac(dev) });
      nic.connect(attachNicBackend(dev, nic));
      dev.instance = nic;
      parentRealize(dev, ctx);
    });
    deviceClass(klass).fdt = (dev, fdt: QemuFdt) => {
      const node = sysbusFdtNode(dev, fdt, '/ethoc', 'opencores,ethoc', { irq: true });
      fdt.setpropFlag(node, 'big-endian');
      fdt.setpropString('/aliases', 'enet0', node);
    };
  },
};
