/**
 * --device ethoc on virt: a sys-bus device placed where the board table
 * reserves room (VIRT_USER_SYSBUS), with QEMU's or1k-sim node for it.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { machineClass } from '../../../emulator/board/board.ts';
import { TYPE_VIRT_MACHINE } from '../../../emulator/board/virt.ts';
import { ETHOC_REGION_SIZE, TYPE_ETHOC } from '../../../emulator/devices/ethoc.ts';
import type { TypeInfo } from '../../../emulator/qom/registry.ts';
import { VIRT_USER_SYSBUS } from '../../../emulator/board/virt.ts';
import { createMachine, deviceHelp } from '../../../emulator/machine.ts';
import { QomError } from '../../../emulator/qom/errors.ts';
import { RecordingBackend } from '../net/fake-backend.ts';
import { dtcDecompile } from '../fdt/dtc.ts';
import { spinElf } from '../../helpers/or1k-elf.ts';

describe('user-added sys-bus devices on virt', () => {
  it('ethoc sits at 0x92000000 (0x800), IRQ 20, with QEMU\'s node (root, big-endian, alias enet0)', () => {
    expect(VIRT_USER_SYSBUS.map((r) => [r.name, r.base, r.size, r.irq])).toEqual([['ethoc', 0x9200_0000, 0x800, 20]]);
    const backend = new RecordingBackend();
    const m = createMachine({ kernel: spinElf(), memoryBytes: 16 << 20, netdevs: { n0: backend }, devices: ['ethoc,netdev=n0,mac=52:54:00:00:00:02'] });
    expect(m.bus.regionAt(0x9200_0000)?.name).toBe('/machine/sysbus/ethoc');
    const dts = dtcDecompile(m.dtb);
    expect(dts).toMatch(/ethoc@92000000 \{\s+big-endian;\s+interrupts = <0x14>;\s+reg = <0x92000000 0x800>;\s+compatible = "opencores,ethoc";\s+\};/);
    expect(dts).toMatch(/enet0 = "\/ethoc@92000000";/);
    expect(backend.frontend).toBeDefined();
    expect(m.printTree()).toMatch(/netdevs[\s\S]*n0/);
    // The MAC registers hold the property (big-endian register reads at the region).
    expect(m.bus.regionAt(0x9200_0000)).toBeDefined();
  });

  it('as an or1k-sim board row (0x92000000, IRQ 4) its node is exactly QEMU or1k-sim\'s (-machine dumpdtb)', () => {
    const SIM_LIKE: TypeInfo = {
      name: 'virt-with-sim-ethoc',
      parent: TYPE_VIRT_MACHINE,
      description: 'virt plus the ethoc row or1k-sim has',
      classInit: (klass) => {
        const mc = machineClass(klass);
        mc.devices = [...mc.devices, { name: 'ethoc', type: TYPE_ETHOC, base: 0x9200_0000, size: ETHOC_REGION_SIZE, irq: 4 }];
        mc.devices = mc.devices.filter((d) => d.name !== 'virtio-mmio.0'); // IRQ 4 is or1k-sim's ethoc line
        mc.userSysbus = []; // the row replaces virt's place for a user-added one
      },
    };
    const ours = dtcDecompile(createMachine({ kernel: spinElf(), memoryBytes: 16 << 20, board: SIM_LIKE }).dtb);
    const dtb = join(mkdtempSync(join(tmpdir(), 'simdtb-')), 'sim.dtb');
    const q = spawnSync('qemu-system-or1k', ['-M', 'or1k-sim', '-nic', 'user', '-nographic', '-kernel', '/dev/null', '-machine', `dumpdtb=${dtb}`], { encoding: 'utf8' });
    expect(q.status, q.stderr).toBe(0);
    const theirs = dtcDecompile(new Uint8Array(readFileSync(dtb)));
    const node = (dts: string): string => /\tethoc@92000000 \{[^}]*\};/.exec(dts)?.[0] ?? `(no ethoc node in:\n${dts})`;
    expect(node(ours)).toBe(node(theirs));
    expect(theirs).toContain('enet0 = "/ethoc@92000000";');
    expect(ours).toContain('enet0 = "/ethoc@92000000";');
  });

  it('a second ethoc is refused (one place), and a bad MAC names the property', () => {
    expect(() => createMachine({ kernel: spinElf(), memoryBytes: 16 << 20, devices: ['ethoc', 'ethoc'] })).toThrow(/room for one ethoc/);
    const err = (() => {
      try {
        createMachine({ kernel: spinElf(), memoryBytes: 16 << 20, devices: ['virtio-net-device,mac=01:00:5e:00:00:01'] });
      } catch (e) {
        return e as QomError;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(QomError);
    expect(err!.message).toMatch(/mac '01:00:5e:00:00:01' is not a unicast MAC address/);
  });

  it('a netdev= naming no backend is an error listing the known ones', () => {
    expect(() => createMachine({ kernel: spinElf(), memoryBytes: 16 << 20, netdevs: { net0: new RecordingBackend() }, devices: ['virtio-net-device,netdev=nope'] })).toThrow(/no netdev with id 'nope'/);
  });

  it('--device help lists ethoc and virtio-net-device as addable', () => {
    const help = deviceHelp('help')!;
    expect(help).toMatch(/Devices you can add[\s\S]*name "ethoc", bus System[\s\S]*name "virtio-net-device", bus virtio-bus[\s\S]*Built into the board/);
    expect(deviceHelp('ethoc,help')).toMatch(/mac=<string>.*default: "52:54:00:12:34:56"/);
  });
});
