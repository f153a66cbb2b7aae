/**
 * Flattened device tree (DTB, version 17) writer.
 *
 * Layout as dtc and QEMU produce it: 40-byte header, memory reservation map
 * (pairs of u64 address/size, terminated by a zero pair), structure block
 * (FDT_BEGIN_NODE name / FDT_PROP len nameoff value / FDT_END_NODE, 4-byte
 * aligned, FDT_END), strings block (property names, each stored once, in
 * first-use order). Everything big-endian. Same tree → same bytes.
 */
import type { FdtNode } from './fdt-node.ts';

export const FDT_MAGIC = 0xd00dfeed;
const FDT_BEGIN_NODE = 1;
const FDT_END_NODE = 2;
const FDT_PROP = 3;
const FDT_END = 9;
const HEADER_SIZE = 40;

export interface FdtReservation {
  address: number;
  size: number;
}

export interface FdtWriteOptions {
  bootCpuId?: number;
  reservations?: FdtReservation[];
}

class ByteSink {
  bytes = new Uint8Array(1024);
  length = 0;

  private ensure(n: number): void {
    if (this.length + n <= this.bytes.length) return;
    let size = this.bytes.length * 2;
    while (size < this.length + n) size *= 2;
    const grown = new Uint8Array(size);
    grown.set(this.bytes.subarray(0, this.length));
    this.bytes = grown;
  }

  u32(v: number): void {
    this.ensure(4);
    new DataView(this.bytes.buffer).setUint32(this.length, v >>> 0);
    this.length += 4;
  }

  u64(v: number): void {
    this.u32(Math.floor(v / 2 ** 32));
    this.u32(v % 2 ** 32);
  }

  raw(data: Uint8Array): void {
    this.ensure(data.length);
    this.bytes.set(data, this.length);
    this.length += data.length;
  }

  align4(): void {
    while (this.length % 4) this.raw(new Uint8Array(1));
  }

  take(): Uint8Array {
    return this.bytes.slice(0, this.length);
  }
}

export function writeFdt(root: FdtNode, options: FdtWriteOptions = {}): Uint8Array {
  const strings = new ByteSink();
  const offsets = new Map<string, number>();
  const nameOffset = (name: string): number => {
    let off = offsets.get(name);
    if (off === undefined) {
      off = strings.length;
      offsets.set(name, off);
      for (let i = 0; i < name.length; i++) strings.raw(Uint8Array.of(name.charCodeAt(i)));
      strings.raw(Uint8Array.of(0));
    }
    return off;
  };

  const struct = new ByteSink();
  const emit = (node: FdtNode): void => {
    struct.u32(FDT_BEGIN_NODE);
    for (let i = 0; i < node.name.length; i++) struct.raw(Uint8Array.of(node.name.charCodeAt(i)));
    struct.raw(Uint8Array.of(0));
    struct.align4();
    for (const p of node.props) {
      struct.u32(FDT_PROP);
      struct.u32(p.value.length);
      struct.u32(nameOffset(p.name));
      struct.raw(p.value);
      struct.align4();
    }
    for (const c of node.children) emit(c);
    struct.u32(FDT_END_NODE);
  };
  emit(root);
  struct.u32(FDT_END);

  const rsv = new ByteSink();
  for (const r of options.reservations ?? []) {
    rsv.u64(r.address);
    rsv.u64(r.size);
  }
  rsv.u64(0);
  rsv.u64(0);

  const offRsv = HEADER_SIZE;
  const offStruct = offRsv + rsv.length;
  const offStrings = offStruct + struct.length;
  const total = offStrings + strings.length;
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  const header = [FDT_MAGIC, total, offStruct, offStrings, offRsv, 17, 16, options.bootCpuId ?? 0, strings.length, struct.length];
  header.forEach((v, i) => view.setUint32(i * 4, v >>> 0));
  out.set(rsv.take(), offRsv);
  out.set(struct.take(), offStruct);
  out.set(strings.take(), offStrings);
  return out;
}
