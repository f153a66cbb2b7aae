/**
 * `info qtree`: the device tree by bus, in the shape of QEMU's
 * qdev-monitor.c output:
 *
 *   bus: main-system-bus
 *     type System
 *     dev: virtio-mmio, id ""
 *       gpio-out "sysbus-irq" 1
 *       slot = 7 (0x7)
 *       mmio 0000000097007000/0000000000001000
 *       bus: virtio-mmio-bus.7
 *         type virtio-bus
 *         dev: virtio-blk-device, id ""
 *           drive = "hd0"
 *
 * A bus lists its newest device first (QEMU inserts at the head of a bus's
 * list). The sys-bus devices are the devices under /machine/sysbus; a device
 * whose class provides a bus lists the devices plugged into it. The board's
 * mmio/mmio-size/irq properties print as QEMU's `mmio BASE/SIZE` and
 * `gpio-out` lines; the rest as `name = value` (bools true/false, integers
 * with their hex, strings and links quoted).
 */
import type { QObject } from '../qom/object.ts';
import { formatPropertyValue } from '../qom/property.ts';
import { DeviceClass } from '../qom/qdev.ts';

/** Properties the board gives every sys-bus device; printed as QEMU's mmio/gpio lines. */
const SYSBUS_PROPS = new Set(['mmio', 'mmio-size', 'irq']);

const hex16 = (v: number): string => v.toString(16).padStart(16, '0');

function devicesOn(owner: QObject): QObject[] {
  return [...owner.children.values()].filter((c) => c.klass instanceof DeviceClass).reverse();
}

function printDevice(dev: QObject, indent: number, lines: string[]): void {
  const pad = ' '.repeat(indent);
  lines.push(`${pad}dev: ${dev.typeName}, id "${dev.id ?? ''}"`);
  const inner = `${pad}  `;
  const sysbus = dev.klass.isA('sys-bus-device');
  if (sysbus && dev.has('irq')) lines.push(`${inner}gpio-out "sysbus-irq" 1`);
  for (const info of dev.propertyList()) {
    if (sysbus && SYSBUS_PROPS.has(info.name)) continue;
    const value = dev.get(info.name);
    const text = info.type === 'bool' && value !== undefined ? String(value === true) : formatPropertyValue({ ...info, hex: false }, value);
    lines.push(`${inner}${info.name} = ${text}`);
  }
  if (sysbus && dev.has('mmio')) lines.push(`${inner}mmio ${hex16(dev.getNumber('mmio'))}/${hex16(dev.getNumber('mmio-size'))}`);
  const bus = dev.klass instanceof DeviceClass ? dev.klass.providesBus?.(dev) : undefined;
  if (bus) printBus(bus.name, bus.type, devicesOn(dev), indent + 2, lines);
}

function printBus(name: string, type: string, devices: readonly QObject[], indent: number, lines: string[]): void {
  const pad = ' '.repeat(indent);
  lines.push(`${pad}bus: ${name}`, `${pad}  type ${type}`);
  for (const d of devices) printDevice(d, indent + 2, lines);
}

/** The `info qtree` text of the machine whose composition tree is `machine` (/machine). */
export function infoQtree(machine: QObject): string {
  const sysbus = machine.children.get('sysbus');
  const lines: string[] = [];
  printBus('main-system-bus', 'System', sysbus ? devicesOn(sysbus) : [], 0, lines);
  return lines.join('\n') + '\n';
}
