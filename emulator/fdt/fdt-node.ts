/**
 * An in-memory device tree: nodes with ordered properties and children.
 * Property values are raw bytes (big-endian cells, NUL-terminated strings);
 * the helpers below build them. Order is kept exactly as added, so the blob
 * is deterministic.
 */

export interface FdtProperty {
  name: string;
  value: Uint8Array;
}

export class FdtNode {
  readonly props: FdtProperty[] = [];
  readonly children: FdtNode[] = [];

  constructor(readonly name: string) {}

  /** Adds a child node and returns it. */
  child(name: string): FdtNode {
    const node = new FdtNode(name);
    this.children.push(node);
    return node;
  }

  prop(name: string, value: Uint8Array): this {
    if (this.props.some((p) => p.name === name)) throw new Error(`duplicate property ${name} in node ${this.name || '/'}`);
    this.props.push({ name, value });
    return this;
  }

  /** A property holding 32-bit cells. */
  cells(name: string, ...values: number[]): this {
    return this.prop(name, u32Cells(values));
  }

  string(name: string, value: string): this {
    return this.prop(name, stringValue([value]));
  }

  strings(name: string, values: string[]): this {
    return this.prop(name, stringValue(values));
  }

  /** A boolean (empty) property. */
  flag(name: string): this {
    return this.prop(name, new Uint8Array(0));
  }

  find(path: string): FdtNode | undefined {
    let node: FdtNode | undefined = this;
    for (const part of path.split('/').filter(Boolean)) {
      node = node.children.find((c) => c.name === part);
      if (!node) return undefined;
    }
    return node;
  }
}

export function u32Cells(values: number[]): Uint8Array {
  const out = new Uint8Array(values.length * 4);
  const view = new DataView(out.buffer);
  values.forEach((v, i) => view.setUint32(i * 4, v >>> 0));
  return out;
}

/** NUL-terminated strings, concatenated (a stringlist). Characters must be ASCII. */
export function stringValue(values: string[]): Uint8Array {
  const bytes: number[] = [];
  for (const s of values) {
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c === 0 || c > 0x7e) throw new Error(`device tree string ${JSON.stringify(s)} must be printable ASCII`);
      bytes.push(c);
    }
    bytes.push(0);
  }
  return Uint8Array.from(bytes);
}
