/**
 * Our monitor next to QEMU 7.2's own, for `-M virt` (qemu-system-or1k via
 * QMP human-monitor-command): the device regions of `info mtree`, the device
 * list of `info qtree`, the shapes of qom-list/qom-get, the error texts, and
 * what system_powerdown does on this board (nothing).
 *
 * Known, intended differences (asserted, so any other drift fails):
 * - QEMU maps the PCI host's windows (pcie-ecam/-pio/-mmio aliases and the
 *   gpex-pcihost device); our board leaves PCI out (the guest kernel has none).
 * - Region names: QEMU's are what each device calls its MemoryRegion, ours
 *   are the QOM type names (NAME_MAP).
 * - Region sizes: QEMU maps each device's register block (serial 8 bytes,
 *   goldfish 0x24, virtio-mmio 0x200, the SiFive test device 0x1000); our bus
 *   decodes the board table's size, the device tree's `reg` (SIZE_DIFFERENCES).
 * - The virtio bus type: QEMU's concrete `virtio-mmio-bus`, ours the
 *   `virtio-bus` type devices plug into.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Monitor } from '../../../emulator/monitor/monitor.ts';
import { plainMachine, spinElf } from './machines.ts';
import { qemuHmp } from './qemu-hmp.ts';

/** QEMU's region / device name → ours. */
const NAME_MAP: Readonly<Record<string, string>> = {
  'openrisc.ram': 'openrisc.ram',
  serial: 'ns16550a',
  'serial-mm': 'ns16550a',
  'riscv.sifive.test': 'sifive_test',
  goldfish_rtc: 'goldfish-rtc',
  'virtio-mmio': 'virtio-mmio',
};
/** [our type, QEMU's region size, our decoded size] for every device whose sizes differ. */
const SIZE_DIFFERENCES = [
  ['ns16550a', 0x8, 0x100],
  ['sifive_test', 0x1000, 0x8],
  ['goldfish-rtc', 0x24, 0x1000],
  ...Array.from({ length: 8 }, () => ['virtio-mmio', 0x200, 0x1000]),
];
const PCI_REGIONS = ['pcie-ecam', 'pcie-pio', 'pcie-mmio'];

interface Region { base: number; size: number; kind: string; name: string }

/** The regions under `system` in the `address-space: memory` section (alias lines named by the alias). */
function memoryRegions(mtree: string): Region[] {
  const section = mtree.split(/\n\n/).find((s) => /^address-space: memory$/m.test(s));
  if (!section) throw new Error(`no address-space: memory in:\n${mtree}`);
  return [...section.matchAll(/^ {4}([0-9a-f]{16})-([0-9a-f]{16}) \(prio (\d+), ([^)]+)\): (?:alias )?(\S+)/gm)].map((m) => {
    expect(m[3]).toBe('0');
    const base = parseInt(m[1]!, 16);
    return { base, size: parseInt(m[2]!, 16) - base + 1, kind: m[4]!, name: m[5]! };
  });
}

/** Devices directly on main-system-bus: type, mmio base (undefined when QEMU shows none), has an IRQ, child bus name. */
function sysbusDevices(qtree: string): Array<{ type: string; base?: number; irq: boolean; bus?: string }> {
  const out: Array<{ type: string; base?: number; irq: boolean; bus?: string }> = [];
  for (const block of qtree.split(/^(?=  dev: )/m).slice(1)) {
    const type = /^ {2}dev: ([^,]+),/.exec(block)![1]!;
    const mmio = /^ {4}mmio ([0-9a-f]{16})\//m.exec(block);
    const base = mmio && mmio[1] !== 'ffffffffffffffff' ? parseInt(mmio[1]!, 16) : undefined;
    out.push({ type, base, irq: /^ {4}gpio-out "sysbus-irq" /m.test(block), bus: /^ {4}bus: (\S+)/m.exec(block)?.[1] });
  }
  return out;
}

