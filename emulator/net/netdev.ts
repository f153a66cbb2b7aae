/**
 * Network backends in the object model (QEMU's -netdev): a `netdev` object
 * per host backend, under /machine/netdevs, whose instance is the
 * NetBackend the host supplied; a NIC device names one with its `netdev`
 * link. Also the NIC properties every model shares: `mac` (QEMU's default
 * 52:54:00:12:34:56) and `netdev`.
 */
import { QomError } from '../qom/errors.ts';
import type { QObject } from '../qom/object.ts';
import type { PropertyInfo } from '../qom/property.ts';
import { realizedInstance } from '../qom/qdev.ts';
import type { TypeInfo } from '../qom/registry.ts';
import type { NetBackend, NetFrontend } from './net-backend.ts';

export const TYPE_NETDEV: TypeInfo = {
  name: 'netdev',
  description: 'a network backend supplied by the host (--nic)',
};

/** QEMU's first NIC address (qemu_macaddr_default_if_unset starts at 52:54:00:12:34:56). */
export const DEFAULT_MAC = '52:54:00:12:34:56';

export const NIC_PROPERTIES: readonly PropertyInfo[] = [
  { name: 'mac', type: 'string', default: DEFAULT_MAC, description: 'MAC address, six hex bytes separated by colons' },
  { name: 'netdev', type: 'link', linkType: TYPE_NETDEV.name, exclusive: true, description: 'id of the network backend (unset: a NIC with no link)' },
];

/** Parses `52:54:00:12:34:56`; undefined if it is not six hex bytes. */
export function parseMac(text: string): Uint8Array | undefined {
  const m = /^([0-9a-f]{2})[:-]([0-9a-f]{2})[:-]([0-9a-f]{2})[:-]([0-9a-f]{2})[:-]([0-9a-f]{2})[:-]([0-9a-f]{2})$/i.exec(text);
  if (!m) return undefined;
  return Uint8Array.from(m.slice(1), (h) => Number.parseInt(h, 16));
}

/** The `mac` property of a NIC, checked (a multicast address cannot be a NIC's). */
export function nicMac(dev: QObject): Uint8Array {
  const text = dev.getString('mac') ?? DEFAULT_MAC;
  const mac = parseMac(text);
  if (!mac || mac[0]! & 1) {
    throw new QomError('bad-property-value', `${dev.path()}: mac '${text}' is not a unicast MAC address`, {
      hint: 'write mac=52:54:00:12:34:57 (six hex bytes; the first byte even)',
      data: { property: 'mac', value: text },
    });
  }
  return mac;
}

/** The backend a NIC's `netdev` link names, attached to `frontend`; undefined when unset. */
export function attachNicBackend(dev: QObject, frontend: NetFrontend): NetBackend | undefined {
  const link = dev.getLink('netdev');
  if (!link) return undefined;
  const backend = realizedInstance<NetBackend>(link, TYPE_NETDEV.name, `${dev.path()} netdev`);
  backend.attach(frontend);
  return backend;
}

/** Formats a MAC as aa:bb:cc:dd:ee:ff. */
export function formatMac(mac: Uint8Array): string {
  return Array.from(mac, (b) => b.toString(16).padStart(2, '0')).join(':');
}
