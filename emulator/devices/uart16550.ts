/**
 * National Semiconductor 16550A UART (8-bit registers, reg-shift 0), with
 * the interrupt behaviour of QEMU's hw/char/serial.c, which Linux's 8250
 * driver has been tested against:
 *
 * - THRE interrupt: `thrPending` is set when the transmitter empties (every
 *   THR write is transmitted at once, so right after it), when IER.THRI goes
 *   0→1 while LSR.THRE, and on an FCR transmit-FIFO reset. It is cleared by a
 *   THR write and by reading IIR while IIR reports THRI.
 * - Receive: a 16-byte FIFO. With FIFOs enabled, RX-data (IIR 0x04) is raised
 *   once the FIFO holds at least the trigger level (FCR bits 7:6 → 1/4/8/14);
 *   below it, a character timeout (IIR 0x0C) is raised four character times
 *   after the last received byte (or last RBR read). The timeout needs the
 *   machine to call `poll(nowNs)`; `nextEventNs()` says when.
 * - Priority: line status > char timeout > RX data > THRE > modem status.
 *   IIR bits 7:6 are 11 while FIFOs are enabled. The IRQ line is high iff IIR
 *   reports an interrupt (no gating by MCR.OUT2, like QEMU).
 * - MCR.LOOP: transmitted bytes are received instead of sent; MSR reflects MCR.
 *
 * Baud rate only matters for the character-timeout length (divisor from
 * DLL/DLM, input clock 20 MHz as in the device tree).
 */
import type { Clock, Device, IrqLine, MmioHandler } from '../device.ts';
import { deviceClass, deviceClassSetParentRealize, sysbusIrq, TYPE_SYS_BUS_DEVICE, sysbusFdtNode } from '../qom/qdev.ts';
import type { TypeInfo } from '../qom/registry.ts';
import { CONSOLE_CHARDEV, type CharBackend, type CharFrontend } from './char-backend.ts';

export const UART_REG = {
  RBR_THR_DLL: 0,
  IER_DLM: 1,
  IIR_FCR: 2,
  LCR: 3,
  MCR: 4,
  LSR: 5,
  MSR: 6,
  SCR: 7,
} as const;

export const IER = { RDI: 0x01, THRI: 0x02, RLSI: 0x04, MSI: 0x08 } as const;
export const IIR = { NO_INT: 0x01, ID_MASK: 0x0e, MSI: 0x00, THRI: 0x02, RDI: 0x04, RLSI: 0x06, CTI: 0x0c, FIFO: 0xc0 } as const;
export const LSR = { DR: 0x01, OE: 0x02, PE: 0x04, FE: 0x08, BI: 0x10, THRE: 0x20, TEMT: 0x40, INT_ANY: 0x1e } as const;
export const FCR = { FE: 0x01, RFR: 0x02, XFR: 0x04, DMS: 0x08, ITL_MASK: 0xc0 } as const;
export const MCR = { DTR: 0x01, RTS: 0x02, OUT1: 0x04, OUT2: 0x08, LOOP: 0x10 } as const;
const LCR_DLAB = 0x80;
const MSR_DELTA = 0x0f;
const FIFO_SIZE = 16;
const TRIGGER_LEVELS = [1, 4, 8, 14] as const;

export interface Uart16550Options {
  irq: IrqLine;
  backend: CharBackend;
  clock: Clock;
  /** Input clock in Hz (DT clock-frequency), for the character time. */
  clockHz?: number;
}

export class Uart16550 implements MmioHandler, Device, CharFrontend {
  private readonly irq: IrqLine;
  private readonly backend: CharBackend;
  private readonly clock: Clock;
  private readonly clockHz: number;

  private ier: number = 0;
  private iir: number = IIR.NO_INT;
  private lcr = 0;
  private mcr: number = MCR.OUT2;
  private lsr: number = LSR.TEMT | LSR.THRE;
  private msr = 0xb0;
  private scr = 0;
  private fcr = 0;
  private divisor = 0;
  private rbr = 0;
  private thrPending = false;
  private timeoutPending = false;
  /** Guest time at which the character timeout fires; Infinity when disarmed. */
  private timeoutAtNs = Infinity;
  private triggerLevel = 1;
  private readonly fifo = new Uint8Array(FIFO_SIZE);
  private fifoHead = 0;
  private fifoCount = 0;
  private lineLevel = false;

