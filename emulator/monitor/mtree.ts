/**
 * `info mtree [-o]`: the physical address space as QEMU's memory.c prints
 * it — one root container region `system` (our bus is 32 bits wide) holding
 * the RAM region and one I/O region per mapped device, by address:
 *
 *   address-space: cpu-memory-0
 *   address-space: memory
 *     0000000000000000-00000000ffffffff (prio 0, i/o): system
 *       0000000000000000-0000000007ffffff (prio 0, ram): openrisc.ram
 *       0000000090000000-00000000900000ff (prio 0, i/o): ns16550a
 *
 * A device region is named after the device's QOM type (QEMU names it after
 * what the device calls its MemoryRegion: `serial`, `goldfish_rtc`...; for
 * virtio-mmio the two agree). `-o` adds each region's owner, as QEMU does
 * (` owner:{dev path=/machine/sysbus/serial}`; the machine's own regions:
 * ` parent:{obj path=/machine}`). Sizes are what the bus
 * decodes: the board table's region size (the device tree's `reg`). No
 * region overlaps another, so every priority is 0.
 */
import type { BusRegion } from '../memory/bus.ts';
import type { QObject } from '../qom/object.ts';

/** What `info mtree` reads of a machine. */
export interface MtreeSource {
  readonly root: QObject;
  readonly ram: { readonly size: number };
  readonly bus: { readonly regions: readonly BusRegion[] };
  qom(path: string): QObject | undefined;
}

const hex16 = (v: number): string => v.toString(16).padStart(16, '0');

export interface MtreeOptions {
  /** -o: print each region's owner. */
  owners?: boolean;
}

export function infoMtree(m: MtreeSource, options: MtreeOptions = {}): string {
  const range = (base: number, size: number): string => `${hex16(base)}-${hex16(base + size - 1)}`;
  const owner = (text: string): string => (options.owners ? ` ${text}` : '');
  // As QEMU: a device's region names its owner; the machine's own regions name their parent object.
  const machineOwned = `parent:{obj path=${m.root.path()}}`;
  const lines = ['address-space: cpu-memory-0', 'address-space: memory'];
  lines.push(`  ${range(0, 2 ** 32)} (prio 0, i/o): system${owner(machineOwned)}`);
  const regions: Array<{ base: number; size: number; kind: 'ram' | 'i/o'; name: string; owner: string }> = [
    { base: 0, size: m.ram.size, kind: 'ram', name: 'openrisc.ram', owner: machineOwned },
  ];
  for (const r of m.bus.regions) {
    const dev = m.qom(r.name);
    regions.push({ base: r.base, size: r.size, kind: 'i/o', name: dev ? dev.typeName : r.name, owner: dev ? `owner:{dev path=${dev.path()}}` : `owner:{obj name=${r.name}}` });
  }
  regions.sort((a, b) => a.base - b.base);
  for (const r of regions) lines.push(`    ${range(r.base, r.size)} (prio 0, ${r.kind}): ${r.name}${owner(r.owner)}`);
  return lines.join('\n') + '\n\n';
}
