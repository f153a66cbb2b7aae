/**
 * The type registry: device and object types registered by name, each with
 * a parent type, a property schema, and class/instance initialisers (QOM's
 * TypeInfo, class_init, instance_init). Classes are built lazily on first
 * use, parent first: the class is a copy of the parent's (same kind, same
 * methods) that the type's class_init may then change — e.g. override
 * `realize` and keep the parent's to call, as QEMU's
 * device_class_set_parent_realize does. Also produces the `--device help` texts.
 */
import { didYouMean, QomError } from './errors.ts';
import { ObjectClass, QObject } from './object.ts';
import { formatPropertyValue, type PropertyInfo } from './property.ts';
import { DeviceClass } from './qdev.ts';

export interface TypeInfo {
  readonly name: string;
  /** The parent type: its name, or its TypeInfo (then registering this type registers the parent too). */
  readonly parent?: string | TypeInfo;
  /**
   * The kind of class object this type's classes are (e.g. DeviceClass, with
   * realize/reset/fdt methods); inherited from the parent when absent.
   */
  readonly classKind?: ClassKind;
  readonly description: string;
  readonly abstract?: boolean;
  /** May be created with --device. */
  readonly userCreatable?: boolean;
  /** Static properties of this type (added to the class after the parent's). */
  readonly properties?: readonly PropertyInfo[];
  classInit?(klass: ObjectClass): void;
  /** Runs for each new instance, parent type's first; `types` creates children (object_initialize_child). */
  instanceInit?(obj: QObject, types: TypeRegistry): void;
}

/** Constructor of a class object: a new class is built from its parent class (whose methods it copies). */
export type ClassKind = new (name: string, parent: ObjectClass | undefined, description: string, abstract: boolean, userCreatable: boolean) => ObjectClass;

function parentName(info: TypeInfo): string | undefined {
  return typeof info.parent === 'string' ? info.parent : info.parent?.name;
}

export class TypeRegistry {
  private readonly infos = new Map<string, TypeInfo>();
  private readonly classes = new Map<string, ObjectClass>();

  register(info: TypeInfo): void {
    if (this.infos.has(info.name)) throw new Error(`type ${info.name} registered twice`);
    if (typeof info.parent === 'object') this.ensure(info.parent);
    this.infos.set(info.name, info);
  }

  /** Registers a type (and its parent types) unless this very TypeInfo is already registered. */
  ensure(info: TypeInfo): void {
    const known = this.infos.get(info.name);
    if (known === info) return;
    if (known) throw new Error(`two different types are named ${info.name}`);
    this.register(info);
  }

  has(name: string): boolean {
    return this.infos.has(name);
  }

  /** The class of a type, built on first use (throws unknown-type with a suggestion). */
  getClass(name: string, where = 'device'): ObjectClass {
    const cached = this.classes.get(name);
    if (cached) return cached;
    const info = this.infos.get(name);
    if (!info) {
      const guess = didYouMean(name, this.infos.keys());
      throw new QomError('unknown-type', `${where}: unknown device type '${name}'${guess ? ` (did you mean '${guess}'?)` : ''}`, {
        hint: 'list the types with --device help',
        data: { type: name, suggestion: guess },
      });
    }
    const parentType = parentName(info);
    const parent = parentType ? this.getClass(parentType, where) : undefined;
    const Kind: ClassKind = info.classKind ?? (parent?.constructor as ClassKind | undefined) ?? ObjectClass;
    const klass = new Kind(info.name, parent, info.description, info.abstract === true, info.userCreatable === true);
    for (const p of info.properties ?? []) klass.addProperty(p);
    info.classInit?.(klass);
    this.classes.set(name, klass);
    return klass;
  }

  /** object_new: a fresh instance with instance_init run from the root type down. */
  create(name: string, id?: string): QObject {
    const klass = this.getClass(name);
    if (klass.abstract) throw new QomError('abstract-type', `device type '${name}' is abstract and cannot be created`);
    const obj = new QObject(klass);
    obj.id = id;
    for (const typeName of klass.ancestry().reverse()) this.infos.get(typeName)!.instanceInit?.(obj, this);
    return obj;
  }

  /** `--device help`: every concrete type, user-creatable ones first. */
  listTypes(): string {
    // Only devices are listed (like QEMU's -device help) when a "device" root type exists.
    const isDevice = (t: TypeInfo): boolean => !this.infos.has('device') || this.getClass(t.name).isA('device');
    const concrete = [...this.infos.values()].filter((t) => !t.abstract && isDevice(t)).sort((a, b) => (a.name < b.name ? -1 : 1));
    const line = (t: TypeInfo): string => {
      const bus = this.busOf(t.name);
      return `name "${t.name}"${bus ? `, bus ${bus}` : ''}, desc "${t.description}"`;
    };
    const user = concrete.filter((t) => t.userCreatable);
    const board = concrete.filter((t) => !t.userCreatable);
    return [
      'Devices you can add with --device TYPE,prop=value,...:',
      ...user.map((t) => `  ${line(t)}`),
      '',
      'Built into the board (shown by --print-machine, not user-creatable):',
      ...board.map((t) => `  ${line(t)}`),
      '',
      'Use --device TYPE,help to list the properties of a type.',
      '',
    ].join('\n');
  }

  /** `--device TYPE,help`: properties with types, defaults and descriptions. */
  describeType(name: string): string {
    const klass = this.getClass(name);
    const props = [...klass.properties.values()];
    const lines = [`${name} (${klass.ancestry().slice(1).join(' -> ') || 'root type'}): ${klass.description}`];
    if (!klass.userCreatable) lines.push('  (part of the board; not user-creatable)');
    if (props.length === 0) lines.push('  There are no properties.');
    else lines.push(`${name} options:`);
    const width = Math.max(0, ...props.map((p) => `${p.name}=<${typeLabel(p)}>`.length));
    for (const p of props) {
      const head = `${p.name}=<${typeLabel(p)}>`.padEnd(width);
      const extra: string[] = [];
      if (p.default !== undefined) extra.push(`default: ${formatPropertyValue(p, p.default)}`);
      if (p.required) extra.push('required');
      if (p.readOnly) extra.push('set by the board');
      lines.push(`  ${head} - ${p.description}${extra.length ? ` (${extra.join(', ')})` : ''}`);
    }
    return lines.join('\n') + '\n';
  }

  /** The bus a device type plugs into, as QEMU names it (virtio-bus, System), if any. */
  private busOf(name: string): string | undefined {
    const klass = this.getClass(name);
    if (klass instanceof DeviceClass && klass.busType) return klass.busType;
    if (klass.isA('sys-bus-device')) return 'System';
    return undefined;
  }
}

function typeLabel(p: PropertyInfo): string {
  return p.type === 'link' ? `link<${p.linkType ?? 'object'}>` : p.type;
}
