/**
 * `--device TYPE,prop=value,...` in QEMU's syntax: the first item is the
 * type (or `driver=TYPE`), `id=NAME` names the device, a literal comma inside
 * a value is written `,,`. `help` (or `?`) lists types; `TYPE,help` lists a
 * type's properties.
 */
import { QomError } from './errors.ts';
import type { QObject } from './object.ts';
import type { TypeRegistry } from './registry.ts';

export interface DeviceSpec {
  type: string;
  id?: string;
  /** bus=NAME: the bus to plug into (default: the first with room). */
  bus?: string;
  /** Property assignments in the order given (text values, typed on apply). */
  props: Array<[string, string]>;
  /** The original text, for error messages. */
  source: string;
}

export type DeviceArg =
  | { kind: 'help' }
  | { kind: 'type-help'; type: string }
  | { kind: 'device'; spec: DeviceSpec };

/** Splits on single commas; `,,` is a literal comma. */
function splitItems(text: string): string[] {
  const items: string[] = [];
  let cur = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === ',') {
      if (text[i + 1] === ',') {
        cur += ',';
        i++;
        continue;
      }
      items.push(cur);
      cur = '';
    } else {
      cur += c;
    }
  }
  items.push(cur);
  return items;
}

/** Short names accepted for `--device`, as QEMU's qdev alias table does (virtio-blk → the virtio-mmio flavour). */
const TYPE_ALIASES: Readonly<Record<string, string>> = { 'virtio-blk': 'virtio-blk-device', 'virtio-net': 'virtio-net-device' };

export function parseDeviceArg(text: string): DeviceArg {
  const arg = parseDeviceArgRaw(text);
  if (arg.kind === 'device') arg.spec.type = TYPE_ALIASES[arg.spec.type] ?? arg.spec.type;
  if (arg.kind === 'type-help') arg.type = TYPE_ALIASES[arg.type] ?? arg.type;
  return arg;
}

function parseDeviceArgRaw(text: string): DeviceArg {
  const where = `--device '${text}'`;
  const items = splitItems(text.trim());
  const first = items[0]!;
  if (items.length === 1 && (first === 'help' || first === '?')) return { kind: 'help' };
  let type: string;
  let rest = items.slice(1);
  if (first.startsWith('driver=')) type = first.slice('driver='.length);
  else if (first.includes('=')) {
    const drv = items.find((i) => i.startsWith('driver='));
    if (!drv) throw new QomError('bad-device-spec', `${where}: the device type must come first`, { hint: 'write --device TYPE,prop=value, e.g. --device virtio-blk-device,drive=hd0' });
    type = drv.slice('driver='.length);
    rest = items.filter((i) => i !== drv);
  } else type = first;
  if (type === '') throw new QomError('bad-device-spec', `${where}: missing device type`, { hint: 'see --device help' });
  if (rest.some((i) => i === 'help' || i === '?')) return { kind: 'type-help', type };
  const spec: DeviceSpec = { type, props: [], source: text };
  const seen = new Set<string>();
  for (const item of rest) {
    if (item === '') throw new QomError('bad-device-spec', `${where}: empty item (stray comma?)`, { hint: 'separate properties with single commas; write ,, for a literal comma' });
    const eq = item.indexOf('=');
    if (eq <= 0) throw new QomError('bad-device-spec', `${where}: '${item}' is not prop=value`, { hint: `write ${item}=VALUE (bools take on/off)` });
    const name = item.slice(0, eq);
    const value = item.slice(eq + 1);
    if (seen.has(name)) throw new QomError('bad-device-spec', `${where}: property '${name}' given twice`);
    seen.add(name);
    if (name === 'id') spec.id = value;
    else if (name === 'bus') spec.bus = value;
    else spec.props.push([name, value]);
  }
  return { kind: 'device', spec };
}

/** Parses a spec that must describe a device (help requests are an error here). */
export function parseDeviceSpec(text: string): DeviceSpec {
  const arg = parseDeviceArg(text);
  if (arg.kind !== 'device') throw new QomError('bad-device-spec', `--device '${text}': a help request is not a device`, { hint: 'ask for help on its own: --device help' });
  return arg.spec;
}

/** Creates the object a spec describes and applies its properties (typed, checked). */
export function createFromSpec(registry: TypeRegistry, spec: DeviceSpec, options: { requireUserCreatable?: boolean } = {}): QObject {
  const where = `--device '${spec.source}'`;
  const klass = registry.getClass(spec.type, where);
  if (options.requireUserCreatable !== false && !klass.userCreatable) {
    throw new QomError('not-user-creatable', `${where}: ${spec.type} is part of the board and cannot be added`, {
      hint: 'see --device help for the types you can add',
      data: { type: spec.type },
    });
  }
  const obj = registry.create(spec.type, spec.id);
  for (const [name, value] of spec.props) obj.setFromText(name, value, where);
  return obj;
}

/** The help text for a parsed help request. */
export function deviceHelpText(registry: TypeRegistry, arg: DeviceArg): string {
  if (arg.kind === 'help') return registry.listTypes();
  if (arg.kind === 'type-help') return registry.describeType(arg.type);
  return registry.describeType(arg.spec.type);
}
