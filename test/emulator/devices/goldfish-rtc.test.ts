import { describe, expect, it } from 'vitest';
import { swapForSize } from '../../../emulator/device.ts';
import { GoldfishRtc, RTC_REG } from '../../../emulator/devices/goldfish-rtc.ts';
import { FakeClock, FakeIrq } from './fake-ram.ts';

function setup(epoch = 1_700_000_000) {
  const clock = new FakeClock();
  const irq = new FakeIrq();
  const rtc = new GoldfishRtc({ clock, irq, baseEpochSeconds: epoch });
  const rd = (o: number) => swapForSize(rtc.read(o, 4), 4);
  const wr = (o: number, v: number) => rtc.write(o, 4, swapForSize(v >>> 0, 4));
  return { clock, irq, rtc, rd, wr };
}

const ns = (hi: number, lo: number) => BigInt(hi) * 2n ** 32n + BigInt(lo);

describe('goldfish RTC', () => {
  it('reports base epoch + guest time in ns, little-endian registers', () => {
    const { rd, clock, rtc } = setup();
    clock.ns = 1234;
    const lo = rd(RTC_REG.TIME_LOW);
    const hi = rd(RTC_REG.TIME_HIGH);
    expect(ns(hi, lo)).toBe(1_700_000_000n * 1_000_000_000n + 1234n);
    // raw bus value is byte-swapped
    expect(rtc.read(RTC_REG.TIME_HIGH, 4)).toBe(swapForSize(hi, 4));
  });

  it('TIME_LOW latches TIME_HIGH (no torn reads across a carry)', () => {
    const { rd, clock } = setup(0);
    clock.ns = 2 ** 32 - 10; // just below the carry into the high word
    const lo = rd(RTC_REG.TIME_LOW);
    clock.ns = 2 ** 32 + 10; // time moves on before the high read
    expect(rd(RTC_REG.TIME_HIGH)).toBe(0); // latched value, not 1
    expect(lo).toBe(2 ** 32 - 10);
    rd(RTC_REG.TIME_LOW);
    expect(rd(RTC_REG.TIME_HIGH)).toBe(1);
  });

  it('the guest can set the time', () => {
    const { rd, wr, clock } = setup(0);
    wr(RTC_REG.TIME_HIGH, 5);
    wr(RTC_REG.TIME_LOW, 7);
    clock.ns = 100;
    const lo = rd(RTC_REG.TIME_LOW);
    expect(ns(rd(RTC_REG.TIME_HIGH), lo)).toBe(ns(5, 107));
  });

  it('alarm raises IRQ when enabled and due; CLEAR_INTERRUPT lowers it; probe reads are zero', () => {
    const { rd, wr, clock, irq, rtc } = setup(0);
    expect(rd(RTC_REG.ALARM_LOW)).toBe(0);
    expect(rd(RTC_REG.ALARM_HIGH)).toBe(0);
    expect(rd(RTC_REG.ALARM_STATUS)).toBe(0);
    wr(RTC_REG.IRQ_ENABLED, 1);
    wr(RTC_REG.ALARM_HIGH, 0);
    wr(RTC_REG.ALARM_LOW, 5000);
    expect(rd(RTC_REG.ALARM_STATUS)).toBe(1);
    expect(rtc.nextEventNs()).toBe(5000);
    clock.ns = 4999;
    rtc.poll(clock.ns);
    expect(irq.level).toBe(false);
    rtc.poll(5000);
    expect(irq.level).toBe(true);
    expect(rd(RTC_REG.ALARM_STATUS)).toBe(0);
    wr(RTC_REG.CLEAR_INTERRUPT, 1);
    expect(irq.level).toBe(false);
  });

  it('reset (a guest reboot) disarms the alarm, lowers the line and drops the guest-set time, as QEMU', () => {
    const { rd, wr, clock, irq, rtc } = setup(1000);
    wr(RTC_REG.TIME_HIGH, 7); // the guest sets the clock
    wr(RTC_REG.IRQ_ENABLED, 1);
    wr(RTC_REG.ALARM_HIGH, 0);
    wr(RTC_REG.ALARM_LOW, 1); // long past: fires at once
    expect(irq.level).toBe(true);
    wr(RTC_REG.ALARM_HIGH, 8);
    wr(RTC_REG.ALARM_LOW, 0); // armed again, in the future
    expect(rd(RTC_REG.ALARM_STATUS)).toBe(1);
    rtc.reset();
    expect(irq.level).toBe(false);
    expect(rd(RTC_REG.ALARM_STATUS)).toBe(0);
    expect(rd(RTC_REG.IRQ_ENABLED)).toBe(0);
    expect(rtc.nextEventNs()).toBe(Infinity);
    clock.ns = 5;
    const lo = rd(RTC_REG.TIME_LOW);
    expect(ns(rd(RTC_REG.TIME_HIGH), lo)).toBe(1000n * 1_000_000_000n + 5n);
  });
});
