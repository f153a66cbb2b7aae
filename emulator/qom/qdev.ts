/**
 * qdev: devices in the object model. A device type's class is a DeviceClass,
 * whose methods every subtype inherits and may override in its class_init:
 *
 *   realize(dev, ctx)  build the runtime device from the properties, map its
 *                      MMIO region, connect its IRQ and backends (links are
 *                      resolved by then); the result is `dev.instance`
 *   reset(dev)         back to power-on state (default: instance.reset())
 *   fdt(dev, fdt)      add its device-tree node(s), in QEMU's call order
 *
 * plus, as data, the bus it plugs into (`busType`) and the bus it offers its
 * children (`providesBus`). An overriding realize keeps the parent's and calls
 * it (`deviceClassSetParentRealize`, QEMU's device_class_set_parent_realize):
 * a sys-bus device creates its device and lets sys-bus-device map it.
 *
 * Devices see the machine only through `RealizeContext` (memory map, RAM,
 * clock, IRQ lines, host backends by id, shutdown requests): never the host.
 */
import type { Clock, Device, FinishEvent, GuestRam, IrqLine, MmioHandler } from '../device.ts';
import type { CharBackend, CharFrontend } from '../devices/char-backend.ts';
import { unitAddress, type QemuFdt } from '../fdt/qemu-fdt.ts';
import { QomError } from './errors.ts';
import { ObjectClass, objectCast, type QObject } from './object.ts';
import type { TypeInfo } from './registry.ts';

/** The machine's services, as realize sees them. */
export interface RealizeContext {
  /** Maps an MMIO region (throws at build time on overlap). */
  map(base: number, size: number, handler: MmioHandler, name: string): void;
  readonly ram: GuestRam;
  readonly clock: Clock;
  /** PIC input `line` of the CPU. */
  irq(line: number): IrqLine;
  /** The host character backend with this id (QEMU -chardev; `serial0` is the console). */
  chardev(id: string): CharBackend;
  /** Makes `frontend` receive the host's input for chardev `id`. */
  setCharFrontend(id: string, frontend: CharFrontend): void;
  /** The guest asked for power-off, reset or failure (QEMU's qemu_system_shutdown_request). */
  requestShutdown(event: FinishEvent): void;
  /** Wall-clock time at machine reset, seconds since 1970 (QEMU -rtc base). */
  readonly rtcEpochSeconds: number;
  /** Diagnostics (broken virtqueues...). */
  log(message: string): void;
}

export type RealizeFn = (dev: QObject, ctx: RealizeContext) => void;

export interface BusInfo {
  /** Bus type a child must ask for (`virtio-bus`). */
  readonly type: string;
  /** Name users give with bus= (`virtio-mmio-bus.7`). */
  readonly name: string;
  /** Children it holds at most. */
  readonly capacity: number;
}

export class DeviceClass extends ObjectClass {
  realize: RealizeFn;
  reset: (dev: QObject) => void;
  fdt: ((dev: QObject, fdt: QemuFdt) => void) | undefined;
  /** Bus type a user-created instance plugs into; undefined: placed by the board. */
  busType: string | undefined;
  providesBus: ((dev: QObject) => BusInfo) | undefined;

  constructor(name: string, parent: ObjectClass | undefined, description: string, abstract: boolean, userCreatable: boolean) {
    super(name, parent, description, abstract, userCreatable);
    // QOM copies the parent's class struct before class_init: the methods are inherited.
    const p = parent instanceof DeviceClass ? parent : undefined;
    this.realize = p?.realize ?? (() => {});
    this.reset = p?.reset ?? ((dev) => (dev.instance as Device | undefined)?.reset());
    this.fdt = p?.fdt;
    this.busType = p?.busType;
    this.providesBus = p?.providesBus;
  }
}

/** DEVICE_CLASS(): a checked class cast. */
export function deviceClass(klass: ObjectClass): DeviceClass {
  if (klass instanceof DeviceClass) return klass;
  throw new QomError('bad-cast', `cannot cast class ${klass.name} to a device class (${klass.ancestry().join(' -> ')})`);
}

