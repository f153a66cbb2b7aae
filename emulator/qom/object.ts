/**
 * QOM objects in TypeScript terms: every object has a class (its registered
 * type and the chain of parent types), typed properties (static ones from the
 * class schema, dynamic ones added to one instance), `child<>` properties
 * forming the composition tree (/machine → cpu, sysbus → devices) and loose
 * `link<>` references (a virtio-blk-device → its drive). `objectCast` is
 * QOM's checked cast (OBJECT_CHECK): it fails with a clear error naming what
 * the object really is.
 */
import { didYouMean, QomError } from './errors.ts';
import { formatPropertyValue, parsePropertyValue, type PropertyInfo, type PropertyValue } from './property.ts';

export class ObjectClass {
  /** Static properties: the parent's, then this type's own. */
  readonly properties = new Map<string, PropertyInfo>();

  constructor(
    readonly name: string,
    readonly parent: ObjectClass | undefined,
    readonly description: string,
    readonly abstract: boolean,
    readonly userCreatable: boolean,
  ) {
    if (parent) for (const [k, v] of parent.properties) this.properties.set(k, v);
  }

  /** Adds a class property (class_init). */
  addProperty(info: PropertyInfo): void {
    this.properties.set(info.name, info);
  }

  isA(typeName: string): boolean {
    for (let c: ObjectClass | undefined = this; c; c = c.parent) if (c.name === typeName) return true;
    return false;
  }

  /** Type names from this one up to the root. */
  ancestry(): string[] {
    const out: string[] = [];
    for (let c: ObjectClass | undefined = this; c; c = c.parent) out.push(c.name);
    return out;
  }
}

export class QObject {
  id: string | undefined;
  parent: QObject | undefined;
  /** Name under the parent (the `child<>` property name). */
  name = '';
  readonly children = new Map<string, QObject>();
  /** Whatever the object is realized into (an MMIO device, a backend...). */
  instance: unknown;
  realized = false;
  private readonly values = new Map<string, PropertyValue>();
  private readonly dynamic = new Map<string, PropertyInfo>();
  private readonly links = new Map<string, QObject>();

  constructor(readonly klass: ObjectClass) {}

  get typeName(): string {
    return this.klass.name;
  }

  propertyInfo(name: string): PropertyInfo | undefined {
    return this.klass.properties.get(name) ?? this.dynamic.get(name);
  }

  /** Static properties first (schema order), then dynamic ones. */
  propertyList(): PropertyInfo[] {
    return [...this.klass.properties.values(), ...this.dynamic.values()];
  }

  /** Adds a per-instance property (object_property_add). */
  addProperty(info: PropertyInfo, value?: PropertyValue): void {
    if (this.propertyInfo(info.name)) throw new Error(`${this.describe()}: property ${info.name} already exists`);
    this.dynamic.set(info.name, info);
    if (value !== undefined) this.values.set(info.name, value);
  }

  has(name: string): boolean {
    return this.values.has(name) || this.propertyInfo(name)?.default !== undefined;
  }

  get(name: string): PropertyValue | undefined {
    const info = this.requireInfo(name, 'object');
    return this.values.has(name) ? this.values.get(name) : info.default;
  }

  getNumber(name: string): number {
    const v = this.get(name);
    if (typeof v !== 'number') throw new Error(`${this.describe()}: property ${name} is not set to a number`);
    return v;
  }

  getString(name: string): string | undefined {
    const v = this.get(name);
    return v === undefined ? undefined : String(v);
  }

  getBool(name: string): boolean {
    return this.get(name) === true;
  }

  /** Sets a typed value (board and machine code). */
  set(name: string, value: PropertyValue): void {
    const info = this.requireInfo(name, 'object');
    const want = info.type === 'bool' ? 'boolean' : info.type === 'string' || info.type === 'link' ? 'string' : 'number';
    if (typeof value !== want) throw new QomError('bad-property-value', `${this.describe()}: property '${name}' is ${info.type}, not ${typeof value}`);
    this.values.set(name, value);
  }

