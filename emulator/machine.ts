/**
 * An or1k machine (the `virt` board unless `board` names another): RAM, bus,
 * CPU, the board's devices and the user's `--device`s, the generated device
 * tree, and the kernel loaded the way QEMU loads it. Everything host-facing
 * is injected (disks, console).
 *
 * API (for emulator/host and src/boot):
 *
 *   const m = createMachine({
 *     kernel,                         // ELF bytes (vmlinux or a bare-metal program)
 *     cmdline: 'root=/dev/vda console=ttyS0 rw',
 *     memoryBytes: 128 << 20,         // default 128 MiB
 *     drives: { hd0: disk },          // BlockBackend per drive id
 *     devices: ['virtio-blk-device,drive=hd0'],   // --device specs (text or DeviceSpec)
 *     netdevs: { net0: backend },     // NetBackend per netdev id ('virtio-net-device,netdev=net0')
 *     serial,                         // CharBackend: receives every guest byte
 *     rtcEpochSeconds: 1700000000,    // RTC wall clock at reset (SOURCE_DATE_EPOCH)
 *   });                               // throws QomError (with .code/.hint) on bad config
 *   m.run(1 << 20)                    // → RunStatus; m.lastRetired = instructions run
 *   m.input(bytes)                    // console input; returns how many the console's device took
 *   m.idle / m.nowNs() / m.nextEventNs() / m.skipTo(ns)   // doze fast-forward
 *   m.finish                          // {kind: 'poweroff'|'reboot'|'fail', code, exitStatus} once the guest ended
 *   m.exitCode                        // 0 / QEMU's fail status / l.nop 1 code; undefined while running
 *   m.reset()                         // reboot: every device + CPU reset, kernel and DTB reloaded
 *   m.printTree()                     // --print-machine text; m.dtb, m.dtbAddress
 *   m.qom('/machine/sysbus/rtc')      // an object of the composition tree (m.root is /machine)
 *
 * RunStatus: 'budget' (slice used up), 'doze' (waiting for an interrupt: skip
 * time to nextEventNs() or deliver input), 'poweroff' | 'reboot' | 'fail'
 * (syscon; 'poweroff' also for `l.nop 1` on or1k-sim), 'halt' (`l.nop 1`
 * with nopHooks).
 *
 * `deviceHelp('help' | 'TYPE,help')` gives the `--device` help texts.
 *
 * The machine is generic: the board type (board/virt.ts) builds the
 * composition tree from its table (board/compose.ts adds drives and
 * --devices), every device realizes itself (maps its region, connects its
 * IRQ and backends), writes its own device-tree node, and offers the
 * lifecycle interface (reset, poll, nextEventNs) that the machine drives by
 * walking the tree — no device is named here. Adding a device is its own
 * file plus one table row (see test/emulator/board/new-device.test.ts).
 *
 * `rootDisk: backend` is shorthand for drive hd0 plus a first
 * `virtio-blk-device,drive=hd0` (slot 7 → /dev/vda). Without disks the same
 * machine boots a bare-metal ELF (`--kernel` alone; `loadBareMetal(elf, opts)`).
 * `dtb: bytes` replaces the generated tree (e.g. QEMU's, for trace comparison).
 *
 * Boot protocol (QEMU hw/openrisc/boot.c): PT_LOAD segments at p_paddr; the
 * entry translated to a physical address, or 0x100 (reset vector) when that is
 * 0 (vmlinux: e_entry 0xC0000000 → PA 0); `initrd` at the first 8 KiB page
 * after the highest loaded byte, /chosen/linux,initrd-start/-end naming it;
 * the DTB at the first 8 KiB page after that (0x720000 for our vmlinux without
 * initrd); r3 = DTB address.
 *
 * `board: TYPE_OR1KSIM_MACHINE` (board/or1k-sim.ts) builds QEMU's or1k-sim;
 * `cpu: 'or1200' | 'any'` picks the configuration registers (default: the
 * board's). A board whose class sets nopHaltPowersOff ends with 'poweroff'
 * when the guest executes `l.nop 1`.
 */