let dir = '';
let qemu: Record<string, string> = {};
const COMMANDS = ['info mtree', 'info mtree -o', 'info qtree', 'qom-list /machine', 'qom-get /machine type', 'foo', 'info foo', 'qom-list /nope', 'qom-get /machine nope', 'qom-get /machine', 'qom-list', 'qom-list /'];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'monitor-qemu-'));
  const outs = await qemuHmp(COMMANDS, ['-m', '128']);
  qemu = Object.fromEntries(COMMANDS.map((c, i) => [c, outs[i]!]));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('info mtree next to QEMU\'s', () => {
  it('has the same RAM and device regions at the same addresses, with the documented name and size differences', () => {
    const theirs = memoryRegions(qemu['info mtree']!);
    const ours = memoryRegions(new Monitor({ machine: plainMachine() }).execute('info mtree').text);
    expect(theirs.filter((r) => PCI_REGIONS.includes(r.name)).map((r) => r.name)).toEqual(PCI_REGIONS);
    const devices = theirs.filter((r) => !PCI_REGIONS.includes(r.name));
    expect(ours.map((r) => r.base)).toEqual(devices.map((r) => r.base));
    expect(ours.map((r) => r.name)).toEqual(devices.map((r) => NAME_MAP[r.name] ?? `unmapped QEMU name ${r.name}`));
    expect(ours.map((r) => r.kind)).toEqual(devices.map((r) => r.kind));
    expect(ours[0]).toEqual({ base: 0, size: 128 << 20, kind: 'ram', name: 'openrisc.ram' });
    expect(devices[0]!.size).toBe(ours[0]!.size);
    const sizeDiffs = ours.map((r, i) => [r.name, devices[i]!.size, r.size]).filter(([, q, o]) => q !== o);
    expect(sizeDiffs).toEqual(SIZE_DIFFERENCES);
  });

  it('-o names the same kind of owner for each region (parent object of RAM and system, owning device of the rest)', () => {
    const owners = (text: string): string[] => {
      const section = text.split(/\n\n/).find((x) => /^address-space: memory$/m.test(x))!;
      return [...section.matchAll(/^ {2,4}[0-9a-f]{16}-[0-9a-f]{16} \(prio 0, [^)]+\): (?:alias )?(\S+).* (owner|parent):\{(dev|obj) path=\S+\}$/gm)]
        .filter((m) => !PCI_REGIONS.includes(m[1]!))
        .map((m) => `${m[2]} ${m[3]}`);
    };
    const theirs = owners(qemu['info mtree -o']!);
    expect(theirs).toHaveLength(13); // system, RAM, 11 device regions
    expect(owners(new Monitor({ machine: plainMachine() }).execute('info mtree -o').text)).toEqual(theirs);
  });
});

describe('info qtree next to QEMU\'s', () => {
  it('lists the same sys-bus devices in the same order (newest first), with the same MMIO bases, IRQ outputs and child buses', () => {
    const theirs = sysbusDevices(qemu['info qtree']!).filter((d) => d.type !== 'gpex-pcihost');
    const oursText = new Monitor({ machine: plainMachine() }).execute('info qtree').text;
    const ours = sysbusDevices(oursText);
    expect(qemu['info qtree']!.split('\n').slice(0, 2)).toEqual(oursText.split('\n').slice(0, 2));
    expect(ours.map((d) => d.type)).toEqual(theirs.map((d) => NAME_MAP[d.type] ?? d.type));
    expect(ours.map((d) => d.irq)).toEqual(theirs.map((d) => d.irq));
    expect(ours.map((d) => d.bus)).toEqual(theirs.map((d) => d.bus));
    theirs.forEach((d, i) => {
      // QEMU's serial-mm is mapped by the board, not through sysbus: its qtree shows no base.
      if (d.base !== undefined) expect(ours[i]!.base).toBe(d.base);
    });
    expect(ours.every((d) => d.base !== undefined)).toBe(true);
    expect(qemu['info qtree']).toMatch(/^ {6}type virtio-mmio-bus$/m);
    expect(oursText).toMatch(/^ {6}type virtio-bus$/m);
  });
});

describe('qom-list, qom-get and errors next to QEMU\'s', () => {
  it('prints "name (type)" lines starting with the type, child<> properties for children', () => {
    const mon = new Monitor({ machine: plainMachine() });
    for (const [theirs, ours] of [[qemu['qom-list /machine']!, mon.execute('qom-list /machine').text], [qemu['qom-list /']!, mon.execute('qom-list /').text]]) {
      for (const text of [theirs, ours]) {
        const lines = text.trimEnd().split('\n');
        expect(lines[0]).toBe('type (string)');
        for (const l of lines) expect(l).toMatch(/^[\w.\-[\]]+ \((?:[\w-]+|(?:child|link)<[\w.-]+>)\)$/);
        expect(lines.some((l) => /\(child<[\w.-]+>\)$/.test(l))).toBe(true);
      }
    }
    expect(qemu['qom-list /']).toContain('machine (child<virt-machine>)\n');
    expect(mon.execute('qom-list /').text).toContain('machine (child<virt-machine>)\n');
  });

  it('gives QEMU\'s exact text for qom-get of the machine type and for every error', () => {
    const mon = new Monitor({ machine: plainMachine() });
    for (const c of ['qom-get /machine type', 'foo', 'info foo', 'qom-list /nope', 'qom-get /machine nope', 'qom-get /machine', 'qom-list']) {
      expect(mon.execute(c).text, c).toBe(qemu[c]);
    }
  });
});

describe('system_powerdown on or1k virt', () => {
  it('QEMU 7.2 delivers it to nobody: a running guest keeps running (ours does the same and says so)', async () => {
    const elf = join(dir, 'spin.elf');
    writeFileSync(elf, spinElf());
    const outs = await qemuHmp(['cont', 'info status', 'system_powerdown', 'info status', 'info status', 'info status'], ['-kernel', elf, '-m', '32']);
    expect(outs[0]).toBe('');
    expect(outs[2]).toBe('');
    expect(outs.slice(3)).toEqual(Array(3).fill('VM status: running\n'));
  });
});
