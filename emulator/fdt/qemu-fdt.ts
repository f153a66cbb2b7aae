/**
 * A device tree built the way QEMU's board code builds one: path-based calls
 * named after QEMU's (`qemu_fdt_add_subnode`, `qemu_fdt_setprop_cell`, ...)
 * with libfdt's placement rule — a new property or subnode goes *before* the
 * ones its node already has. So board and device code can list their calls
 * in QEMU's source order (hw/openrisc/virt.c) and get QEMU's blob, node and
 * property order included. Phandles are handed out from 0x8000 like
 * `qemu_fdt_alloc_phandle`.
 */
import { FdtNode, stringValue, u32Cells } from './fdt-node.ts';

const FIRST_PHANDLE = 0x8000;

export class QemuFdt {
  readonly root = new FdtNode('');
  private nextPhandle = FIRST_PHANDLE;

  /** The node at `path` ("/", "/soc/rtc@96005000"); throws if it does not exist. */
  node(path: string): FdtNode {
    const node = path === '/' ? this.root : this.root.find(path);
    if (!node) throw new Error(`device tree: no node ${path}`);
    return node;
  }

  has(path: string): boolean {
    return path === '/' || this.root.find(path) !== undefined;
  }

  /** Adds `path`'s last component under its parent, before the parent's existing subnodes. */
  addSubnode(path: string): void {
    const cut = path.lastIndexOf('/');
    const parent = this.node(cut <= 0 ? '/' : path.slice(0, cut));
    const name = path.slice(cut + 1);
    if (parent.children.some((c) => c.name === name)) throw new Error(`device tree: node ${path} already exists`);
    parent.children.unshift(new FdtNode(name));
  }

  /** Sets a property: replaced in place if present, else placed first. */
  setprop(path: string, name: string, value: Uint8Array): void {
    const props = this.node(path).props;
    const at = props.findIndex((p) => p.name === name);
    if (at >= 0) props[at] = { name, value };
    else props.unshift({ name, value });
  }

  setpropCells(path: string, name: string, ...cells: number[]): void {
    this.setprop(path, name, u32Cells(cells));
  }

  setpropString(path: string, name: string, value: string): void {
    this.setprop(path, name, stringValue([value]));
  }

  /** An empty (boolean) property. */
  setpropFlag(path: string, name: string): void {
    this.setprop(path, name, new Uint8Array(0));
  }

  allocPhandle(): number {
    return this.nextPhandle++;
  }
}

/** A unit address as QEMU prints it in node names (`serial@90000000`). */
export function unitAddress(base: number): string {
  return (base >>> 0).toString(16);
}