import type { Device, FinishEvent, IrqLine } from './device.ts';
import { buildDeviceTree } from './board/devicetree.ts';
import { composeMachine } from './board/compose.ts';
import { boardRegistry, machineClass, TYPE_OR1K_CPU } from './board/board.ts';
import { SharedIrq } from './board/shared-irq.ts';
import { dtbAddressAfter, TYPE_VIRT_MACHINE, VIRT } from './board/virt.ts';
import { Cpu, NS_PER_TICK, StopReason } from './cpu/cpu.ts';
import { primeCpu } from './cpu/prime.ts';
import { CPU_MODELS, cpuModel, type CpuModel } from './cpu/spr.ts';
import type { BlockBackend } from './devices/block-backend.ts';
import { CONSOLE_CHARDEV, type CharBackend, type CharFrontend } from './devices/char-backend.ts';
import { loadKernelElf, type ElfFile } from './elf.ts';
import { writeFdt } from './fdt/fdt-writer.ts';
import { Bus } from './memory/bus.ts';
import type { NetBackend } from './net/net-backend.ts';
import { TYPE_NETDEV } from './net/netdev.ts';
import { Ram } from './memory/ram.ts';
import { deviceHelpText, parseDeviceArg, type DeviceSpec } from './qom/device-spec.ts';
import { QomError } from './qom/errors.ts';
import { objectCast, type QObject } from './qom/object.ts';
import { DeviceClass, realizeTree, TYPE_DRIVE, type RealizeContext } from './qom/qdev.ts';
import { printTree } from './qom/qtree.ts';
import { TypeRegistry, type TypeInfo } from './qom/registry.ts';

export type RunStatus = 'budget' | 'doze' | 'poweroff' | 'reboot' | 'fail' | 'halt';

export interface MachineOptions {
  /** The kernel or bare-metal program: its ELF bytes, or the file read on demand (read again on reset). */
  kernel: Uint8Array | ElfFile;
  /** The board type (a subtype of `machine`); default the virt board. */
  board?: TypeInfo;
  cmdline?: string;
  memoryBytes?: number;
  devices?: ReadonlyArray<string | DeviceSpec>;
  drives?: Readonly<Record<string, BlockBackend>>;
  /** Host network backends by id (what a NIC's `netdev=ID` names); polled with the devices. */
  netdevs?: Readonly<Record<string, NetBackend>>;
  /** Shorthand: drive "hd0" + a first virtio-blk-device on it. */
  rootDisk?: BlockBackend;
  serial?: CharBackend;
  rtcEpochSeconds?: number;
  /** Seed of /chosen/rng-seed (default 1); null leaves it out. */
  rngSeed?: number | null;
  /** CPU model (QEMU -cpu: `or1200`, `any`); default the board's (virt: any, or1k-sim: or1200). */
  cpu?: string;
  /**
   * An initrd (initramfs cpio): loaded at the first 8 KiB page after the
   * kernel, named in /chosen/linux,initrd-start/-end; the DTB follows it.
   */
  initrd?: Uint8Array;
  /** Use this DTB instead of the generated one (e.g. QEMU's, for trace comparison). */
  dtb?: Uint8Array;
  /** Treat `l.nop 1` (exit) and `l.nop 4` (putc) as or1ksim does; default off, like QEMU. */
  nopHooks?: boolean;
  /** Diagnostics (unmapped bus accesses, broken virtqueues). */
  log?: (message: string) => void;
}

const discard: CharBackend = { write: () => {} };

export class Machine {
  readonly ram: Ram;
  readonly bus: Bus;
  readonly cpu: Cpu;
  /** The composition tree: /machine. */
  readonly root: QObject;
  readonly dtb: Uint8Array;
  /** The CPU model the machine was built with. */
  readonly cpuModel: CpuModel;
  initrdStart = 0;
  initrdEnd = 0;
  dtbAddress = 0;
  kernelEnd = 0;
  entry: number = VIRT.resetPc;
  /** Set when the guest powered off, rebooted or failed through the syscon. */
  finish: FinishEvent | undefined;
  /** `l.nop 1` exit code (bare-metal, with nopHooks). */
  haltCode: number | undefined;
  /** Instructions retired by the last run(). */
  lastRetired = 0;
  private readonly serial: CharBackend;
  private readonly kernel: Uint8Array | ElfFile;
  private readonly initrd: Uint8Array | undefined;
  /** `l.nop 1` is a power-off on this board (or1k-sim). */
  private readonly haltPowersOff: boolean;
  private readonly log: (message: string) => void;
  /** Realized devices in tree order, with their class (reset goes through it). */
  private readonly devices: Array<{ obj: QObject; klass: DeviceClass }> = [];
  /** Devices with timers or host input (polled between CPU slices). */
  private readonly timed: Device[] = [];
  /** The host's network backends (--nic). */
  private readonly netBackends: NetBackend[] = [];
  /** Who receives the host's console input. */
  private console: CharFrontend | undefined;

