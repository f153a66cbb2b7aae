/**
 * QOM paths for the monitor, resolved the way QEMU's object_resolve_path
 * does:
 *
 *   /machine/sysbus/serial            absolute: from the root, one component per
 *                                     child<> (or link<>) property
 *   serial, virtio-mmio.7/device      partial: the unique object anywhere in the
 *                                     composition tree that ends with these
 *                                     components; two or more matches are "ambiguous"
 *
 * The root `/` is implicit here (our tree starts at /machine): it has one
 * child, `machine`. Empty components are skipped (`/machine//sysbus/`).
 * A link<> property is followed as a path component, as in QEMU
 * (`.../virtio-mmio.7/device/drive` is the drive backend).
 */
import type { QObject } from '../qom/object.ts';

/** The implicit root `/` above /machine. */
export const QOM_ROOT = Symbol('qom-root');
export type QomNode = QObject | typeof QOM_ROOT;

export type Resolved = { ok: true; node: QomNode } | { ok: false; error: string };

/** The node's `child<>` properties, by name. */
export function childrenOf(machine: QObject, node: QomNode): ReadonlyMap<string, QObject> {
  return node === QOM_ROOT ? new Map([[machine.name, machine]]) : node.children;
}

/** One path step from `node`: a child<> property, else a set link<> property. */
function step(machine: QObject, node: QomNode, part: string): QomNode | undefined {
  const child = childrenOf(machine, node).get(part);
  if (child) return child;
  if (node === QOM_ROOT) return undefined;
  return node.propertyInfo(part)?.type === 'link' ? node.getLink(part) : undefined;
}

function resolveFrom(machine: QObject, start: QomNode, parts: readonly string[]): QomNode | undefined {
  let node: QomNode | undefined = start;
  for (const p of parts) {
    node = step(machine, node, p);
    if (node === undefined) return undefined;
  }
  return node;
}

/** Every node from which `parts` resolve (depth-first over child<> properties only, as QEMU searches). */
function partialMatches(machine: QObject, node: QomNode, parts: readonly string[], out: QomNode[]): void {
  const here = resolveFrom(machine, node, parts);
  if (here !== undefined) out.push(here);
  for (const c of childrenOf(machine, node).values()) partialMatches(machine, c, parts, out);
}

/** Resolves a QOM path (absolute or partial) against the tree whose root object is `machine` (/machine). */
export function resolveQomPath(machine: QObject, path: string): Resolved {
  const parts = path.split('/').filter((p) => p !== '');
  if (path.startsWith('/')) {
    const node = resolveFrom(machine, QOM_ROOT, parts);
    return node === undefined ? { ok: false, error: `Device '${path}' not found` } : { ok: true, node };
  }
  if (parts.length === 0) return { ok: false, error: `Device '${path}' not found` };
  const found: QomNode[] = [];
  partialMatches(machine, QOM_ROOT, parts, found);
  const unique = [...new Set(found)];
  if (unique.length === 1) return { ok: true, node: unique[0]! };
  return { ok: false, error: unique.length === 0 ? `Device '${path}' not found` : `Path '${path}' is ambiguous` };
}

