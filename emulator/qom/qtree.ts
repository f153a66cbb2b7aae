/**
 * `--print-machine`: the composition tree with every property, in the
 * spirit of QEMU's `info qtree` / `info qom-tree`.
 *
 *   /machine (virt)
 *     memory = 134217728 (128M)
 *     /machine/sysbus/serial (ns16550a)
 *       mmio 0x90000000/0x100, irq 2
 *       ...
 */
import type { QObject } from './object.ts';

export interface QtreeDecorations {
  /** Extra lines per object (e.g. its MMIO region and IRQ), before the properties. */
  extra?(obj: QObject): string[];
}

export function printTree(root: QObject, decorations: QtreeDecorations = {}): string {
  const lines: string[] = [];
  const visit = (obj: QObject, depth: number): void => {
    const pad = '  '.repeat(depth);
    lines.push(`${pad}${obj.path()} (${obj.typeName})${obj.id && obj.id !== obj.name ? ` id "${obj.id}"` : ''}`);
    for (const l of decorations.extra?.(obj) ?? []) lines.push(`${pad}  ${l}`);
    for (const l of obj.propertyLines()) lines.push(`${pad}  ${l}`);
    for (const c of obj.children.values()) visit(c, depth + 1);
  };
  visit(root, 0);
  return lines.join('\n') + '\n';
}
