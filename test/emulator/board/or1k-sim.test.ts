/**
 * The or1k-sim board, --cpu models and --initrd, against qemu-system-or1k 7.2:
 * - device trees decompiled with dtc, node for node, with and without an
 *   initrd and a command line (QEMU run with -nic none: the ethoc slot is
 *   not filled yet), and the virt board with an initrd;
 * - a bare-metal program reading the CPU configuration registers and the
 *   four UARTs prints the same as under QEMU, for -cpu or1200 and any;
 * - l.nop 1 powers off on or1k-sim only; a reset restores every UART,
 *   the initrd and the DTB;
 * - the CLI: --print-machine, --machine/--cpu help, usage errors (exit 2).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BufferCharBackend } from '../../../emulator/devices/char-backend.ts';
import { TYPE_OR1KSIM_MACHINE } from '../../../emulator/board/or1k-sim.ts';
import { createMachine, type Machine, type RunStatus } from '../../../emulator/machine.ts';
import { guestVar } from '../../../src/guest/vars.ts';
import { dtcDecompile } from '../fdt/dtc.ts';

const fixtures = new URL('./fixtures/baremetal/', import.meta.url).pathname;
const repo = new URL('../../../', import.meta.url).pathname;
let dir = '';
let elfPath = '';
let elf: Uint8Array;
let vmlinux = '';
let initrdPath = '';
let bigInitrdPath = '';

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'or1k-sim-test-'));
  elfPath = join(dir, 'or1ksim.elf');
  execFileSync('or1k-elf-gcc', ['-O2', '-nostdlib', '-ffreestanding', '-Wl,--no-warn-rwx-segments', '-T', join(fixtures, 'link.ld'), '-o', elfPath, join(fixtures, 'start.S'), join(fixtures, 'or1ksim.c')]);
  elf = new Uint8Array(readFileSync(elfPath));
  // Any or1k vmlinux places the images as a kernel does; the guest's virt kernel is always there.
  vmlinux = process.env.MKROOTFS_TEST_KERNEL ?? await guestVar('kernel', { build: false });
  initrdPath = join(dir, 'initrd.bin');
  writeFileSync(initrdPath, Buffer.from(Array.from({ length: 12_345 }, (_, i) => (i * 7) & 0xff)));
  bigInitrdPath = join(dir, 'big.bin');
  writeFileSync(bigInitrdPath, Buffer.alloc(20 << 20, 1));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function qemuDtb(machine: string, args: string[]): string {
  const out = join(dir, `qemu-${machine}.dtb`);
  rmSync(out, { force: true });
  spawnSync('qemu-system-or1k', ['-M', `${machine},dumpdtb=${out}`, '-m', '128', '-kernel', vmlinux, '-nic', 'none', '-nographic', ...args], { timeout: 20_000 });
  return dtcDecompile(new Uint8Array(readFileSync(out)));
}

function ourDtb(board: 'virt' | 'or1k-sim', opts: { initrd?: string; append?: string }): { dts: string; m: Machine } {
  const m = createMachine({
    kernel: new Uint8Array(readFileSync(vmlinux)),
    board: board === 'virt' ? undefined : TYPE_OR1KSIM_MACHINE,
    initrd: opts.initrd ? new Uint8Array(readFileSync(opts.initrd)) : undefined,
    cmdline: opts.append,
    memoryBytes: 128 << 20,
  });
  return { dts: dtcDecompile(m.dtb), m };
}

/** virt: drop what we leave out on purpose (the PCI node, rng-seed's random value). */
function normaliseVirt(dts: string): string {
  return dts
    .replace(/\n\t\tpci@9e000000 \{[\s\S]*?\n\t\t\};\n/, '\n')
    .replace(/\t\trng-seed = \[[^\]]*\];\n|\t\trng-seed = <[^>]*>;\n/, '')
    .replace(/\n\n+/g, '\n\n');
}

