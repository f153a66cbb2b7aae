import { describe, expect, it } from 'vitest';
import { FdtNode } from '../../../emulator/fdt/fdt-node.ts';
import { FDT_MAGIC, writeFdt } from '../../../emulator/fdt/fdt-writer.ts';
import { dtcCompile, dtcDecompile } from './dtc.ts';

describe('FDT writer', () => {
  it('writes a v17 header that dtc accepts, with properties, strings and nesting', () => {
    const root = new FdtNode('');
    root.cells('#address-cells', 1).string('compatible', 'test,board');
    const a = root.child('a@1000');
    a.cells('reg', 0x1000, 0x100).flag('big-endian').strings('names', ['x', 'yz']);
    a.child('b').prop('bytes', Uint8Array.of(1, 2, 3));
    const blob = writeFdt(root, { reservations: [{ address: 0x720000, size: 0x2000 }] });
    const view = new DataView(blob.buffer);
    expect(view.getUint32(0)).toBe(FDT_MAGIC);
    expect(view.getUint32(4)).toBe(blob.length);
    expect(view.getUint32(20)).toBe(17);
    expect(view.getUint32(24)).toBe(16);
    const dts = dtcDecompile(blob);
    expect(dts).toContain('/memreserve/\t0x0000000000720000 0x0000000000002000;');
    expect(dts).toContain('compatible = "test,board";');
    expect(dts).toMatch(/a@1000 \{\s+reg = <0x1000 0x100>;\s+big-endian;\s+names = "x\\0yz";\s+b \{\s+bytes = \[01 02 03\];/);
  });

  it('stores each property name once in the strings block', () => {
    const root = new FdtNode('');
    for (let i = 0; i < 5; i++) root.child(`n${i}`).cells('reg', i);
    const blob = writeFdt(root);
    const view = new DataView(blob.buffer);
    expect(view.getUint32(32)).toBe('reg\0'.length);
  });

  it('is deterministic and matches the structure dtc re-emits as a blob', () => {
    const build = () => {
      const root = new FdtNode('');
      root.child('chosen').string('bootargs', 'console=ttyS0');
      return writeFdt(root);
    };
    expect(build()).toEqual(build());
    expect(dtcCompile(dtcDecompile(build()))).toEqual(build());
  });

  it('rejects duplicate properties and non-ASCII strings', () => {
    const n = new FdtNode('x');
    n.cells('reg', 1);
    expect(() => n.cells('reg', 2)).toThrow(/duplicate property reg/);
    expect(() => n.string('s', 'caf\u00e9')).toThrow(/ASCII/);
  });
});
