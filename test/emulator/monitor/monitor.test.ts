/**
 * Every monitor command against a real machine built from the virt board
 * (the device model's composition tree, bus and CPU), with `--print-machine`'s
 * memory map as the oracle for `info mtree`. QEMU's own output is compared in
 * qemu-monitor.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { machineTarget } from '../../../emulator/host/machine-target.ts';
import { runMachine } from '../../../emulator/host/runner.ts';
import { Monitor, POWERDOWN_NOTE, runningMachineMonitor, splitArgs } from '../../../emulator/monitor/monitor.ts';
import { plainMachine, twoDiskMachine } from './machines.ts';

const text = (mon: Monitor, line: string): string => mon.execute(line).text;

/** `info mtree` device lines as [base, end, kind, name]. */
function mtreeRegions(out: string): Array<[number, number, string, string]> {
  return [...out.matchAll(/^ {4}([0-9a-f]{16})-([0-9a-f]{16}) \(prio 0, (ram|i\/o)\): (\S+)/gm)].map((m) => [parseInt(m[1]!, 16), parseInt(m[2]!, 16), m[3]!, m[4]!]);
}

describe('help', () => {
  it('lists every command as "name args -- text", and one command or the info items on request', () => {
    const mon = new Monitor({ machine: plainMachine() });
    const help = text(mon, 'help');
    for (const c of ['help', 'qom-list path', 'qom-get path property', 'system_reset', 'system_powerdown', 'quit', 'info mtree', 'info qtree']) {
      expect(help).toMatch(new RegExp(`^${c.replace(/[[\]]/g, '\\$&')} .*-- `, 'm'));
    }
    expect(help).toMatch(/system_powerdown .*-- .*nothing on this board .*handles it/);
    expect(text(mon, 'help qom-get')).toBe('qom-get path property -- print a QOM property (as JSON)\n');
    expect(text(mon, '? quit')).toBe('quit  -- quit the emulator\n');
    expect(text(mon, 'info')).toBe(text(mon, 'help info'));
    expect(text(mon, 'info')).toMatch(/^info mtree \[-o\] -- /);
    expect(text(mon, 'help frobnicate')).toBe("unknown command: 'frobnicate'\n");
  });
});

describe('info mtree', () => {
  it('shows RAM and every mapped device region, by address, as --print-machine\'s memory map has them', () => {
    const m = twoDiskMachine();
    const out = text(new Monitor({ machine: m }), 'info mtree');
    expect(out.split('\n').slice(0, 3)).toEqual([
      'address-space: cpu-memory-0',
      'address-space: memory',
      '  0000000000000000-00000000ffffffff (prio 0, i/o): system',
    ]);
    const regions = mtreeRegions(out);
    // The oracle: the memory map `mkrootfs boot --print-machine` prints (Machine.printTree).
    const map = [...m.printTree().matchAll(/^ {2}0x([0-9a-f]{8})-0x([0-9a-f]{8}) (\S+)$/gm)].map((x) => [parseInt(x[1]!, 16), parseInt(x[2]!, 16), x[3]!] as const);
    expect(map.length).toBe(12);
    expect(regions.map(([b, e]) => [b, e])).toEqual(map.map(([b, e]) => [b, e]));
    expect(regions[0]).toEqual([0, 128 * 1024 * 1024 - 1, 'ram', 'openrisc.ram']);
    // Each device region is named after the type of the object --print-machine names.
    for (let i = 1; i < map.length; i++) expect(regions[i]![3]).toBe(m.qom(map[i]![2])!.typeName);
    expect(regions.slice(1).map((r) => r[3])).toEqual(['ns16550a', 'sifive_test', 'goldfish-rtc', ...Array(8).fill('virtio-mmio')]);
    expect(out.endsWith('\n\n')).toBe(true);
  });

  it('-o adds the owner of each region; other options are refused', () => {
    const mon = new Monitor({ machine: plainMachine() });
    const out = text(mon, 'info mtree -o');
    expect(out).toContain('0000000090000000-00000000900000ff (prio 0, i/o): ns16550a owner:{dev path=/machine/sysbus/serial}\n');
    expect(out).toContain('(prio 0, ram): openrisc.ram parent:{obj path=/machine}\n');
    expect(out).toContain('(prio 0, i/o): system parent:{obj path=/machine}\n');
    expect(text(mon, 'info mtree -x')).toBe("info mtree: invalid option '-x'\nTry \"help info\" for more information\n");
  });
});