/**
 * device_class_set_parent_realize: installs a realize that receives the
 * parent class's realize, to call where it fits.
 */
export function deviceClassSetParentRealize(klass: ObjectClass, realize: (dev: QObject, ctx: RealizeContext, parentRealize: RealizeFn) => void): void {
  const dc = deviceClass(klass);
  const parentRealize = dc.realize;
  dc.realize = (dev, ctx) => realize(dev, ctx, parentRealize);
}

/** The runtime device behind a realized object of type `typeName` (checked cast, then checked state). */
export function realizedInstance<T>(obj: QObject | undefined, typeName: string, where?: string): T {
  const dev = objectCast(obj, typeName, where);
  if (!dev.realized || dev.instance === undefined) throw new QomError('bad-cast', `${where ? `${where}: ` : ''}${dev.path()} (${dev.typeName}) is not realized yet`);
  return dev.instance as T;
}

/** Realizes every device of the tree, parents before children (so a bus exists before what plugs into it). */
export function realizeTree(root: QObject, ctx: RealizeContext): void {
  for (const obj of root.walk()) {
    if (obj.realized || !(obj.klass instanceof DeviceClass)) continue;
    obj.klass.realize(obj, ctx);
    obj.realized = true;
  }
}

export const TYPE_DEVICE: TypeInfo = {
  name: 'device',
  abstract: true,
  classKind: DeviceClass,
  description: 'a device: realize, reset and a device-tree node',
};

/**
 * A device on the system bus: the board gives each one `mmio`, `mmio-size`
 * and (if wired) `irq` properties from its table; realize maps the region
 * onto `dev.instance` (which the subtype's realize created first).
 */
export const TYPE_SYS_BUS_DEVICE: TypeInfo = {
  name: 'sys-bus-device',
  parent: TYPE_DEVICE,
  abstract: true,
  description: 'a device with an MMIO region (and an IRQ line) on the system bus',
  classInit: (klass) => {
    deviceClass(klass).realize = (dev, ctx) => {
      const handler = dev.instance as MmioHandler | undefined;
      if (!handler) throw new Error(`${dev.path()}: ${dev.typeName} realize created no device to map`);
      ctx.map(dev.getNumber('mmio'), dev.getNumber('mmio-size'), handler, dev.path());
    };
  },
};

/** The IRQ line the board wired to a sys-bus device. */
export function sysbusIrq(dev: QObject, ctx: RealizeContext): IrqLine {
  return ctx.irq(dev.getNumber('irq'));
}

/**
 * The node every memory-mapped device starts with: `<path>@<unit address>`
 * with `compatible` and `reg` from its mmio/mmio-size properties, then
 * `interrupts` when it has an IRQ line (in that order, as QEMU's board code
 * writes them). Returns the node's path for the device's own properties.
 */
export function sysbusFdtNode(dev: QObject, fdt: QemuFdt, path: string, compatible: string, opts: { irq: boolean }): string {
  const base = dev.getNumber('mmio');
  const node = `${path}@${unitAddress(base)}`;
  fdt.addSubnode(node);
  fdt.setpropString(node, 'compatible', compatible);
  fdt.setpropCells(node, 'reg', base, dev.getNumber('mmio-size'));
  if (opts.irq) fdt.setpropCells(node, 'interrupts', dev.getNumber('irq'));
  return node;
}

export const TYPE_CONTAINER: TypeInfo = { name: 'container', description: 'a node of the composition tree that only holds children' };

/** A host disk backend (QEMU -drive); `instance` is the BlockBackend. */
export const TYPE_DRIVE: TypeInfo = {
  name: 'drive',
  description: 'a disk image backend supplied by the host',
  properties: [
    { name: 'size', type: 'size', readOnly: true, description: 'size in bytes' },
    { name: 'read-only', type: 'bool', readOnly: true, description: 'the backend refuses writes' },
  ],
};