  constructor(options: Uart16550Options) {
    this.irq = options.irq;
    this.backend = options.backend;
    this.clock = options.clock;
    this.clockHz = options.clockHz ?? 20_000_000;
    this.reset();
  }

  reset(): void {
    this.ier = 0;
    this.iir = IIR.NO_INT;
    this.lcr = 0;
    this.mcr = MCR.OUT2;
    this.lsr = LSR.TEMT | LSR.THRE;
    this.msr = 0xb0;
    this.scr = 0;
    this.fcr = 0;
    this.divisor = 0;
    this.rbr = 0;
    this.thrPending = false;
    this.timeoutPending = false;
    this.timeoutAtNs = Infinity;
    this.triggerLevel = 1;
    this.fifoHead = 0;
    this.fifoCount = 0;
    this.lineLevel = false;
    this.irq.set(false);
  }

  read(offset: number, size: 1 | 2 | 4): number {
    if (size !== 1 || offset > 7) return 0; // 8 registers decoded, as QEMU
    switch (offset) {
      case UART_REG.RBR_THR_DLL:
        if (this.lcr & LCR_DLAB) return this.divisor & 0xff;
        return this.readRbr();
      case UART_REG.IER_DLM:
        if (this.lcr & LCR_DLAB) return (this.divisor >>> 8) & 0xff;
        return this.ier;
      case UART_REG.IIR_FCR: {
        const value = this.iir;
        if ((value & IIR.ID_MASK) === IIR.THRI) {
          this.thrPending = false;
          this.updateIrq();
        }
        return value;
      }
      case UART_REG.LCR:
        return this.lcr;
      case UART_REG.MCR:
        return this.mcr;
      case UART_REG.LSR: {
        const value = this.lsr;
        if (this.lsr & (LSR.BI | LSR.OE)) {
          this.lsr &= ~(LSR.BI | LSR.OE);
          this.updateIrq();
        }
        return value;
      }
      case UART_REG.MSR:
        if (this.mcr & MCR.LOOP) {
          // DTR→DSR, RTS→CTS, OUT1→RI, OUT2→DCD.
          const m = this.mcr;
          return ((m & MCR.DTR) << 5) | ((m & MCR.RTS) << 3) | ((m & MCR.OUT1) << 4) | ((m & MCR.OUT2) << 4);
        } else {
          const value = this.msr;
          this.msr &= ~MSR_DELTA;
          return value;
        }
      default: // SCR
        return this.scr;
    }
  }

  write(offset: number, size: 1 | 2 | 4, value: number): void {
    if (size !== 1 || offset > 7) return;
    const v = value & 0xff;
    switch (offset) {
      case UART_REG.RBR_THR_DLL:
        if (this.lcr & LCR_DLAB) this.divisor = (this.divisor & 0xff00) | v;
        else this.writeThr(v);
        return;
      case UART_REG.IER_DLM:
        if (this.lcr & LCR_DLAB) this.divisor = (this.divisor & 0x00ff) | (v << 8);
        else this.writeIer(v);
        return;
      case UART_REG.IIR_FCR:
        this.writeFcr(v);
        return;
      case UART_REG.LCR:
        this.lcr = v;
        return;
      case UART_REG.MCR:
        this.mcr = v & 0x1f;
        return;
      case UART_REG.LSR:
      case UART_REG.MSR:
        return; // read-only (factory test writes ignored)
      default:
        this.scr = v;
    }
  }

  /**
   * Host → guest bytes. Takes as many as the receiver accepts now (like
   * QEMU's can_receive: up to the trigger level in FIFO mode, one byte in
   * 16450 mode, none while in loopback) and returns how many it took.
   */
  input(bytes: Uint8Array): number {
    if (this.mcr & MCR.LOOP) return 0;
    let taken = 0;
    while (taken < bytes.length && this.canReceive() > 0) {
      this.receiveByte(bytes[taken]!);
      taken++;
    }
    return taken;
  }

