/**
 * Builds and checks a machine's composition tree before anything runs: the
 * board type (whose instance_init creates the fixed devices from its table),
 * the host's drives under /machine/drives, and the user's `--device`s —
 * their properties typed, their `link<>` properties resolved to objects,
 * each plugged into a free bus of the type its class asks for. Nothing here
 * names a device type: buses and links are found from the classes.
 *
 * Errors (QomError codes): unknown type/property (with a suggestion), bad
 * value, a missing required property, a link to an unknown id, an exclusive
 * link target used twice, a full or unknown bus, no free bus, and IRQ/region
 * clashes in the board table itself.
 */
import { createFromSpec, parseDeviceSpec, type DeviceSpec } from '../qom/device-spec.ts';
import { QomError } from '../qom/errors.ts';
import type { QObject } from '../qom/object.ts';
import { DeviceClass, TYPE_CONTAINER, TYPE_DRIVE, type BusInfo } from '../qom/qdev.ts';
import { TYPE_NETDEV } from '../net/netdev.ts';
import { TypeRegistry } from '../qom/registry.ts';
import { boardRegistry, machineClass, placeOnSysbus } from './board.ts';
import type { TypeInfo } from '../qom/registry.ts';

export interface DriveInfo {
  readonly size: number;
  readonly readOnly: boolean;
}

export interface ComposeOptions {
  /** The board type (e.g. TYPE_VIRT_MACHINE). */
  board: TypeInfo;
  memoryBytes?: number;
  cmdline?: string;
  /** Seed of /chosen/rng-seed (default 1); null leaves it out. */
  rngSeed?: number | null;
  rtcEpochSeconds?: number;
  /** `--device` specs (text or parsed), in command-line order. */
  devices?: ReadonlyArray<string | DeviceSpec>;
  /** Host disk backends by id (what `drive=ID` refers to). */
  drives?: Readonly<Record<string, DriveInfo>>;
  /** Host network backend ids (what a NIC's `netdev=ID` refers to), under /machine/netdevs. */
  netdevs?: readonly string[];
}

export interface ComposedMachine {
  registry: TypeRegistry;
  root: QObject;
}

export function composeMachine(options: ComposeOptions): ComposedMachine {
  const registry = boardRegistry(options.board, new TypeRegistry());
  const root = registry.create(options.board.name);
  root.name = 'machine';
  const memory = options.memoryBytes ?? root.getNumber('memory');
  const mmioStart = Math.min(...[...root.walk()].filter((o) => o.has('mmio')).map((o) => o.getNumber('mmio')));
  if (!Number.isSafeInteger(memory) || memory <= 0 || memory % 8192 !== 0 || memory > mmioStart) {
    throw new QomError('bad-property-value', `memory size ${memory} is not usable: it must be a positive multiple of 8 KiB below 0x${mmioStart.toString(16)}`, {
      hint: 'use e.g. 128M',
      data: { memoryBytes: memory },
    });
  }
  root.set('memory', memory);
  root.set('append', options.cmdline ?? '');
  const seed = options.rngSeed === undefined ? 1 : options.rngSeed;
  if (seed !== null && machineClass(root.klass).rngSeed) root.set('rng-seed', seed >>> 0);
  root.set('rtc-base', Math.max(0, Math.trunc(options.rtcEpochSeconds ?? 0)));

  const drives = root.children.get('drives')!;
  for (const [id, info] of Object.entries(options.drives ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const d = registry.create(TYPE_DRIVE.name, id);
    d.set('size', info.size);
    d.set('read-only', info.readOnly);
    drives.addChild(id, d);
  }

  if (options.netdevs && options.netdevs.length > 0) {
    registry.ensure(TYPE_NETDEV);
    const netdevs = root.addChild('netdevs', registry.create(TYPE_CONTAINER.name));
    for (const id of [...options.netdevs].sort()) netdevs.addChild(id, registry.create(TYPE_NETDEV.name, id));
  }

  const ids = new Set<string>();
  const linkUsers = new Map<QObject, string>();
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
          hint: p.type === 'link' ? `add ${p.name}=ID, one of: ${idsOf(root, p.linkType).join(', ') || `(no ${p.linkType ?? 'object'} was given)`}` : `see --device ${dev.typeName},help`,
          data: { type: dev.typeName, property: p.name },
        });
      }
    }
    const targets = resolveLinks(root, dev, where, linkUsers);
    plugIntoBus(root, dev, spec.bus, where);
    for (const t of targets) linkUsers.set(t, dev.path());
  }
  return { registry, root };
}