describe('info qtree', () => {
  it('prints buses and devices with QEMU\'s indentation, newest device first, user devices on their virtio bus', () => {
    const out = text(new Monitor({ machine: twoDiskMachine() }), 'info qtree');
    const lines = out.split('\n');
    expect(lines.slice(0, 2)).toEqual(['bus: main-system-bus', '  type System']);
    const devs = lines.filter((l) => /^ *dev: /.test(l)).map((l) => l.trim());
    expect(devs).toEqual([
      'dev: virtio-mmio, id ""', 'dev: virtio-blk-device, id ""',
      'dev: virtio-mmio, id ""', 'dev: virtio-blk-device, id "data"',
      ...Array(6).fill('dev: virtio-mmio, id ""'),
      'dev: goldfish-rtc, id ""', 'dev: sifive_test, id ""', 'dev: ns16550a, id ""',
    ]);
    expect(out).toContain([
      '  dev: virtio-mmio, id ""',
      '    gpio-out "sysbus-irq" 1',
      '    slot = 6 (0x6)',
      '    mmio 0000000097006000/0000000000001000',
      '    bus: virtio-mmio-bus.6',
      '      type virtio-bus',
      '      dev: virtio-blk-device, id "data"',
      '        drive = "d1"',
      '        serial = "SN42"',
      '        read-only = false',
      '  dev: virtio-mmio, id ""',
    ].join('\n'));
    expect(out).toContain([
      '  dev: sifive_test, id ""',
      '    mmio 0000000096000000/0000000000000008',
      '  dev: ns16550a, id ""',
      '    gpio-out "sysbus-irq" 1',
      '    clock-frequency = 20000000 (0x1312d00)',
      '    chardev = "serial0"',
      '    alias = "uart0"',
      '    mmio 0000000090000000/0000000000000100',
      '',
    ].join('\n'));
    // Indentation: every line is 2*k spaces deep and at most one level deeper than the line before.
    let depth = 0;
    for (const l of lines.filter(Boolean)) {
      const d = l.length - l.trimStart().length;
      expect(d % 2).toBe(0);
      expect(d).toBeLessThanOrEqual(depth + 2);
      depth = d;
    }
  });
});

describe('qom-list', () => {
  it('lists "name (type)" with child<> and link<> properties, for absolute and partial paths', () => {
    const mon = new Monitor({ machine: twoDiskMachine() });
    expect(text(mon, 'qom-list /')).toBe('type (string)\nmachine (child<virt-machine>)\n');
    const machine = text(mon, 'qom-list /machine');
    expect(machine.split('\n')[0]).toBe('type (string)');
    expect(machine).toContain('memory (size)\n');
    expect(machine).toContain('cpu (child<or1k-cpu>)\nsysbus (child<container>)\ndrives (child<container>)\n');
    const slot = text(mon, 'qom-list /machine/sysbus/virtio-mmio.6');
    expect(slot).toBe('type (string)\nrealized (bool)\nslot (uint32)\nmmio (uint32)\nmmio-size (uint32)\nirq (uint32)\ndevice (child<virtio-blk-device>)\n');
    expect(text(mon, 'qom-list virtio-mmio.6/device')).toBe('type (string)\nrealized (bool)\ndrive (link<drive>)\nserial (string)\nread-only (bool)\n');
    expect(text(mon, 'qom-list //machine//sysbus/')).toBe(text(mon, 'qom-list /machine/sysbus'));
    expect(text(mon, 'qom-list machine')).toBe(machine);
    // Links are followed as path components, as QEMU's object_resolve_path does.
    expect(text(mon, 'qom-list virtio-mmio.6/device/drive')).toBe('type (string)\nsize (size)\nread-only (bool)\n');
    expect(text(mon, 'qom-list')).toBe('/\n');
  });

  it('reports unknown and ambiguous paths as QEMU does', () => {
    const mon = new Monitor({ machine: twoDiskMachine() });
    expect(text(mon, 'qom-list /nope')).toBe("Error: Device '/nope' not found\n");
    expect(text(mon, 'qom-list /machine/sysbus/serial/x')).toBe("Error: Device '/machine/sysbus/serial/x' not found\n");
    expect(text(mon, 'qom-list ns16550a')).toBe("Error: Device 'ns16550a' not found\n");
    expect(text(mon, 'qom-list device')).toBe("Error: Path 'device' is ambiguous\n");
    expect(text(new Monitor({ machine: plainMachine() }), 'qom-list device')).toBe("Error: Device 'device' not found\n");
  });
});

