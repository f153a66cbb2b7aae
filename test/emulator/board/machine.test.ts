/**
 * The whole machine (CPU + board + devices) on a bare-metal guest program that
 * exercises the devices through the bus the way a driver does; the oracle is
 * qemu-system-or1k -M virt running the same ELF with the same disk.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryBlockBackend } from '../../../emulator/devices/block-backend.ts';
import { BufferCharBackend } from '../../../emulator/devices/char-backend.ts';
import { swapForSize } from '../../../emulator/device.ts';
import { RTC_REG, type GoldfishRtc } from '../../../emulator/devices/goldfish-rtc.ts';
import type { VirtioMmio } from '../../../emulator/devices/virtio-mmio.ts';
import { createMachine, type RunStatus } from '../../../emulator/machine.ts';
import { realizedInstance } from '../../../emulator/qom/qdev.ts';
import { or1kElf } from '../../helpers/or1k-elf.ts';

const fixtures = new URL('./fixtures/baremetal/', import.meta.url).pathname;
let dir = '';
let elf: Uint8Array;
let diskFile = '';

function diskImage(): Uint8Array {
  const d = new Uint8Array(16 << 20);
  d.set(new TextEncoder().encode('mkrootfs'), 512);
  d.set(new TextEncoder().encode('sector-2'), 1024);
  return d;
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'machine-test-'));
  const out = join(dir, 'devices.elf');
  execFileSync('or1k-elf-gcc', ['-O2', '-nostdlib', '-ffreestanding', '-Wl,--no-warn-rwx-segments', '-T', join(fixtures, 'link.ld'), '-o', out, join(fixtures, 'start.S'), join(fixtures, 'devices.c')]);
  elf = new Uint8Array(readFileSync(out));
  diskFile = join(dir, 'disk.img');
  writeFileSync(diskFile, diskImage());
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function runOurs(): { text: string; status: RunStatus; exitStatus: number | undefined } {
  const serial = new BufferCharBackend();
  const m = createMachine({ kernel: elf, memoryBytes: 32 << 20, rootDisk: new MemoryBlockBackend(diskImage()), serial, rtcEpochSeconds: 1_700_000_000 });
  let status: RunStatus = 'budget';
  for (let i = 0; i < 100 && (status === 'budget' || status === 'doze'); i++) {
    status = m.run(1_000_000);
    if (status === 'doze') m.skipTo(m.nextEventNs());
  }
  return { text: serial.text(), status, exitStatus: m.finish?.exitStatus };
}

describe('virt machine on a bare-metal device test', () => {
  it('prints what qemu-system-or1k -M virt prints and powers off through the syscon', () => {
    const ours = runOurs();
    const qemu = execFileSync('qemu-system-or1k', ['-M', 'virt', '-cpu', 'any', '-m', '32', '-kernel', join(dir, 'devices.elf'), '-nographic', '-no-reboot',
      '-drive', `if=none,file=${diskFile},format=raw,id=hd0`, '-device', 'virtio-blk-device,drive=hd0'], { encoding: 'latin1', timeout: 20_000 });
    expect(ours.text).toContain('data mkrootfs sector-2');
    expect(ours.text).toBe(qemu.replace(/\r\n/g, '\n'));
    expect(ours.status).toBe('poweroff');
    expect(ours.exitStatus).toBe(0);
  });

  it('bare-metal path: no disk, slot 7 empty (DeviceID 0), the program still powers off', async () => {
    const { loadBareMetal } = await import('../../../emulator/machine.ts');
    const serial = new BufferCharBackend();
    const m = loadBareMetal(elf, { memoryBytes: 32 << 20, serial });
    let status: RunStatus = 'budget';
    for (let i = 0; i < 50 && status === 'budget'; i++) status = m.run(1_000_000);
    expect(status).toBe('poweroff');
    expect(m.exitCode).toBe(0);
    expect(serial.text()).toContain('slot7 magic 0x74726976 version 0x00000002 id 0x00000000');
    expect(serial.text()).toContain('no disk\n');
    expect([...m.root.walk()].filter((o) => o.typeName === 'virtio-blk-device')).toEqual([]);
  });

  it('a second disk takes slot 6, as in QEMU (slots filled from the top)', () => {
    const second = join(dir, 'disk2.img');
    writeFileSync(second, new Uint8Array(1 << 20));
    const qemu = execFileSync('qemu-system-or1k', ['-M', 'virt', '-cpu', 'any', '-m', '32', '-kernel', join(dir, 'devices.elf'), '-nographic', '-no-reboot',
      '-drive', `if=none,file=${diskFile},format=raw,id=hd0`, '-device', 'virtio-blk-device,drive=hd0',
      '-drive', `if=none,file=${second},format=raw,id=hd1`, '-device', 'virtio-blk-device,drive=hd1'], { encoding: 'latin1', timeout: 20_000 });
    const serial = new BufferCharBackend();
    const m = createMachine({ kernel: elf, memoryBytes: 32 << 20, serial, rtcEpochSeconds: 1_700_000_000,
      drives: { hd0: new MemoryBlockBackend(diskImage()), hd1: new MemoryBlockBackend(new Uint8Array(1 << 20)) },
      devices: ['virtio-blk-device,drive=hd0', 'virtio-blk-device,drive=hd1'] });
    for (let i = 0; i < 50 && m.run(1_000_000) === 'budget'; i++);
    expect(qemu).toContain('slot ids 0 0 0 0 0 0 2 2');
    expect(serial.text()).toBe(qemu.replace(/\r\n/g, '\n'));
    expect(m.printTree()).toMatch(/virtio-mmio.6\/device \(virtio-blk-device\)\n\s+drive = "hd1"/);
  });

  it('places the DTB after the image, sets r3 and starts at the ELF entry (0x100)', () => {
    const m = createMachine({ kernel: elf, memoryBytes: 32 << 20, cmdline: 'x=1' });
    expect(m.entry).toBe(0x100);
    expect(m.cpu.pc).toBe(0x100);
    expect(m.dtbAddress % 0x2000).toBe(0);
    expect(m.dtbAddress).toBeGreaterThanOrEqual(m.kernelEnd);
    expect(m.cpu.gpr[3]).toBe(m.dtbAddress);
    expect(m.ram.read32(m.dtbAddress)).toBe(0xd00dfeed);
    const tree = m.printTree();
    expect(tree).toContain('/machine/sysbus/virtio-mmio.7 (virtio-mmio)');
    expect(tree).toMatch(/0x97007000-0x97007fff \/machine\/sysbus\/virtio-mmio.7/);
    expect(tree).toContain('append = "x=1"');
  });

  it('boots a vmlinux-style ELF (entry = VA 0xC0000000 → PA 0) at the reset vector with the DTB after the image', () => {
    // One PT_LOAD: VirtAddr 0xC0000000, PhysAddr 0, FileSiz 0x200, MemSiz 0x71E6B0 (a made-up image shaped like a
    // vmlinux, so nothing here follows the guest build; boot-trace.test.ts checks the real one against QEMU).
    const image = or1kElf({
      size: 0x1000, entry: 0xc0000000, offset: 0x800, vaddr: 0xc0000000, paddr: 0, filesz: 0x200, memsz: 0x71e6b0,
      words: [[0x800 + 0x100, 0x15000000]], // l.nop at the reset vector
    });
    const m = createMachine({ kernel: image, cmdline: 'root=/dev/vda console=ttyS0 rw' });
    expect(m.entry).toBe(0x100);
    expect(m.cpu.pc).toBe(0x100);
    expect(m.kernelEnd).toBe(0x71e6b0);
    expect(m.dtbAddress).toBe(0x720000);
    expect(m.cpu.gpr[3]).toBe(0x720000);
    expect(m.ram.read32(0x100)).toBe(0x15000000);
  });

  it('rejects bad --device specs before anything runs', () => {
    expect(() => createMachine({ kernel: elf, devices: ['virtio-blk-device,drive=hd0'] })).toThrow(expect.objectContaining({ code: 'missing-link-target' }));
    expect(() => createMachine({ kernel: elf, rootDisk: new MemoryBlockBackend(new Uint8Array(512)), devices: ['virtio-blk-device,driv=hd0'] }))
      .toThrow(expect.objectContaining({ code: 'unknown-property', message: expect.stringContaining("did you mean 'drive'") }));
  });
});

describe('machine API details', () => {
  it('gives --device help texts and recognises non-help specs', async () => {
    const { deviceHelp } = await import('../../../emulator/machine.ts');
    expect(deviceHelp('help')).toContain('name "virtio-blk-device"');
    expect(deviceHelp('virtio-blk-device,help')).toContain('drive=<link<drive>>');
    expect(deviceHelp('virtio-blk-device,drive=hd0')).toBeUndefined();
    expect(() => deviceHelp('nope,help')).toThrow(expect.objectContaining({ code: 'unknown-type' }));
  });

  it('a guest reboot resets every device: the goldfish RTC drops its alarm (it used to keep it)', () => {
    const m = createMachine({ kernel: elf, memoryBytes: 32 << 20, rtcEpochSeconds: 1_700_000_000 });
    const rtc = realizedInstance<GoldfishRtc>(m.qom('/machine/sysbus/rtc'), 'goldfish-rtc');
    const base = 0x96005000;
    const reg = (off: number): number => swapForSize(m.bus.read(base + off, 4), 4);
    const set = (off: number, v: number): void => m.bus.write(base + off, 4, swapForSize(v >>> 0, 4));
    // Arm an alarm an hour after the machine's wall-clock start, interrupts on.
    const alarm = (1_700_000_000n + 3600n) * 1_000_000_000n;
    set(RTC_REG.IRQ_ENABLED, 1);
    set(RTC_REG.ALARM_HIGH, Number(alarm >> 32n));
    set(RTC_REG.ALARM_LOW, Number(alarm & 0xffffffffn));
    expect(reg(RTC_REG.ALARM_STATUS)).toBe(1);
    expect(m.nextEventNs()).toBeLessThanOrEqual(3600e9);
    m.reset();
    expect(reg(RTC_REG.ALARM_STATUS)).toBe(0);
    expect(reg(RTC_REG.IRQ_ENABLED)).toBe(0);
    expect(rtc.nextEventNs()).toBe(Infinity);
    // A due alarm raises the line; a reset lowers it.
    set(RTC_REG.IRQ_ENABLED, 1);
    set(RTC_REG.ALARM_HIGH, 0);
    set(RTC_REG.ALARM_LOW, 1);
    expect(rtc.irqLevel).toBe(true);
    m.reset();
    expect(rtc.irqLevel).toBe(false);
  });

  it('reaches devices through the composition tree with checked casts', () => {
    const m = createMachine({ kernel: elf, memoryBytes: 32 << 20, rootDisk: new MemoryBlockBackend(diskImage()) });
    const slot = realizedInstance<VirtioMmio>(m.qom('/machine/sysbus/virtio-mmio.7'), 'virtio-mmio');
    expect(slot.backend?.deviceId).toBe(2);
    expect(realizedInstance<VirtioMmio>(m.qom('/machine/sysbus/virtio-mmio.6'), 'sys-bus-device').backend).toBeUndefined();
    expect(() => realizedInstance(m.qom('/machine/sysbus/serial'), 'goldfish-rtc')).toThrow(expect.objectContaining({
      code: 'bad-cast',
      message: 'cannot cast to goldfish-rtc: /machine/sysbus/serial is a ns16550a (ns16550a -> sys-bus-device -> device)',
    }));
    expect(() => realizedInstance(m.qom('/machine/nowhere'), 'device')).toThrow(expect.objectContaining({ code: 'bad-cast', message: 'cannot cast to device: there is no object' }));
  });

  it('reboot path: reset() reloads the program and it runs again to the same poweroff', () => {
    const serial = new BufferCharBackend();
    const m = createMachine({ kernel: elf, memoryBytes: 32 << 20, rootDisk: new MemoryBlockBackend(diskImage()), serial });
    let status: RunStatus = 'budget';
    for (let i = 0; i < 50 && status === 'budget'; i++) status = m.run(1_000_000);
    expect(status).toBe('poweroff');
    const first = serial.text();
    const retired = m.cpu.instret;
    expect(m.run(1000)).toBe('poweroff'); // stays finished
    m.reset();
    serial.clear();
    expect(m.cpu.pc).toBe(0x100);
    status = 'budget';
    for (let i = 0; i < 50 && status === 'budget'; i++) status = m.run(1_000_000);
    expect(status).toBe('poweroff');
    expect(serial.text()).toBe(first);
    expect(retired).toBeGreaterThan(0);
  });
});
