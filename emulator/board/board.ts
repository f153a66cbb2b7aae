/**
 * Boards as QOM types. A board type's class is a MachineClass: its table of
 * fixed devices (name, type, MMIO region, IRQ, board-set properties), the
 * types users may add with `--device`, and its own device-tree part (the
 * skeleton QEMU's create_fdt writes: root, /soc, memory, cpus, pic, chosen).
 * The `machine` base type's instance_init builds the composition tree from
 * the table:
 *
 *   /machine (virt-machine)
 *     cpu (or1k-cpu)
 *     sysbus (container)
 *       <one child per table row>   mmio, mmio-size, irq from the row
 *     drives (container)            host disk backends, by id
 *
 * Nothing here knows a particular device: a new board device is its own file
 * plus one row in a board's table.
 */
import type { QemuFdt } from '../fdt/qemu-fdt.ts';
import { QomError } from '../qom/errors.ts';
import { ObjectClass, type QObject } from '../qom/object.ts';
import type { PropertyValue } from '../qom/property.ts';
import { TYPE_CONTAINER, TYPE_DRIVE } from '../qom/qdev.ts';
import type { TypeInfo, TypeRegistry } from '../qom/registry.ts';

/** One row of a board table: a device the board always has, where it is and what it is wired to. */
export interface BoardDevice {
  /** Child name under /machine/sysbus. */
  readonly name: string;
  readonly type: TypeInfo;
  readonly base: number;
  /** Region size (the device-tree `reg` size). */
  readonly size: number;
  /** PIC line, if the device has an interrupt. */
  readonly irq?: number;
  /** Board-set values of the type's properties. */
  readonly props?: Readonly<Record<string, PropertyValue>>;
  /** The IRQ line is wired to other rows marked shared too (level-triggered wired-OR, e.g. or1k-sim's UARTs). */
  readonly sharedIrq?: boolean;
}

export class MachineClass extends ObjectClass {
  /** The fixed devices, in creation order (also the device-tree order QEMU's calls give). */
  devices: readonly BoardDevice[];
  /** Types users may add with --device. */
  userDevices: readonly TypeInfo[];
  /**
   * Where a user-added sys-bus device goes (it has no bus to plug into): one
   * row per type, its address and IRQ reserved in the board's map. The
   * device exists only when a --device asks for it.
   */
  userSysbus: readonly BoardDevice[];
  /** Writes the board's own part of the device tree, before the devices add theirs. */
  fdt: (machine: QObject, fdt: QemuFdt) => void;
  /** The CPU model (emulator/cpu/spr.ts CPU_MODELS) when none is asked for (QEMU's default_cpu_type). */
  defaultCpu: string;
  /**
   * `l.nop 1` (what Linux's default power-off and machine_halt execute on a
   * board with no power-off device) ends the run as a power-off.
   */
  nopHaltPowersOff: boolean;
  /** Its device tree carries /chosen/rng-seed (virt does, or1k-sim does not). */
  rngSeed: boolean;

  constructor(name: string, parent: ObjectClass | undefined, description: string, abstract: boolean, userCreatable: boolean) {
    super(name, parent, description, abstract, userCreatable);
    const p = parent instanceof MachineClass ? parent : undefined;
    this.devices = p?.devices ?? [];
    this.userDevices = p?.userDevices ?? [];
    this.userSysbus = p?.userSysbus ?? [];
    this.fdt = p?.fdt ?? (() => {});
    this.defaultCpu = p?.defaultCpu ?? 'any';
    this.nopHaltPowersOff = p?.nopHaltPowersOff ?? false;
    this.rngSeed = p?.rngSeed ?? true;
  }
}

/** MACHINE_CLASS(): a checked class cast. */
export function machineClass(klass: ObjectClass): MachineClass {
  if (klass instanceof MachineClass) return klass;
  throw new QomError('bad-cast', `cannot cast class ${klass.name} to a machine class (${klass.ancestry().join(' -> ')})`);
}

/** The CPU in the composition tree; the machine attaches the emulated core (emulator/cpu) to it. */
export const TYPE_OR1K_CPU: TypeInfo = {
  name: 'or1k-cpu',
  description: 'OpenRISC 1000 CPU with tick timer and PIC',
  properties: [
    { name: 'clock-frequency', type: 'uint32', default: 20_000_000, readOnly: true, description: 'CPU and tick-timer clock in Hz' },
    { name: 'model', type: 'string', readOnly: true, description: 'CPU model (QEMU -cpu): its VR/UPR/CPUCFGR/VR2/AVR values' },
  ],
};