describe('qom-get', () => {
  it('prints values as JSON; child<> and link<> read as the target path', () => {
    const m = twoDiskMachine();
    const mon = new Monitor({ machine: m });
    expect(text(mon, 'qom-get /machine type')).toBe('"virt-machine"\n');
    expect(text(mon, 'qom-get /machine memory')).toBe('134217728\n');
    expect(text(mon, 'qom-get /machine append')).toBe('""\n');
    expect(text(mon, 'qom-get /machine dtb-address')).toBe(`${m.dtbAddress}\n`);
    expect(text(mon, 'qom-get /machine sysbus')).toBe('"/machine/sysbus"\n');
    expect(text(mon, 'qom-get serial irq')).toBe('2\n');
    expect(text(mon, 'qom-get rtc mmio')).toBe(`${0x96005000}\n`);
    expect(text(mon, 'qom-get /machine/sysbus/rtc realized')).toBe('true\n');
    expect(text(mon, 'qom-get virtio-mmio.6/device drive')).toBe('"/machine/drives/d1"\n');
    expect(text(mon, 'qom-get virtio-mmio.6/device serial')).toBe('"SN42"\n');
    expect(text(mon, 'qom-get virtio-mmio.6/device/drive read-only')).toBe('true\n');
    expect(text(mon, 'qom-get virtio-mmio.7 device')).toBe('"/machine/sysbus/virtio-mmio.7/device"\n');
    expect(text(mon, 'qom-get / machine')).toBe('"/machine"\n');
    expect(text(mon, 'qom-get "/machine" "type"')).toBe('"virt-machine"\n');
  });

  it('reports a bad path, an unknown property and a missing argument as QEMU does', () => {
    const mon = new Monitor({ machine: plainMachine() });
    expect(text(mon, 'qom-get /machine nope')).toBe("Error: Property 'virt-machine.nope' not found\n");
    expect(text(mon, 'qom-get serial baud')).toBe("Error: Property 'ns16550a.baud' not found\n");
    expect(text(mon, 'qom-get /machine/cpu realized')).toBe("Error: Property 'or1k-cpu.realized' not found\n");
    expect(text(mon, 'qom-get /nope type')).toBe("Error: Device '/nope' not found\n");
    expect(text(mon, 'qom-get /machine')).toBe('qom-get: string expected\nTry "help qom-get" for more information\n');
    expect(text(mon, 'qom-get /machine type extra')).toBe('qom-get: extraneous characters at the end of line\nTry "help qom-get" for more information\n');
  });
});