  /** The receive interrupt is enabled (see CharFrontend.listening). */
  listening(): boolean {
    return (this.ier & IER.RDI) !== 0 && (this.mcr & MCR.LOOP) === 0;
  }

  /** Free room the guest-visible receiver has (QEMU serial_can_receive). */
  canReceive(): number {
    if (this.fcr & FCR.FE) {
      if (this.fifoCount >= FIFO_SIZE) return 0;
      return this.fifoCount <= this.triggerLevel ? this.triggerLevel - this.fifoCount : 1;
    }
    return this.lsr & LSR.DR ? 0 : 1;
  }

  /** Fires the character timeout if due. Call between CPU slices. */
  poll(nowNs: number): void {
    if (nowNs >= this.timeoutAtNs) {
      this.timeoutAtNs = Infinity;
      if (this.fifoCount > 0) {
        this.timeoutPending = true;
        this.updateIrq();
      }
    }
  }

  /** Guest time of the next timed event (character timeout), or Infinity. */
  nextEventNs(): number {
    return this.timeoutAtNs;
  }

  /** IIR as the next read would return it, without the read's side effect (diagnostics). */
  peekIir(): number {
    return this.iir;
  }

  /** Current level of the interrupt line (for tests and diagnostics). */
  get irqLevel(): boolean {
    return this.lineLevel;
  }

  private readRbr(): number {
    let value: number;
    if (this.fcr & FCR.FE) {
      if (this.fifoCount === 0) value = 0;
      else {
        value = this.fifo[this.fifoHead]!;
        this.fifoHead = (this.fifoHead + 1) % FIFO_SIZE;
        this.fifoCount--;
      }
      if (this.fifoCount === 0) {
        this.lsr &= ~(LSR.DR | LSR.BI);
        this.timeoutAtNs = Infinity;
      } else {
        this.armTimeout();
      }
      this.timeoutPending = false;
    } else {
      value = this.rbr;
      this.lsr &= ~(LSR.DR | LSR.BI);
    }
    this.updateIrq();
    return value;
  }

  private writeThr(v: number): void {
    this.thrPending = false;
    this.lsr &= ~(LSR.THRE | LSR.TEMT);
    this.updateIrq();
    if (this.mcr & MCR.LOOP) this.receiveByte(v);
    else this.backend.write(v);
    // Transmitted at once: the holding register and shift register are empty again.
    this.lsr |= LSR.THRE | LSR.TEMT;
    this.thrPending = true;
    this.updateIrq();
  }

  private writeIer(v: number): void {
    const next = v & 0x0f;
    const changed = this.ier ^ next;
    this.ier = next;
    if (changed & IER.THRI) this.thrPending = (next & IER.THRI) !== 0 && (this.lsr & LSR.THRE) !== 0;
    if (changed) this.updateIrq();
  }

  private writeFcr(v: number): void {
    if (v === this.fcr) return;
    let value = v;
    // Enabling or disabling the FIFOs clears both of them.
    if ((value ^ this.fcr) & FCR.FE) value |= FCR.XFR | FCR.RFR;
    if (value & FCR.RFR) {
      this.lsr &= ~(LSR.DR | LSR.BI);
      this.timeoutAtNs = Infinity;
      this.timeoutPending = false;
      this.fifoHead = 0;
      this.fifoCount = 0;
    }
    if (value & FCR.XFR) {
      this.lsr |= LSR.THRE;
      this.thrPending = true;
    }
    this.fcr = value & 0xc9;
    if (this.fcr & FCR.FE) {
      this.iir |= IIR.FIFO;
      this.triggerLevel = TRIGGER_LEVELS[(this.fcr >>> 6) & 3]!;
    } else {
      this.iir &= ~IIR.FIFO;
    }
    this.updateIrq();
  }

