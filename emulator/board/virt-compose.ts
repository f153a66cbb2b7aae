/**
 * Builds the composition tree of a `virt` machine from the board table and
 * the user's `--device` specs, and checks it — before anything runs:
 *
 *   /machine (virt-machine)
 *     cpu (or1k-cpu)
 *     sysbus (container)
 *       serial (ns16550a)          mmio/irq from VIRT
 *       syscon (sifive_test)
 *       rtc (goldfish-rtc)
 *       virtio-mmio.0 … .7         slot N: 0x97000000+0x1000·N, IRQ 4+N
 *         device (virtio-blk-device)   → link drive
 *     drives (container)
 *       hd0 (drive)
 *
 * Errors (QomError codes): unknown type/property (with a suggestion), bad
 * value, missing `drive`, unknown drive, a drive used twice, slot clash, no
 * free slot, and IRQ/region clashes in the board table itself.
 */
import { parseDeviceSpec, createFromSpec, type DeviceSpec } from '../qom/device-spec.ts';
import { QomError } from '../qom/errors.ts';
import type { QObject } from '../qom/object.ts';
import type { TypeRegistry } from '../qom/registry.ts';
import { boardRegions, virtioSlot, VIRT, VIRTIO_SLOT_ORDER } from './virt.ts';
import { createVirtRegistry, TYPE } from './virt-types.ts';

export interface DriveInfo {
  readonly size: number;
  readonly readOnly: boolean;
}

export interface ComposeOptions {
  memoryBytes?: number;
  cmdline?: string;
  /** Seed of /chosen/rng-seed; null leaves it out. */
  rngSeed?: number | null;
  rtcEpochSeconds?: number;
  /** `--device` specs (text or parsed), in command-line order. */
  devices?: ReadonlyArray<string | DeviceSpec>;
  /** Host disk backends by id (what `drive=ID` refers to). */
  drives?: Readonly<Record<string, DriveInfo>>;
  registry?: TypeRegistry;
}

export interface ComposedVirt {
  registry: TypeRegistry;
  root: QObject;
  cpu: QObject;
  uart: QObject;
  syscon: QObject;
  rtc: QObject;
  /** The eight transports, index = slot number. */
  slots: QObject[];
  /** Plugged virtio devices with their slot and drive object. */
  virtio: Array<{ slot: number; device: QObject; drive: QObject }>;
}

const BUS_PREFIX = 'virtio-mmio-bus.';

