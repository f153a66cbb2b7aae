/**
 * `qom-list PATH` and `qom-get PATH PROPERTY`, in the shapes of QEMU's HMP
 * commands (qom-hmp-cmds.c):
 *
 *   (qemu) qom-list /machine/sysbus/virtio-mmio.7
 *   type (string)
 *   realized (bool)
 *   slot (uint32)
 *   mmio (uint32)
 *   ...
 *   device (child<virtio-blk-device>)
 *
 *   (qemu) qom-get /machine/sysbus/virtio-mmio.7/device drive
 *   "/machine/drives/hd0"
 *
 * Every object has `type`; devices have `realized`; then the typed
 * properties (static, then per-instance), then one `child<TYPE>` per child.
 * Values print as JSON, as QEMU's qom-get does: numbers bare, strings and
 * object paths quoted; a link<> or child<> property reads as the target's
 * canonical path ("" for an unset link).
 */
import type { QObject } from '../qom/object.ts';
import type { PropertyInfo } from '../qom/property.ts';
import { DeviceClass } from '../qom/qdev.ts';
import { childrenOf, QOM_ROOT, resolveQomPath, type QomNode } from './qom-path.ts';

function typeLabel(info: PropertyInfo): string {
  return info.type === 'link' ? `link<${info.linkType ?? 'object'}>` : info.type;
}

function typeNameOf(node: QomNode): string {
  return node === QOM_ROOT ? 'container' : node.typeName;
}

export function qomList(machine: QObject, path: string): string {
  const r = resolveQomPath(machine, path);
  if (!r.ok) return `Error: ${r.error}\n`;
  const node = r.node;
  const lines = ['type (string)'];
  if (node !== QOM_ROOT) {
    if (node.klass instanceof DeviceClass) lines.push('realized (bool)');
    for (const info of node.propertyList()) lines.push(`${info.name} (${typeLabel(info)})`);
  }
  for (const [name, child] of childrenOf(machine, node)) lines.push(`${name} (child<${child.typeName}>)`);
  return lines.join('\n') + '\n';
}

export function qomGet(machine: QObject, path: string, property: string): string {
  const r = resolveQomPath(machine, path);
  if (!r.ok) return `Error: ${r.error}\n`;
  const node = r.node;
  if (property === 'type') return `${JSON.stringify(typeNameOf(node))}\n`;
  const child = childrenOf(machine, node).get(property);
  if (child) return `${JSON.stringify(child.path())}\n`;
  if (node === QOM_ROOT) return `Error: Property '${typeNameOf(node)}.${property}' not found\n`;
  if (property === 'realized' && node.klass instanceof DeviceClass) return `${node.realized}\n`;
  const info = node.propertyInfo(property);
  if (!info) return `Error: Property '${node.typeName}.${property}' not found\n`;
  if (info.type === 'link') {
    const target = node.getLink(property);
    return `${JSON.stringify(target ? target.path() : '')}\n`;
  }
  const value = node.get(property);
  return `${value === undefined ? 'null' : JSON.stringify(value)}\n`;
}
