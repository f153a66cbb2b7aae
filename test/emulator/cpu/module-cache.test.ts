/**
 * The CPU's WebAssembly modules are compiled once per layout in a process
 * (emulator/cpu/jit/module-cache.ts): the primer, run on RAM of a machine's
 * size, lays out its CPU exactly as the machine's (the cache hit proves the
 * layouts equal, the key holding every number the builders read), and a
 * machine of another size gets modules of its own.
 */
import { describe, expect, it } from 'vitest';
import { primeCpu } from '../../../emulator/cpu/prime.ts';
import { forgetCompiledModules, moduleCacheStats, moduleKey, setModuleStore, type ModuleStore } from '../../../emulator/cpu/jit/module-cache.ts';
import { createMachine } from '../../../emulator/machine.ts';
import { spinElf } from '../../helpers/or1k-elf.ts';

describe('compiled module cache', () => {
  it("gives a machine the modules the primer compiled on RAM of the machine's size", () => {
    const size = 16 << 20;
    const before = { ...moduleCacheStats };
    const report = primeCpu(size);
    expect(report?.completed).toBe(true);
    expect(moduleCacheStats.builds - before.builds).toBe(2); // the chain and the interpreter
    const primed = { ...moduleCacheStats };
    const m = createMachine({ kernel: spinElf(), memoryBytes: size });
    expect(moduleCacheStats.builds).toBe(primed.builds);
    expect(moduleCacheStats.hits - primed.hits).toBe(2);
    m.run(10_000);
    expect(m.cpu.instret).toBeGreaterThan(0);
    expect(m.cpu.jit).toBe(true);

    // Another RAM size: another layout, modules of its own, which run.
    const other = createMachine({ kernel: spinElf(), memoryBytes: 8 << 20 });
    expect(moduleCacheStats.builds - primed.builds).toBe(2);
    other.run(10_000);
    expect(other.cpu.instret).toBeGreaterThan(0);
  });

  it('with a store, a new process compiles the stored bytes instead of emitting them; bytes that do not compile are emitted again', () => {
    const saved = new Map<string, Uint8Array>();
    let saves = 0;
    const store: ModuleStore = { load: (k) => saved.get(k), save: (k, b) => { saves++; saved.set(k, b.slice()); } };
    const size = 12 << 20; // a layout no other test here uses
    const run = (): { instret: number; pc: number; jit: boolean } => {
      const m = createMachine({ kernel: spinElf(), memoryBytes: size });
      m.run(50_000);
      return { instret: m.cpu.instret, pc: m.cpu.pc, jit: m.cpu.jit };
    };
    setModuleStore(store);
    try {
      forgetCompiledModules();
      const before = { ...moduleCacheStats };
      const first = run();
      expect(first.jit).toBe(true);
      expect(saves).toBe(2);
      expect([...saved.keys()].map((k) => k.split(' ')[0]).sort()).toEqual(['chain', 'interp']);
      expect(moduleCacheStats.stored).toBe(before.stored);

      forgetCompiledModules(); // a new process
      expect(run()).toEqual(first);
      expect(moduleCacheStats.stored - before.stored).toBe(2);
      expect(saves).toBe(2);

      const interpKey = [...saved.keys()].find((k) => k.startsWith('interp '))!;
      saved.set(interpKey, new Uint8Array([0, 0x61, 0x73, 0x6d, 9, 9])); // not a module
      forgetCompiledModules();
      expect(run()).toEqual(first);
      expect(moduleCacheStats.stored - before.stored).toBe(3); // the chain only
      expect(saves).toBe(3);
      expect(saved.get(interpKey)!.length).toBeGreaterThan(1000);
    } finally {
      setModuleStore(null);
    }
  });

  it('keys on every layout number, in any property order', () => {
    const a = { gpr: 64, state: 192, memPages: 2 };
    expect(moduleKey('interp', a)).toBe(moduleKey('interp', { memPages: 2, state: 192, gpr: 64 }));
    expect(moduleKey('interp', a)).not.toBe(moduleKey('chain', a));
    for (const k of Object.keys(a) as Array<keyof typeof a>) {
      expect(moduleKey('interp', { ...a, [k]: a[k] + 1 })).not.toBe(moduleKey('interp', a));
    }
    expect(moduleKey('interp', { ...a, heat: 4096 })).not.toBe(moduleKey('interp', a));
    // Nested objects and arrays (the interpreter's MMU layout): every number counts, by path.
    const m = { ...a, mmu: { watch: 8, tables: [1, 2] } };
    expect(moduleKey('interp', m)).toBe(moduleKey('interp', { mmu: { tables: [1, 2], watch: 8 }, ...a }));
    expect(moduleKey('interp', { ...a, mmu: { watch: 8, tables: [1, 3] } })).not.toBe(moduleKey('interp', m));
    expect(moduleKey('interp', { ...a, mmu: { watch: 9, tables: [1, 2] } })).not.toBe(moduleKey('interp', m));
    expect(() => moduleKey('interp', { ...a, mmu: { tables: ['1'] } })).toThrow(/mmu\.tables\.0/);
  });
});