describe('or1k-sim device tree (dtc, node for node against QEMU -M or1k-sim dumpdtb)', () => {
  const cases: Array<{ name: string; initrd: boolean; append?: string }> = [
    { name: 'initrd and append', initrd: true, append: 'console=ttyS0 rdinit=/init' },
    { name: 'initrd, no append', initrd: true },
    { name: 'append, no initrd', initrd: false, append: 'earlycon' },
    { name: 'neither', initrd: false },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const args = ['-cpu', 'or1200', ...(c.initrd ? ['-initrd', initrdPath] : []), ...(c.append !== undefined ? ['-append', c.append] : [])];
      const qemu = qemuDtb('or1k-sim', args);
      const { dts, m } = ourDtb('or1k-sim', { initrd: c.initrd ? initrdPath : undefined, append: c.append });
      expect(dts).toBe(qemu);
      expect(dts.match(/serial@90000[0-3]00 \{/g)).toHaveLength(4);
      if (c.initrd) {
        expect(dts).toContain(`linux,initrd-start = <${hexCell(m.initrdStart)}>;`);
        expect(m.initrdEnd - m.initrdStart).toBe(12_345);
        expect(m.initrdStart % 8192).toBe(0);
        expect(m.dtbAddress).toBe(Math.ceil(m.initrdEnd / 8192) * 8192);
      } else {
        expect(dts).not.toContain('initrd');
      }
    });
  }

  it('virt with an initrd matches QEMU -M virt -initrd (except the PCI node and rng-seed)', () => {
    const qemu = qemuDtb('virt', ['-cpu', 'any', '-initrd', initrdPath, '-append', 'console=ttyS0']);
    const { dts } = ourDtb('virt', { initrd: initrdPath, append: 'console=ttyS0' });
    expect(normaliseVirt(dts)).toBe(normaliseVirt(qemu));
    expect(dts).toContain('linux,initrd-end');
  });
});

function hexCell(v: number): string {
  return '0x' + v.toString(16).padStart(2, '0');
}

function runOurs(cpu?: string, board: 'virt' | 'or1k-sim' = 'or1k-sim'): { text: string; status: RunStatus; m: Machine } {
  const serial = new BufferCharBackend();
  const m = createMachine({ kernel: elf, memoryBytes: 32 << 20, board: board === 'virt' ? undefined : TYPE_OR1KSIM_MACHINE, cpu, serial });
  let status: RunStatus = 'budget';
  for (let i = 0; i < 5 && status === 'budget'; i++) status = m.run(1_000_000);
  return { text: serial.text(), status, m };
}

/** QEMU ignores l.nop 1, so the program spins after END: read its output, then stop it. */
function runQemu(cpu: string): string {
  const r = spawnSync('qemu-system-or1k', ['-M', 'or1k-sim', '-cpu', cpu, '-m', '32', '-kernel', elfPath, '-nographic', '-nic', 'none'], { timeout: 3000, encoding: 'latin1' });
  return r.stdout.replace(/\r\n/g, '\n');
}