export function composeVirt(options: ComposeOptions = {}): ComposedVirt {
  checkBoardTable(boardRegions());
  const registry = options.registry ?? createVirtRegistry();
  const root = registry.create(TYPE.MACHINE);
  root.name = 'machine';
  const memory = options.memoryBytes ?? VIRT.ram.defaultBytes;
  if (!Number.isSafeInteger(memory) || memory <= 0 || memory % 8192 !== 0 || memory > VIRT.uart.base) {
    throw new QomError('bad-property-value', `memory size ${memory} is not usable: it must be a positive multiple of 8 KiB below 0x90000000`, {
      hint: 'use e.g. 128M',
      data: { memoryBytes: memory },
    });
  }
  root.set('memory', memory);
  root.set('append', options.cmdline ?? '');
  if (options.rngSeed !== undefined && options.rngSeed !== null) root.set('rng-seed', options.rngSeed >>> 0);

  const cpu = root.addChild('cpu', registry.create(TYPE.CPU));
  const sysbus = root.addChild('sysbus', registry.create(TYPE.CONTAINER));
  const plug = (name: string, type: string, base: number, size: number, irq?: number): QObject => {
    const obj = sysbus.addChild(name, registry.create(type));
    obj.addProperty({ name: 'mmio', type: 'uint32', readOnly: true, hex: true, description: 'MMIO base address' }, base);
    obj.addProperty({ name: 'mmio-size', type: 'uint32', readOnly: true, hex: true, description: 'MMIO region size' }, size);
    if (irq !== undefined) obj.addProperty({ name: 'irq', type: 'uint32', readOnly: true, description: 'PIC interrupt line' }, irq);
    return obj;
  };
  const uart = plug('serial', TYPE.UART, VIRT.uart.base, VIRT.uart.size, VIRT.uart.irq);
  const syscon = plug('syscon', TYPE.SYSCON, VIRT.syscon.base, VIRT.syscon.size);
  const rtc = plug('rtc', TYPE.RTC, VIRT.rtc.base, VIRT.rtc.size, VIRT.rtc.irq);
  rtc.set('epoch', Math.max(0, Math.trunc(options.rtcEpochSeconds ?? 0)));
  const slots: QObject[] = [];
  for (let n = 0; n < VIRT.virtio.count; n++) {
    const s = virtioSlot(n);
    const t = plug(`virtio-mmio.${n}`, TYPE.VIRTIO_MMIO, s.base, s.size, s.irq);
    t.set('slot', n);
    slots.push(t);
  }

  const drivesNode = root.addChild('drives', registry.create(TYPE.CONTAINER));
  const driveObjects = new Map<string, QObject>();
  for (const [id, info] of Object.entries(options.drives ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const d = registry.create(TYPE.DRIVE, id);
    d.set('size', info.size);
    d.set('read-only', info.readOnly);
    drivesNode.addChild(id, d);
    driveObjects.set(id, d);
  }

  const ids = new Set<string>();
  const usedDrives = new Map<string, string>();
  const virtio: ComposedVirt['virtio'] = [];
  for (const item of options.devices ?? []) {
    const spec = typeof item === 'string' ? parseDeviceSpec(item) : item;
    const where = `--device '${spec.source}'`;
    const dev = createFromSpec(registry, spec);
    if (spec.id !== undefined) {
      if (spec.id === '' || ids.has(spec.id)) throw new QomError('duplicate-id', `${where}: ${spec.id === '' ? 'empty id' : `id '${spec.id}' is already used`}`, { hint: 'give each device a unique id= (or none)' });
      ids.add(spec.id);
    }
    for (const p of dev.propertyList()) {
      if (p.required && !dev.has(p.name)) {
        throw new QomError('missing-property', `${where}: ${dev.typeName} needs ${p.name}=`, {
          hint: p.name === 'drive' ? `add drive=ID, one of: ${[...driveObjects.keys()].join(', ') || '(no drives given)'}` : `see --device ${dev.typeName},help`,
          data: { type: dev.typeName, property: p.name },
        });
      }
    }
    if (dev.klass.isA(TYPE.VIRTIO_BLK)) {
      const driveId = dev.getString('drive')!;
      const drive = driveObjects.get(driveId);
      if (!drive) {
        throw new QomError('missing-drive', `${where}: no drive with id '${driveId}'`, {
          hint: driveObjects.size ? `known drives: ${[...driveObjects.keys()].join(', ')}` : 'no disk image was given to the machine',
          data: { drive: driveId },
        });
      }
      const prior = usedDrives.get(driveId);
      if (prior) throw new QomError('drive-in-use', `${where}: drive '${driveId}' is already used by ${prior}`, { hint: 'each drive backs one device' });
      dev.setLink('drive', drive);
      const slot = pickSlot(dev, slots, where);
      usedDrives.set(driveId, `virtio-mmio.${slot}`);
      slots[slot]!.addChild('device', dev);
      virtio.push({ slot, device: dev, drive });
    }
  }
  return { registry, root, cpu, uart, syscon, rtc, slots, virtio };
}

function pickSlot(dev: QObject, slots: QObject[], where: string): number {
  const bus = dev.getString('bus');
  if (bus !== undefined) {
    const n = bus.startsWith(BUS_PREFIX) ? Number(bus.slice(BUS_PREFIX.length)) : NaN;
    if (!Number.isInteger(n) || n < 0 || n >= slots.length) {
      throw new QomError('bad-property-value', `${where}: bus '${bus}' does not exist`, { hint: `use ${BUS_PREFIX}0 … ${BUS_PREFIX}${slots.length - 1}` });
    }
    const other = slots[n]!.children.get('device');
    if (other) {
      throw new QomError('slot-clash', `${where}: ${bus} already holds ${other.describe()}`, {
        hint: 'leave bus= out to take the next free slot',
        data: { slot: n },
      });
    }
    return n;
  }
  for (const n of VIRTIO_SLOT_ORDER) if (!slots[n]!.children.has('device')) return n;
  throw new QomError('no-free-slot', `${where}: all ${slots.length} virtio-mmio slots are in use`, { data: { slots: slots.length } });
}

/** The board table must not give two devices one IRQ line or overlapping regions. */
export function checkBoardTable(regions: ReadonlyArray<{ name: string; base: number; size: number; irq?: number }>): void {
  const irqs = new Map<number, string>();
  for (const r of regions) {
    if (r.irq !== undefined) {
      const other = irqs.get(r.irq);
      if (other) throw new QomError('irq-clash', `board: ${r.name} and ${other} both use IRQ ${r.irq}`, { data: { irq: r.irq } });
      if (r.irq < 0 || r.irq > 31) throw new QomError('irq-clash', `board: ${r.name} uses IRQ ${r.irq}, outside the PIC's 0..31`);
      irqs.set(r.irq, r.name);
    }
  }
  const sorted = [...regions].sort((a, b) => a.base - b.base);
  for (let i = 1; i < sorted.length; i++) {
    const a = sorted[i - 1]!;
    const b = sorted[i]!;
    if (a.base + a.size > b.base) throw new QomError('region-clash', `board: ${a.name} (0x${a.base.toString(16)}+0x${a.size.toString(16)}) overlaps ${b.name}`);
  }
}