export const TYPE_MACHINE: TypeInfo = {
  name: 'machine',
  abstract: true,
  classKind: MachineClass,
  description: 'a board',
  properties: [
    { name: 'memory', type: 'size', default: 128 * 1024 * 1024, description: 'RAM size at physical address 0' },
    { name: 'append', type: 'string', default: '', description: 'kernel command line (/chosen/bootargs)' },
    { name: 'rng-seed', type: 'uint32', description: 'seed of the deterministic /chosen/rng-seed bytes (unset: no rng-seed)' },
    { name: 'rtc-base', type: 'uint64', default: 0, description: 'wall-clock time at reset, seconds since 1970 (QEMU -rtc base=; e.g. SOURCE_DATE_EPOCH)' },
    { name: 'dtb-address', type: 'uint32', readOnly: true, hex: true, description: 'where the device tree blob was placed (r3)' },
    { name: 'kernel-end', type: 'uint32', readOnly: true, hex: true, description: 'end of the highest loaded ELF segment' },
    { name: 'initrd-start', type: 'uint32', readOnly: true, hex: true, description: 'where the initrd was loaded (/chosen/linux,initrd-start)' },
    { name: 'initrd-end', type: 'uint32', readOnly: true, hex: true, description: 'end of the initrd (/chosen/linux,initrd-end)' },
  ],
  instanceInit: (machine, types) => {
    const mc = machineClass(machine.klass);
    checkBoardTable([...mc.devices, ...mc.userSysbus]);
    machine.addChild('cpu', types.create(TYPE_OR1K_CPU.name));
    const sysbus = machine.addChild('sysbus', types.create(TYPE_CONTAINER.name));
    for (const row of mc.devices) placeOnSysbus(sysbus, row, types.create(row.type.name));
    machine.addChild('drives', types.create(TYPE_CONTAINER.name));
  },
};

/** Adds `dev` under /machine/sysbus as the row says: its name, MMIO region, IRQ line and board-set properties. */
export function placeOnSysbus(sysbus: QObject, row: BoardDevice, dev: QObject): QObject {
  sysbus.addChild(row.name, dev);
  dev.addProperty({ name: 'mmio', type: 'uint32', readOnly: true, hex: true, description: 'MMIO base address' }, row.base);
  dev.addProperty({ name: 'mmio-size', type: 'uint32', readOnly: true, hex: true, description: 'MMIO region size' }, row.size);
  if (row.irq !== undefined) dev.addProperty({ name: 'irq', type: 'uint32', readOnly: true, description: 'PIC interrupt line' }, row.irq);
  for (const [name, value] of Object.entries(row.props ?? {})) dev.set(name, value);
  return dev;
}

/** A registry holding a board type and every type its table and --device may use. */
export function boardRegistry(board: TypeInfo, types: TypeRegistry): TypeRegistry {
  for (const t of [TYPE_CONTAINER, TYPE_DRIVE, TYPE_OR1K_CPU, TYPE_MACHINE, board]) types.ensure(t);
  const mc = machineClass(types.getClass(board.name));
  for (const row of mc.devices) types.ensure(row.type);
  for (const t of mc.userDevices) types.ensure(t);
  for (const row of mc.userSysbus) types.ensure(row.type);
  return types;
}

/** The board table must not give two devices one IRQ line (unless both rows share it) or overlapping regions. */
export function checkBoardTable(regions: ReadonlyArray<{ name: string; base: number; size: number; irq?: number; sharedIrq?: boolean }>): void {
  const irqs = new Map<number, { name: string; shared: boolean }>();
  for (const r of regions) {
    if (r.irq !== undefined) {
      const prior = irqs.get(r.irq);
      const other = prior && !(prior.shared && r.sharedIrq === true) ? prior.name : undefined;
      if (other) throw new QomError('irq-clash', `board: ${r.name} and ${other} both use IRQ ${r.irq}`, { data: { irq: r.irq } });
      if (r.irq < 0 || r.irq > 31) throw new QomError('irq-clash', `board: ${r.name} uses IRQ ${r.irq}, outside the PIC's 0..31`);
      irqs.set(r.irq, { name: r.name, shared: r.sharedIrq === true });
    }
  }
  const sorted = [...regions].sort((a, b) => a.base - b.base);
  for (let i = 1; i < sorted.length; i++) {
    const a = sorted[i - 1]!;
    const b = sorted[i]!;
    if (a.base + a.size > b.base) throw new QomError('region-clash', `board: ${a.name} (0x${a.base.toString(16)}+0x${a.size.toString(16)}) overlaps ${b.name}`);
  }
}