describe('or1k-sim bare metal against QEMU', () => {
  for (const cpu of ['or1200', 'any']) {
    it(`-cpu ${cpu}: the same configuration registers and UARTs; l.nop 1 powers off`, () => {
      const ours = runOurs(cpu);
      const qemu = runQemu(cpu);
      expect(qemu).toContain('END\n');
      expect(ours.text).toBe(qemu.slice(0, qemu.indexOf('END\n') + 4));
      expect(ours.text).toContain(cpu === 'or1200' ? 'VR 0x13000008' : 'VR 0x13000040');
      expect(ours.text).toContain(cpu === 'or1200' ? 'AVR 0x00000000' : 'AVR 0x01030000');
      expect(ours.status).toBe('poweroff');
      expect(ours.m.exitCode).toBe(0);
    });
  }

  it('places initrd and DTB where QEMU does: r3 at reset equals QEMU\'s (monitor `info registers` before the first instruction)', () => {
    for (const board of ['or1k-sim', 'virt'] as const) {
      const q = spawnSync('qemu-system-or1k', ['-M', board, '-m', '32', '-kernel', elfPath, '-initrd', initrdPath, '-nic', 'none', '-S', '-monitor', 'stdio', '-display', 'none', '-serial', 'null'],
        { input: 'info registers\nquit\n', encoding: 'latin1', timeout: 20_000 });
      const r3 = /R03=([0-9a-f]{8})/.exec(q.stdout)?.[1];
      const m = createMachine({ kernel: elf, memoryBytes: 32 << 20, board: board === 'virt' ? undefined : TYPE_OR1KSIM_MACHINE, initrd: new Uint8Array(readFileSync(initrdPath)) });
      expect(r3, q.stdout + q.stderr).toBeDefined();
      expect(m.cpu.gpr[3]).toBe(parseInt(r3!, 16));
      expect(m.dtbAddress).toBe(Math.ceil(m.initrdEnd / 8192) * 8192);
      expect(m.initrdStart).toBe(Math.ceil(m.kernelEnd / 8192) * 8192);
    }
  });

  it('defaults to or1200 on or1k-sim and any on virt', () => {
    expect(runOurs().m.cpuModel.name).toBe('or1200');
    expect(createMachine({ kernel: elf, memoryBytes: 32 << 20 }).cpuModel.name).toBe('any');
    const virt1200 = createMachine({ kernel: elf, memoryBytes: 32 << 20, cpu: 'or1200' });
    expect([virt1200.cpu.getSpr(0), virt1200.cpu.getSpr(10), virt1200.qom('/machine/cpu')!.getString('model')]).toEqual([0x13000008, 0, 'or1200']);
    expect(() => createMachine({ kernel: elf, cpu: 'or1300' })).toThrow(expect.objectContaining({ code: 'unknown-cpu', hint: 'use one of: or1200, any' }));
  });

  it('on virt, l.nop 1 is a plain no-op (QEMU): the program spins instead of powering off', () => {
    expect(runOurs('any', 'virt').status).toBe('budget');
  });

  it('a reset restores every UART, reloads the initrd and the DTB, and the program runs again to the same power-off', () => {
    const serial = new BufferCharBackend();
    const initrd = new Uint8Array(readFileSync(initrdPath));
    const m = createMachine({ kernel: elf, memoryBytes: 32 << 20, board: TYPE_OR1KSIM_MACHINE, serial, initrd });
    let status: RunStatus = 'budget';
    for (let i = 0; i < 5 && status === 'budget'; i++) status = m.run(1_000_000);
    expect(status).toBe('poweroff');
    const first = serial.text();
    // The program left UARTs 1..3 with LCR 3, IER 0x0f, MCR 0x1b and scratch 0x41..0x43.
    const reg = (n: number, off: number): number => m.bus.read(0x90000000 + 0x100 * n + off, 1);
    for (let n = 1; n < 4; n++) expect([reg(n, 3), reg(n, 1), reg(n, 4), reg(n, 7)]).toEqual([0x03, 0x0f, 0x1b, 0x40 + n]);
    m.ram.writeBytes(m.initrdStart, new Uint8Array(64)); // the guest scribbles on its initrd and DTB
    m.ram.writeBytes(m.dtbAddress, new Uint8Array(64));
    m.reset();
    for (let n = 0; n < 4; n++) expect([reg(n, 3), reg(n, 1), reg(n, 4), reg(n, 7), reg(n, 5)]).toEqual([0, 0, 0x08, 0, 0x60]);
    expect(m.ram.readBytes(m.initrdStart, initrd.length)).toEqual(initrd);
    expect(m.ram.readBytes(m.dtbAddress, m.dtb.length)).toEqual(m.dtb);
    expect(m.cpu.gpr[3]).toBe(m.dtbAddress);
    expect(m.cpu.pc).toBe(0x100);
    expect(m.finish).toBeUndefined();
    serial.clear();
    status = 'budget';
    for (let i = 0; i < 5 && status === 'budget'; i++) status = m.run(1_000_000);
    expect(status).toBe('poweroff');
    expect(serial.text()).toBe(first);
  });

  it('the four UARTs share PIC line 2 as a wired-OR: one lowering its request leaves the others\' raised', () => {
    const m = createMachine({ kernel: elf, memoryBytes: 32 << 20, board: TYPE_OR1KSIM_MACHINE });
    const picsr = (): number => m.cpu.getSpr(0x4802) & 4;
    m.bus.write(0x90000100 + 1, 1, 0x02); // UART1: IER.THRI with THR empty raises THRE
    expect(picsr()).toBe(4);
    m.bus.write(0x90000200 + 1, 1, 0x02); // UART2 too
    m.bus.write(0x90000100 + 1, 1, 0x00); // UART1 lowers its request
    expect(picsr()).toBe(4);
    m.bus.write(0x90000200 + 1, 1, 0x00);
    expect(picsr()).toBe(0);
  });
});