describe('system_reset, system_powerdown, info status/registers, quit', () => {
  it('system_reset on a stopped machine resets the CPU, the clock and the devices at once', () => {
    const m = plainMachine();
    const mon = new Monitor({ machine: m });
    expect(m.run(10_000)).toBe('budget');
    m.cpu.gpr[5] = 0x1234;
    expect(m.nowNs()).toBeGreaterThan(0);
    expect(text(mon, 'info registers')).toMatch(/^PC=0000010[04]\n.*R05=00001234 /s);
    // A device with state: the RTC's alarm (armed through the bus as a driver would).
    const rtc = m.qom('/machine/sysbus/rtc')!.getNumber('mmio');
    m.bus.write(rtc + 0x0c, 4, 0); // ALARM_HIGH, then ALARM_LOW = 1 s (little-endian registers) arms it
    m.bus.write(rtc + 0x08, 4, 0x00ca9a3b);
    const armed = m.nextEventNs();
    expect(armed).toBeLessThan(Infinity);
    expect(text(mon, 'system_reset')).toBe('');
    expect(m.nowNs()).toBe(0);
    expect(m.nextEventNs()).toBeGreaterThan(armed);
    const regs = text(mon, 'info registers');
    expect(regs.split('\n')[0]).toBe('PC=00000100');
    expect(regs).toContain(`R03=${m.dtbAddress.toString(16).padStart(8, '0')}\n`);
    expect(regs).toContain('R05=00000000 ');
    expect(regs.split('\n')).toHaveLength(10);
  });

  it('system_reset on a running machine goes through the runner\'s reboot path', async () => {
    const m = plainMachine();
    const mon = runningMachineMonitor(m);
    m.run(10_000);
    expect(text(mon, 'info status')).toBe('VM status: running\n');
    expect(text(mon, 'system_reset')).toBe('');
    expect(m.finish?.kind).toBe('reboot');
    expect(m.run(100)).toBe('reboot');
    let slices = 0;
    const r = await runMachine(machineTarget(m), { afterSlice: () => ++slices >= 1 }, { rebootResets: true, sliceInstructions: 1000 });
    expect(r.end).toBe('stopped');
    expect(m.finish).toBeUndefined();
    expect(m.nowNs()).toBe(1000 * 50); // one 1000-instruction slice after the reset (50 ns per instruction)
  });

  it('system_powerdown reaches no device (as on QEMU 7.2\'s or1k virt): it says so and the guest keeps running', () => {
    const m = plainMachine();
    const mon = runningMachineMonitor(m);
    expect(mon.execute('system_powerdown')).toEqual({ text: POWERDOWN_NOTE, quit: false });
    expect(m.finish).toBeUndefined();
    expect(m.run(1000)).toBe('budget');
    expect(text(mon, 'info status')).toBe('VM status: running\n');
  });

  it('info status: paused when the host is not running it, shutdown after a guest power-off', () => {
    const m = plainMachine();
    const mon = new Monitor({ machine: m });
    expect(text(mon, 'info status')).toBe('VM status: paused\n');
    m.bus.write(m.qom('/machine/sysbus/syscon')!.getNumber('mmio'), 4, 0x5555);
    expect(text(mon, 'info status')).toBe('VM status: shutdown\n');
  });

  it('quit (or q) asks the host to quit', () => {
    const mon = new Monitor({ machine: plainMachine() });
    expect(mon.execute('quit')).toEqual({ text: '', quit: true });
    expect(mon.execute('  q  ')).toEqual({ text: '', quit: true });
    expect(mon.execute('quit now').quit).toBe(false);
  });
});

describe('parsing and robustness', () => {
  it('splits words, with quotes grouping blanks', () => {
    expect(splitArgs('  qom-get  "/a b"  c\'d e\'f ')).toEqual(['qom-get', '/a b', 'cd ef']);
    expect(splitArgs('x "unterminated rest')).toEqual(['x', 'unterminated rest']);
    expect(splitArgs('   ')).toEqual([]);
  });

  it('unknown commands print QEMU\'s message; nothing ever throws out of the monitor', () => {
    const m = plainMachine();
    const mon = new Monitor({ machine: m });
    expect(mon.execute('')).toEqual({ text: '', quit: false });
    expect(text(mon, 'foo bar')).toBe("unknown command: 'foo'\n");
    expect(text(mon, 'info foo')).toBe("unknown command: 'info foo'\n");
    for (const line of ['qom-get', 'qom-list "', '\u0000\u00ff', 'info qtree x', 'qom-get / /', 'qom-list ' + 'a/'.repeat(5000)]) {
      expect(() => mon.execute(line)).not.toThrow();
    }
    // A failure inside a command (here: a broken tree) prints an error instead of escaping.
    const serial = m.qom('/machine/sysbus/serial')!;
    serial.propertyList = () => { throw new Error('broken property table'); };
    expect(text(mon, 'info qtree')).toBe('Error: broken property table\n');
  });
});