  constructor(options: MachineOptions) {
    this.log = options.log ?? (() => {});
    this.serial = options.serial ?? discard;
    this.kernel = options.kernel;
    this.initrd = options.initrd;
    const drives: Record<string, BlockBackend> = { ...(options.drives ?? {}) };
    const devices: Array<string | DeviceSpec> = [];
    if (options.rootDisk) {
      if (drives.hd0) throw new QomError('duplicate-id', 'rootDisk and drives.hd0 both given', { hint: 'pass the root disk one way' });
      drives.hd0 = options.rootDisk;
      devices.push('virtio-blk-device,drive=hd0');
    }
    devices.push(...(options.devices ?? []));
    const driveInfo = Object.fromEntries(Object.entries(drives).map(([id, d]) => [id, { size: d.size, readOnly: d.readOnly }]));
    const { root } = composeMachine({
      board: options.board ?? TYPE_VIRT_MACHINE,
      memoryBytes: options.memoryBytes,
      cmdline: options.cmdline,
      rngSeed: options.rngSeed,
      rtcEpochSeconds: options.rtcEpochSeconds,
      devices,
      drives: driveInfo,
      netdevs: Object.keys(options.netdevs ?? {}),
    });
    this.root = root;
    const mc = machineClass(root.klass);
    const modelName = options.cpu ?? mc.defaultCpu;
    const model = cpuModel(modelName);
    if (!model) {
      throw new QomError('unknown-cpu', `unknown CPU model '${modelName}'`, { hint: `use one of: ${Object.keys(CPU_MODELS).join(', ')}`, data: { cpu: modelName } });
    }
    this.cpuModel = model;
    this.haltPowersOff = mc.nopHaltPowersOff;

    this.ram = new Ram(root.getNumber('memory'));
    this.bus = new Bus({ ram: this.ram, logger: this.log });
    this.cpu = new Cpu({ bus: this.bus });
    this.cpu.model = model;
    this.cpu.nopHooks = options.nopHooks === true;
    this.cpu.nopHalt = this.haltPowersOff;
    const cpuObj = objectCast(root.children.get('cpu'), TYPE_OR1K_CPU.name);
    cpuObj.set('model', model.name);
    cpuObj.instance = this.cpu;
    cpuObj.realized = true;
    // Host backends are realized as given (QEMU creates -drive backends before devices).
    for (const drive of root.children.get('drives')!.children.values()) {
      objectCast(drive, TYPE_DRIVE.name).instance = drives[drive.id!]!;
      drive.realized = true;
    }

    for (const netdev of root.children.get('netdevs')?.children.values() ?? []) {
      const backend = options.netdevs![netdev.id!]!;
      objectCast(netdev, TYPE_NETDEV.name).instance = backend;
      netdev.realized = true;
      this.netBackends.push(backend);
    }

    const chardevs = new Map<string, CharBackend>([[CONSOLE_CHARDEV, this.serial]]);
    const irqLines = new Map<number, SharedIrq>();
    const ctx: RealizeContext = {
      map: (base, size, handler, name) => this.bus.map(base, size, handler, name),
      ram: this.ram,
      clock: this.cpu.clock,
      irq: (line: number): IrqLine => {
        let shared = irqLines.get(line);
        if (!shared) irqLines.set(line, (shared = new SharedIrq(this.cpu.picLine(line))));
        return shared.input();
      },
      chardev: (id) => {
        const c = chardevs.get(id);
        if (!c) throw new QomError('missing-link-target', `no chardev with id '${id}'`, { hint: `the machine has: ${[...chardevs.keys()].join(', ')}` });
        return c;
      },
      setCharFrontend: (id, frontend) => {
        if (id === CONSOLE_CHARDEV) this.console = frontend;
      },
      requestShutdown: (event) => {
        this.finish = event;
        this.cpu.requestStop();
      },
      rtcEpochSeconds: root.getNumber('rtc-base'),
      log: this.log,
    };
    realizeTree(root, ctx);
    for (const obj of root.walk()) {
      if (!(obj.klass instanceof DeviceClass) || !obj.realized) continue;
      this.devices.push({ obj, klass: obj.klass });
      const d = obj.instance as Device | undefined;
      if (d && typeof d.poll === 'function' && typeof d.nextEventNs === 'function') this.timed.push(d);
    }
    // Network backends deliver frames and fire their timers between CPU slices, like devices.
    this.timed.push(...this.netBackends);

    // The tree names the initrd's place, so the images are placed before it is built.
    this.placeImages();
    this.dtb = options.dtb ?? writeFdt(buildDeviceTree(root));
    this.loadDtb();
  }