function idsOf(root: QObject, linkType: string | undefined): string[] {
  const out: string[] = [];
  for (const o of root.walk()) if (o.id !== undefined && (!linkType || o.klass.isA(linkType))) out.push(o.id);
  return out;
}

/** Points each set link<> property at the object with that id; returns the exclusive targets taken. */
function resolveLinks(root: QObject, dev: QObject, where: string, users: ReadonlyMap<QObject, string>): QObject[] {
  const taken: QObject[] = [];
  for (const p of dev.propertyList()) {
    if (p.type !== 'link' || !dev.has(p.name)) continue;
    const id = dev.getString(p.name)!;
    const kind = p.linkType ?? 'object';
    let target: QObject | undefined;
    for (const o of root.walk()) if (o.id === id && (!p.linkType || o.klass.isA(p.linkType))) target = o;
    if (!target) {
      const known = idsOf(root, p.linkType);
      throw new QomError('missing-link-target', `${where}: no ${kind} with id '${id}'`, {
        hint: known.length ? `known ${kind}s: ${known.join(', ')}` : `no ${kind} was given to the machine`,
        data: { property: p.name, linkType: kind, id },
      });
    }
    if (p.exclusive) {
      const prior = users.get(target) ?? (taken.includes(target) ? dev.typeName : undefined);
      if (prior) throw new QomError('link-in-use', `${where}: ${kind} '${id}' is already used by ${prior}`, { hint: `each ${kind} serves one device`, data: { id } });
      taken.push(target);
    }
    dev.setLink(p.name, target);
  }
  return taken;
}

/**
 * Plugs a user device into a bus of its class's bus type: the one named by
 * bus=, else the first with room, newest bus first — as QEMU's
 * qbus_find_recursive, which is why the first virtio disk gets the last
 * virtio-mmio slot (7), the next one slot 6.
 */
function plugIntoBus(root: QObject, dev: QObject, busName: string | undefined, where: string): void {
  const busType = dev.klass instanceof DeviceClass ? dev.klass.busType : undefined;
  if (!busType) {
    // A sys-bus device goes where the board's table reserves a place for its type.
    const row = machineClass(root.klass).userSysbus.find((r) => dev.klass.isA(r.type.name));
    if (row) {
      const sysbus = root.children.get('sysbus')!;
      if (sysbus.children.has(row.name)) {
        throw new QomError('no-free-bus', `${where}: the board has room for one ${dev.typeName}, and ${sysbus.children.get(row.name)!.path()} is it`, { data: { type: dev.typeName } });
      }
      placeOnSysbus(sysbus, row, dev);
      return;
    }
    throw new QomError('not-user-creatable', `${where}: ${dev.typeName} plugs into no bus this machine has`, { data: { type: dev.typeName } });
  }
  const buses: Array<{ owner: QObject; bus: BusInfo }> = [];
  for (const o of root.walk()) {
    const provides = o.klass instanceof DeviceClass ? o.klass.providesBus : undefined;
    const bus = provides?.(o);
    if (bus && bus.type === busType) buses.push({ owner: o, bus });
  }
  const used = (owner: QObject): number => [...owner.children.values()].filter((c) => c.klass instanceof DeviceClass).length;
  let chosen: { owner: QObject; bus: BusInfo } | undefined;
  if (busName !== undefined) {
    chosen = buses.find((b) => b.bus.name === busName);
    if (!chosen) {
      throw new QomError('bad-property-value', `${where}: bus '${busName}' does not exist`, {
        hint: buses.length ? `use one of: ${buses.map((b) => b.bus.name).join(', ')}` : `this machine has no ${busType}`,
      });
    }
    if (used(chosen.owner) >= chosen.bus.capacity) {
      const other = [...chosen.owner.children.values()].find((c) => c.klass instanceof DeviceClass)!;
      throw new QomError('bus-full', `${where}: ${busName} already holds ${other.describe()}`, {
        hint: 'leave bus= out to take the next free one',
        data: { bus: busName },
      });
    }
  } else {
    chosen = [...buses].reverse().find((b) => used(b.owner) < b.bus.capacity);
    if (!chosen) throw new QomError('no-free-bus', `${where}: all ${buses.length} ${busType} buses are in use`, { data: { busType, buses: buses.length } });
  }
  const n = used(chosen.owner);
  chosen.owner.addChild(chosen.bus.capacity === 1 ? 'device' : `device[${n}]`, dev);
}