  private receiveByte(v: number): void {
    if (this.fcr & FCR.FE) {
      if (this.fifoCount === FIFO_SIZE) {
        this.lsr |= LSR.OE;
      } else {
        this.fifo[(this.fifoHead + this.fifoCount) % FIFO_SIZE] = v;
        this.fifoCount++;
      }
      this.lsr |= LSR.DR;
      this.armTimeout();
    } else {
      if (this.lsr & LSR.DR) this.lsr |= LSR.OE;
      this.rbr = v;
      this.lsr |= LSR.DR;
    }
    this.updateIrq();
  }

  private armTimeout(): void {
    this.timeoutAtNs = this.clock.nowNs() + 4 * this.charTimeNs();
  }

  /** Time of one 10-bit frame at the programmed divisor. */
  private charTimeNs(): number {
    const divisor = this.divisor === 0 ? 1 : this.divisor;
    const baud = this.clockHz / (16 * divisor);
    const bits = 1 + (5 + (this.lcr & 3)) + (this.lcr & 0x04 ? 2 : 1) + (this.lcr & 0x08 ? 1 : 0);
    return Math.ceil((bits * 1e9) / baud);
  }

  private updateIrq(): void {
    let id: number = IIR.NO_INT;
    const ier = this.ier;
    if (ier & IER.RLSI && this.lsr & LSR.INT_ANY) id = IIR.RLSI;
    else if (ier & IER.RDI && this.timeoutPending) id = IIR.CTI;
    else if (ier & IER.RDI && this.lsr & LSR.DR && (!(this.fcr & FCR.FE) || this.fifoCount >= this.triggerLevel)) id = IIR.RDI;
    else if (ier & IER.THRI && this.thrPending) id = IIR.THRI;
    else if (ier & IER.MSI && this.msr & MSR_DELTA) id = IIR.MSI;
    this.iir = id | (this.iir & 0xf0);
    const level = id !== IIR.NO_INT;
    if (level !== this.lineLevel) {
      this.lineLevel = level;
      this.irq.set(level);
    }
  }
}

/**
 * QOM type `ns16550a` (a sys-bus device): realize connects the UART to the
 * host chardev named by `chardev` (output, and input as its frontend) and
 * lets sys-bus-device map it; its node is QEMU's openrisc_virt_serial_init.
 */
export const TYPE_NS16550A: TypeInfo = {
  name: 'ns16550a',
  parent: TYPE_SYS_BUS_DEVICE,
  description: '16550A UART (console, ttyS0)',
  properties: [
    { name: 'clock-frequency', type: 'uint32', default: 20_000_000, readOnly: true, description: 'UART input clock in Hz' },
    { name: 'chardev', type: 'string', default: CONSOLE_CHARDEV, description: 'host character backend it talks to ("" = none: output dropped, no input)' },
    { name: 'alias', type: 'string', default: '', description: 'its /aliases name in the device tree ("" = none); set by the board' },
  ],
  classInit: (klass) => {
    deviceClassSetParentRealize(klass, (dev, ctx, parentRealize) => {
      const chardev = dev.getString('chardev')!;
      // No chardev: as QEMU's serial_hd(n) beyond the -serial options (a null backend).
      const backend: CharBackend = chardev === '' ? { write: () => {} } : ctx.chardev(chardev);
      const uart = new Uart16550({ irq: sysbusIrq(dev, ctx), backend, clock: ctx.clock, clockHz: dev.getNumber('clock-frequency') });
      if (chardev !== '') ctx.setCharFrontend(chardev, uart);
      dev.instance = uart;
      parentRealize(dev, ctx);
    });
    deviceClass(klass).fdt = (dev, fdt) => {
      const node = sysbusFdtNode(dev, fdt, '/serial', 'ns16550a', { irq: true });
      fdt.setpropCells(node, 'clock-frequency', dev.getNumber('clock-frequency'));
      fdt.setpropFlag(node, 'big-endian');
      const console = dev.getString('chardev') === CONSOLE_CHARDEV;
      if (console) fdt.setpropString('/chosen', 'stdout-path', node);
      const alias = dev.getString('alias')!;
      if (alias !== '') fdt.setpropString('/aliases', alias, node);
    };
  },
};
