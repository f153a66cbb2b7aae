/**
 * Goldfish RTC (Android emulator RTC, QEMU hw/rtc/goldfish_rtc.c): 64-bit
 * nanoseconds since the Unix epoch, little-endian 32-bit registers.
 *
 * Time = `baseEpochNs` (a property: the wall-clock time the machine starts at,
 * e.g. from SOURCE_DATE_EPOCH, so runs are reproducible) + guest time from the
 * injected Clock + any offset the guest set by writing TIME_LOW/TIME_HIGH.
 * Reading TIME_LOW latches the high half, which TIME_HIGH then returns.
 * The alarm (ALARM_LOW arms it) raises IRQ when IRQ_ENABLED; the machine
 * calls `poll(nowNs)` so a due alarm fires; CLEAR_INTERRUPT lowers the line.
 * Reset (also on a guest reboot) disarms the alarm, lowers the line and drops
 * the guest's time adjustment, as QEMU's goldfish_rtc_reset.
 * 64-bit arithmetic uses BigInt (not a hot path: a handful of reads per boot).
 */
import { swapForSize, type Clock, type Device, type IrqLine, type MmioHandler } from '../device.ts';
import { deviceClass, deviceClassSetParentRealize, sysbusIrq, TYPE_SYS_BUS_DEVICE, sysbusFdtNode } from '../qom/qdev.ts';
import type { TypeInfo } from '../qom/registry.ts';

export const RTC_REG = {
  TIME_LOW: 0x00,
  TIME_HIGH: 0x04,
  ALARM_LOW: 0x08,
  ALARM_HIGH: 0x0c,
  IRQ_ENABLED: 0x10,
  CLEAR_ALARM: 0x14,
  ALARM_STATUS: 0x18,
  CLEAR_INTERRUPT: 0x1c,
} as const;

const MASK32 = 0xffffffffn;

export interface GoldfishRtcOptions {
  clock: Clock;
  irq: IrqLine;
  /** Wall-clock time at machine reset, seconds since the epoch. */
  baseEpochSeconds: number;
}

export class GoldfishRtc implements MmioHandler, Device {
  private readonly clock: Clock;
  private readonly irq: IrqLine;
  private readonly baseNs: bigint;
  /** Guest adjustment of the time (TIME_* writes). */
  private offsetNs = 0n;
  private timeHigh = 0;
  private alarmNext = 0n;
  private alarmRunning = false;
  private irqEnabled = false;
  private irqPending = false;
  private lineLevel = false;

  constructor(options: GoldfishRtcOptions) {
    this.clock = options.clock;
    this.irq = options.irq;
    this.baseNs = BigInt(Math.trunc(options.baseEpochSeconds)) * 1_000_000_000n;
  }

  reset(): void {
    this.offsetNs = 0n;
    this.timeHigh = 0;
    this.alarmNext = 0n;
    this.alarmRunning = false;
    this.irqEnabled = false;
    this.irqPending = false;
    this.update();
  }

  /** Current RTC time, ns since the epoch. */
  nowEpochNs(): bigint {
    return this.baseNs + BigInt(Math.floor(this.clock.nowNs())) + this.offsetNs;
  }

  read(offset: number, size: 1 | 2 | 4): number {
    if (size !== 4) return 0;
    return swapForSize(this.readRegister(offset), 4);
  }

  write(offset: number, size: 1 | 2 | 4, value: number): void {
    if (size !== 4) return;
    this.writeRegister(offset, swapForSize(value, 4));
  }

  private readRegister(offset: number): number {
    switch (offset) {
      case RTC_REG.TIME_LOW: {
        const t = this.nowEpochNs();
        this.timeHigh = Number((t >> 32n) & MASK32);
        return Number(t & MASK32);
      }
      case RTC_REG.TIME_HIGH: return this.timeHigh;
      case RTC_REG.ALARM_LOW: return Number(this.alarmNext & MASK32);
      case RTC_REG.ALARM_HIGH: return Number((this.alarmNext >> 32n) & MASK32);
      case RTC_REG.IRQ_ENABLED: return this.irqEnabled ? 1 : 0;
      case RTC_REG.ALARM_STATUS: return this.alarmRunning ? 1 : 0;
      default: return 0;
    }
  }

  private writeRegister(offset: number, value: number): void {
    const v = BigInt(value >>> 0);
    switch (offset) {
      case RTC_REG.TIME_LOW: {
        const now = this.nowEpochNs();
        this.offsetNs += ((now & ~MASK32) | v) - now;
        return;
      }
      case RTC_REG.TIME_HIGH: {
        const now = this.nowEpochNs();
        this.offsetNs += ((v << 32n) | (now & MASK32)) - now;
        return;
      }
      case RTC_REG.ALARM_LOW:
        this.alarmNext = (this.alarmNext & ~MASK32) | v;
        this.alarmRunning = true;
        this.poll(this.clock.nowNs());
        return;
      case RTC_REG.ALARM_HIGH:
        this.alarmNext = (v << 32n) | (this.alarmNext & MASK32);
        return;
      case RTC_REG.IRQ_ENABLED:
        this.irqEnabled = (value & 1) !== 0;
        this.update();
        return;
      case RTC_REG.CLEAR_ALARM:
        this.alarmRunning = false;
        return;
      case RTC_REG.CLEAR_INTERRUPT:
        this.irqPending = false;
        this.update();
        return;
      default:
        return;
    }
  }

  /** Fires the alarm if due. */
  poll(nowNs: number): void {
    if (!this.alarmRunning) return;
    const now = this.baseNs + BigInt(Math.floor(nowNs)) + this.offsetNs;
    if (now >= this.alarmNext) {
      this.alarmRunning = false;
      this.irqPending = true;
      this.update();
    }
  }

  /** Guest time (ns since reset) at which the alarm fires, or Infinity. */
  nextEventNs(): number {
    if (!this.alarmRunning) return Infinity;
    return Math.max(0, Number(this.alarmNext - this.baseNs - this.offsetNs));
  }

  get irqLevel(): boolean {
    return this.lineLevel;
  }

  private update(): void {
    const level = this.irqPending && this.irqEnabled;
    if (level !== this.lineLevel) {
      this.lineLevel = level;
      this.irq.set(level);
    }
  }
}

/** QOM type `goldfish-rtc`: wall clock from the machine's rtc-base; node as QEMU's openrisc_virt_rtc_init. */
export const TYPE_GOLDFISH_RTC: TypeInfo = {
  name: 'goldfish-rtc',
  parent: TYPE_SYS_BUS_DEVICE,
  description: 'Goldfish real-time clock',
  classInit: (klass) => {
    deviceClassSetParentRealize(klass, (dev, ctx, parentRealize) => {
      dev.instance = new GoldfishRtc({ clock: ctx.clock, irq: sysbusIrq(dev, ctx), baseEpochSeconds: ctx.rtcEpochSeconds });
      parentRealize(dev, ctx);
    });
    deviceClass(klass).fdt = (dev, fdt) => { sysbusFdtNode(dev, fdt, '/soc/rtc', 'google,goldfish-rtc', { irq: true }); };
  },
};