  /**
   * Loads the kernel ELF and the initrd (QEMU hw/openrisc/boot.c:
   * openrisc_load_kernel, openrisc_load_initrd): the initrd at the first
   * 8 KiB page after the kernel's highest byte, the DTB at the first page
   * after the initrd (or the kernel).
   */
  private placeImages(): void {
    const image = loadKernelElf(this.kernel, this.ram);
    this.kernelEnd = image.end;
    // QEMU's load_elf translates e_entry through the segment containing it; 0 means "use the reset vector".
    const seg = image.segments.find((s) => image.entry >= s.vaddr && image.entry < s.vaddr + s.memsz);
    const entry = seg ? (seg.paddr + (image.entry - seg.vaddr)) >>> 0 : image.entry;
    this.entry = entry === 0 ? VIRT.resetPc : entry;
    let end = image.end;
    if (this.initrd) {
      const start = dtbAddressAfter(image.end);
      if (!this.ram.contains(start, this.initrd.length)) {
        throw new QomError('initrd-too-big', `the initrd (${this.initrd.length} bytes at 0x${start.toString(16)}, after the kernel) does not fit in ${this.ram.size} bytes of RAM`, {
          hint: `give the machine more memory (at least ${Math.ceil((start + this.initrd.length + 0x10000) / 0x100000)}M) or use a smaller initrd`,
          data: { initrdBytes: this.initrd.length, start, memoryBytes: this.ram.size },
        });
      }
      this.ram.writeBytes(start, this.initrd);
      this.initrdStart = start;
      this.initrdEnd = start + this.initrd.length;
      this.root.set('initrd-start', this.initrdStart);
      this.root.set('initrd-end', this.initrdEnd);
      end = this.initrdEnd;
    }
    this.dtbAddress = dtbAddressAfter(end);
  }

  /** Writes the DTB after the images and resets the CPU to the entry with r3 = DTB. */
  private loadDtb(): void {
    if (!this.ram.contains(this.dtbAddress, this.dtb.length)) {
      throw new QomError('bad-property-value', `the device tree (at 0x${this.dtbAddress.toString(16)}, ${this.dtb.length} bytes) does not fit in ${this.ram.size} bytes of RAM after the kernel${this.initrd ? ' and initrd' : ''}`, {
        hint: 'give the machine more memory',
      });
    }
    this.ram.writeBytes(this.dtbAddress, this.dtb);
    this.root.set('kernel-end', this.kernelEnd);
    this.root.set('dtb-address', this.dtbAddress);
    this.cpu.reset(this.entry);
    this.cpu.gpr[3] = this.dtbAddress;
  }

  /**
   * Runs up to `budget` instructions. Returns why it stopped; instructions
   * retired are in `lastRetired`. After poweroff/reboot/fail it does nothing.
   */
  run(budget: number): RunStatus {
    primeCpu(); // V8 type feedback for the interpreter, before the first run in a process (emulator/cpu/prime.ts)
    this.lastRetired = 0;
    const ended = this.endStatus();
    if (ended) return ended;
    const cpu = this.cpu;
    const start = cpu.instret;
    this.pollDevices();
    for (;;) {
      const left = budget - (cpu.instret - start);
      if (left <= 0) break;
      // Stop at the next device event (UART character timeout, RTC alarm) to deliver it on time.
      const deviceNs = this.devicesNextEventNs();
      const toDevice = Math.ceil((deviceNs - cpu.nowNs()) / NS_PER_TICK);
      const slice = toDevice > 0 && toDevice < left ? toDevice : left;
      const why = cpu.run(slice);
      this.pollDevices();
      if (why === StopReason.BUDGET) continue;
      if (why === StopReason.STOP_REQUESTED && this.endStatus()) break;
      if (why === StopReason.PUTC) {
        this.serial.write(cpu.putcByte & 0xff);
        continue;
      }
      if (why === StopReason.HALT) {
        // A board with no power-off device (or1k-sim): the guest's l.nop 1 is its power-off.
        if (this.haltPowersOff && !cpu.nopHooks) this.finish = { kind: 'poweroff', code: 0, exitStatus: 0 };
        else this.haltCode = cpu.exitCode;
        break;
      }
      if (why === StopReason.DOZE) {
        this.lastRetired = cpu.instret - start;
        return 'doze';
      }
    }
    this.lastRetired = cpu.instret - start;
    return this.endStatus() ?? 'budget';
  }

  /** poweroff/reboot/fail/halt once the guest has ended, else undefined. */
  private endStatus(): RunStatus | undefined {
    if (this.finish) return this.finish.kind;
    if (this.haltCode !== undefined) return 'halt';
    return undefined;
  }