function mkrootfs(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [join(repo, 'bin/mkrootfs.js'), ...args], { encoding: 'utf8', cwd: dir, timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('boot CLI: --machine, --cpu, --initrd', () => {
  it('--print-machine --machine or1k-sim shows the tree: four UARTs, the CPU model, the initrd', () => {
    const r = mkrootfs(['boot', '--machine', 'or1k-sim', '--kernel', vmlinux, '--initrd', initrdPath, '--print-machine']);
    expect(r.status).toBe(0);
    for (let n = 0; n < 4; n++) {
      expect(r.stdout).toContain(`/machine/sysbus/serial${n} (ns16550a)`);
      expect(r.stdout).toContain(`0x90000${n}00-0x90000${n}ff /machine/sysbus/serial${n}`);
    }
    expect(r.stdout).toContain('/machine (or1k-sim-machine)');
    expect(r.stdout).toContain('model = "or1200"');
    expect(r.stdout).toMatch(/initrd-start = 0x[0-9a-f]+000/);
    expect(r.stdout).not.toMatch(/virtio|goldfish|sifive/);
    expect(r.stdout).toContain('rng-seed = <unset>');
  });

  it('--machine help and --cpu help list the choices', () => {
    expect(mkrootfs(['boot', '--machine', 'help']).stdout).toMatch(/virt .*\(default\)\nor1k-sim /);
    expect(mkrootfs(['boot', '--cpu', 'help']).stdout).toMatch(/or1200[\s\S]*any/);
  });

  it('bad input ends with exit 2 and a message naming the flag', () => {
    const cases: Array<[string[], RegExp]> = [
      [['--machine', 'pc'], /--machine: unknown machine "pc"[\s\S]*use one of: virt, or1k-sim/],
      [['--cpu', 'or1300'], /--cpu: unknown CPU model "or1300"[\s\S]*use one of: or1200, any/],
      [['--initrd', join(dir, 'missing.cpio')], /initrd not found: .*missing\.cpio/],
      [['--initrd', bigInitrdPath, '--memory', '16M'], /the initrd \(20971520 bytes at 0x[0-9a-f]+, after the kernel\) does not fit in 16777216 bytes of RAM/],
    ];
    for (const [args, message] of cases) {
      const r = mkrootfs(['boot', '--machine', 'or1k-sim', '--kernel', vmlinux, ...args, '--print-machine']);
      expect(r.status, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(message);
    }
    const disk = mkrootfs(['boot', initrdPath, '--machine', 'or1k-sim', '--kernel', vmlinux]);
    expect(disk.status).toBe(2);
    expect(disk.stderr).toMatch(/or1k-sim machine has no disk/);
  });

  it('the bare-metal program powers off through l.nop 1 via the CLI on or1k-sim', () => {
    const r = mkrootfs(['boot', '--machine', 'or1k-sim', '--cpu', 'any', '--kernel', elfPath, '--memory', '32M', '--expect', 'END']);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('VR 0x13000040');
  });
});