  /** Sets a property from `prop=value` text (user input); `where` names the source in errors. */
  setFromText(name: string, text: string, where: string): void {
    const info = this.requireInfo(name, where);
    if (info.readOnly) {
      throw new QomError('read-only-property', `${where}: property '${name}' of ${this.typeName} is set by the board, not by users`, {
        data: { type: this.typeName, property: name },
      });
    }
    this.values.set(name, parsePropertyValue(info, text, where));
  }

  addChild(name: string, child: QObject): QObject {
    if (this.children.has(name)) throw new Error(`${this.describe()}: child ${name} already exists`);
    child.parent = this;
    child.name = name;
    this.children.set(name, child);
    return child;
  }

  /** Resolves a link property to its target object (checked against the link's type). */
  setLink(name: string, target: QObject): void {
    const info = this.requireInfo(name, 'object');
    if (info.type !== 'link') throw new Error(`${this.describe()}: ${name} is not a link`);
    if (info.linkType && !target.klass.isA(info.linkType)) {
      throw new QomError('bad-property-value', `${this.describe()}: link '${name}' needs a ${info.linkType}, '${target.id}' is a ${target.typeName}`);
    }
    this.links.set(name, target);
    if (target.id !== undefined) this.values.set(name, target.id);
  }

  getLink(name: string): QObject | undefined {
    return this.links.get(name);
  }

  /** Canonical path in the composition tree, e.g. /machine/sysbus/virtio-mmio.7. */
  path(): string {
    if (!this.parent) return this.name ? `/${this.name}` : '/';
    const up = this.parent.path();
    return `${up === '/' ? '' : up}/${this.name}`;
  }

  /** Depth-first walk over this object and its children. */
  *walk(): Generator<QObject> {
    yield this;
    for (const c of this.children.values()) yield* c.walk();
  }

  /**
   * `name = value` lines for every property (for the qtree): the typed ones,
   * a link's target path after its value, then one `child<TYPE>` line per child.
   */
  propertyLines(): string[] {
    const lines = this.propertyList().map((info) => {
      const line = `${info.name} = ${formatPropertyValue(info, this.get(info.name))}`;
      const target = info.type === 'link' ? this.links.get(info.name) : undefined;
      return target ? `${line} (link<${info.linkType ?? 'object'}> ${target.path()})` : line;
    });
    for (const [name, child] of this.children) lines.push(`${name} = child<${child.typeName}>`);
    return lines;
  }

  describe(): string {
    return this.id ? `${this.typeName} '${this.id}'` : this.typeName;
  }

  private requireInfo(name: string, where: string): PropertyInfo {
    const info = this.propertyInfo(name);
    if (info) return info;
    const names = this.propertyList().filter((p) => !p.readOnly).map((p) => p.name);
    const guess = didYouMean(name, names);
    throw new QomError('unknown-property', `${where}: ${this.typeName} has no property '${name}'${guess ? ` (did you mean '${guess}'?)` : ''}`, {
      hint: `properties of ${this.typeName}: ${names.join(', ') || '(none)'}; see --device ${this.typeName},help`,
      data: { type: this.typeName, property: name, suggestion: guess },
    });
  }
}

/** QOM's object_dynamic_cast: the object if it is a `typeName` (or a subtype), else undefined. */
export function objectDynamicCast(obj: QObject | undefined, typeName: string): QObject | undefined {
  return obj && obj.klass.isA(typeName) ? obj : undefined;
}

/** QOM's checked cast (OBJECT_CHECK): the object if it is a `typeName`, else a `bad-cast` error saying what it is. */
export function objectCast(obj: QObject | undefined, typeName: string, where?: string): QObject {
  if (obj && obj.klass.isA(typeName)) return obj;
  const what = obj ? `${obj.path()} is a ${obj.typeName} (${obj.klass.ancestry().join(' -> ')})` : 'there is no object';
  throw new QomError('bad-cast', `${where ? `${where}: ` : ''}cannot cast to ${typeName}: ${what}`, {
    hint: `expected a ${typeName}`,
    data: { type: typeName, actual: obj?.typeName, path: obj?.path() },
  });
}