  /**
   * Exit status once the guest ended: 0 after poweroff or reboot, QEMU's
   * (code << 1) | 1 after a syscon fail, the r3 value of `l.nop 1`
   * (nopHooks); undefined while running.
   */
  get exitCode(): number | undefined {
    if (this.finish) return this.finish.exitStatus;
    return this.haltCode;
  }

  /** The CPU waits for an interrupt (PMR doze). */
  get idle(): boolean {
    return this.cpu.dozing;
  }

  nowNs(): number {
    return this.cpu.nowNs();
  }

  /** Guest time of the next timed event (tick timer, UART timeout, RTC alarm). */
  nextEventNs(): number {
    return Math.min(this.cpu.nextEventNs(), this.devicesNextEventNs());
  }

  /** Moves guest time forward while dozing, raising what falls due. */
  skipTo(ns: number): void {
    if (ns > this.cpu.nowNs()) this.cpu.skipToNs(ns);
    this.pollDevices();
  }

  /**
   * A network backend waits on the host (an open connection, a lookup): the
   * runner must not fast-forward guest time while the CPU dozes.
   */
  waitingOnHost(): boolean {
    const b = this.netBackends;
    for (let i = 0; i < b.length; i++) if (b[i]!.waitingOnHost()) return true;
    return false;
  }

  /** Host → guest console bytes; returns how many the console's device accepted. */
  input(bytes: Uint8Array): number {
    return this.console ? this.console.input(bytes) : 0;
  }

  /** The console's device wants input now (CharFrontend.listening; true when the device cannot tell). */
  consoleListening(): boolean {
    return this.console?.listening?.() ?? this.console !== undefined;
  }

  /** Reboot: every device (tree order) and the CPU reset, kernel and DTB reloaded (RAM otherwise kept, like QEMU). */
  reset(): void {
    this.finish = undefined;
    this.haltCode = undefined;
    for (const d of this.devices) d.klass.reset(d.obj);
    for (const b of this.netBackends) b.reset();
    this.placeImages();
    this.loadDtb();
  }

  /** The object at a canonical path of the composition tree (`/machine/sysbus/rtc`), or undefined. */
  qom(path: string): QObject | undefined {
    const parts = path.split('/').filter(Boolean);
    if (parts.shift() !== this.root.name) return undefined;
    let obj: QObject | undefined = this.root;
    for (const p of parts) obj = obj?.children.get(p);
    return obj;
  }

  /** The composition tree with every property and the memory map (`--print-machine`). */
  printTree(): string {
    const memoryMap = this.bus.regions
      .slice()
      .sort((a, b) => a.base - b.base)
      .map((r) => `  ${hex(r.base)}-${hex(r.base + r.size - 1)} ${r.name}`);
    return [
      printTree(this.root),
      'memory map:',
      `  ${hex(0)}-${hex(this.ram.size - 1)} ram`,
      ...memoryMap,
      `kernel: entry ${hex(this.entry)}, end ${hex(this.kernelEnd)}; dtb at ${hex(this.dtbAddress)} (${this.dtb.length} bytes)`,
      '',
    ].join('\n');
  }

  private pollDevices(): void {
    const now = this.cpu.nowNs();
    const timed = this.timed;
    for (let i = 0; i < timed.length; i++) timed[i]!.poll!(now);
  }

  /** Guest time of the earliest device event, or Infinity. */
  private devicesNextEventNs(): number {
    let next = Infinity;
    const timed = this.timed;
    for (let i = 0; i < timed.length; i++) {
      const t = timed[i]!.nextEventNs!();
      if (t < next) next = t;
    }
    return next;
  }
}

export function createMachine(options: MachineOptions): Machine {
  return new Machine(options);
}

/**
 * A bare-metal or1k program (`--kernel` alone): the same board with no disk.
 * `nopHooks` makes `l.nop 1` (exit) and `l.nop 4` (putc) work as in or1ksim.
 */
export function loadBareMetal(kernel: Uint8Array, options: Omit<MachineOptions, 'kernel' | 'drives' | 'rootDisk'> = {}): Machine {
  return new Machine({ ...options, kernel });
}

/**
 * `--device help` / `--device TYPE,help`: the help text, or undefined when
 * `arg` is not a help request (then it is a device spec). Throws QomError for
 * an unknown type.
 */
export function deviceHelp(arg: string, board: TypeInfo = TYPE_VIRT_MACHINE): string | undefined {
  const parsed = parseDeviceArg(arg);
  if (parsed.kind === 'device') return undefined;
  return deviceHelpText(boardRegistry(board, new TypeRegistry()), parsed);
}

function hex(v: number): string {
  return '0x' + (v >>> 0).toString(16).padStart(8, '0');
}
