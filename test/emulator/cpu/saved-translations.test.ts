/**
 * Translations kept between runs (Cpu.saveTranslations / seedTranslations,
 * emulator/cpu/jit/saved-pages.ts): a seeded CPU runs a page's saved code
 * from its first visit, gets the interpreter's results, and never runs
 * saved code on a page whose words changed or for another layout.
 */
import { describe, expect, it } from 'vitest';
import { StopReason } from '../../../emulator/cpu/cpu.ts';
import { decodeSavedPages, encodeSavedPages } from '../../../emulator/cpu/jit/saved-pages.ts';
import { A, HALT, PROG, machine, type TestMachine } from './asm.ts';

/** r3 = sum of i * step for i = 1..r21 (a loop), through a call into a second page. */
const SUB = PROG + 0x2000;
function program(step = 3): { main: number[]; sub: number[] } {
  return {
    main: [
      A.movhi(3, 0), // 0
      ...A.li(23, SUB), // 1, 2
      A.jalr(23), A.nop(), // 3, 4: -> SUB
      A.addi(21, 21, -1), // 5
      A.sfi(1, 21, 0), // 6: sfnei
      A.bf(3 - 7), A.nop(), // 7, 8 -> 3
      HALT,
    ],
    // r3 += r21 * step
    sub: [A.muli(4, 21, step), A.add(3, 3, 4), A.jr(9), A.nop()],
  };
}

/** The program with r21 = n (the code is the same for any n). */
function load(p: { main: number[]; sub: number[] }, n: number): TestMachine {
  const m = machine(p.main);
  p.sub.forEach((w, i) => m.ram.write32(SUB + 4 * i, w));
  m.cpu.gpr[21] = n;
  m.cpu.jitThreshold = 50;
  return m;
}

const expected = (n: number, step = 3): number => (step * n * (n + 1)) / 2;

describe('saved translations', () => {
  it('a seeded CPU runs the saved pages from their first visit, with the same results', () => {
    const first = load(program(), 2000);
    expect(first.run(1_000_000)).toBe(StopReason.HALT);
    expect(first.cpu.gpr[3]).toBe(expected(2000));
    expect(first.cpu.codeStats.translations).toBeGreaterThanOrEqual(2);
    const saved = first.cpu.saveTranslations();
    expect(saved).toBeInstanceOf(Uint8Array);

    const second = load(program(), 2000);
    expect(second.cpu.seedTranslations(saved!)).toBe(true);
    expect(second.run(1_000_000)).toBe(StopReason.HALT);
    expect(second.cpu.gpr[3]).toBe(expected(2000));
    expect(second.cpu.instret).toBe(first.cpu.instret);
    // Both pages came back; nothing needed translating.
    expect(second.cpu.codeStats).toMatchObject({ restored: 2, stale: 0, translations: 0 });

    // Restored code runs at once: with 10 rounds (never hot) the pages still run translated.
    const short = load(program(), 10);
    short.cpu.seedTranslations(saved!);
    expect(short.run(1_000_000)).toBe(StopReason.HALT);
    expect(short.cpu.gpr[3]).toBe(expected(10));
    expect(short.cpu.codeStats).toMatchObject({ restored: 2, translations: 0 });
    const cold = load(program(), 10);
    expect(cold.run(1_000_000)).toBe(StopReason.HALT);
    expect(cold.cpu.codeStats).toMatchObject({ restored: 0, translations: 0 });

    // Seeds a run does not reach are kept for the next one (this one runs nothing).
    const idle = load(program(), 10);
    idle.cpu.seedTranslations(saved!);
    expect(idle.cpu.saveTranslations()).toEqual(saved);
  });

  it('a page whose words changed is not restored: it is interpreted, as if never seeded', () => {
    const first = load(program(), 2000);
    first.run(1_000_000);
    const saved = first.cpu.saveTranslations()!;
    // Same code, another multiplier in the subroutine's page: its saved code would add i * 3.
    const changed = load(program(5), 2000);
    changed.cpu.seedTranslations(saved);
    expect(changed.run(1_000_000)).toBe(StopReason.HALT);
    expect(changed.cpu.gpr[3]).toBe(expected(2000, 5));
    expect(changed.cpu.codeStats).toMatchObject({ restored: 1, stale: 1 });
    // The stale seed is not kept: seeded with what this run keeps, the original program restores the main page alone.
    const again = load(program(), 2000);
    again.cpu.seedTranslations(changed.cpu.saveTranslations()!);
    expect(again.run(1_000_000)).toBe(StopReason.HALT);
    expect(again.cpu.gpr[3]).toBe(expected(2000));
    expect(again.cpu.codeStats).toMatchObject({ restored: 1, stale: 0 });
    const interp = load(program(5), 2000);
    interp.cpu.jit = false;
    interp.run(1_000_000);
    expect(changed.cpu.instret).toBe(interp.cpu.instret);
  });

  it('bytes for another layout, or damaged, seed nothing', () => {
    const first = load(program(), 2000);
    first.run(1_000_000);
    const saved = first.cpu.saveTranslations()!;
    const other = machine([HALT], { ramSize: 32 << 20 });
    expect(other.cpu.seedTranslations(saved)).toBe(false);
    const m = load(program(), 2000);
    expect(m.cpu.seedTranslations(saved.subarray(0, saved.length - 5))).toBe(false);
    const flipped = Uint8Array.from(saved);
    flipped[4] ^= 0xff; // the layout key's length
    expect(m.cpu.seedTranslations(flipped)).toBe(false);
    expect(m.run(1_000_000)).toBe(StopReason.HALT);
    expect(m.cpu.codeStats.restored).toBe(0);
    // A CPU that translated nothing has nothing to save.
    expect(load(program(), 3).cpu.saveTranslations()).toBeUndefined();
  });

  it('the bytes round-trip page by page', () => {
    const words = new Int32Array(2048).map((_, i) => i * 0x01010101);
    const pages = [
      { ppn: 7, words, starts: [0, 12, 0x1ffc], wasm: Uint8Array.of(0, 97, 115, 109, 1) },
      { ppn: 9, words: new Int32Array(2048), starts: [], wasm: new Uint8Array(0) },
    ];
    const bytes = encodeSavedPages('layout a', pages);
    expect(decodeSavedPages('layout a', bytes)).toEqual(pages);
    expect(decodeSavedPages('layout b', bytes)).toBeUndefined();
    expect(decodeSavedPages('layout a', Uint8Array.of(...bytes, 0))).toBeUndefined();
    const badStart = encodeSavedPages('k', [{ ...pages[0]!, starts: [2] }]);
    expect(decodeSavedPages('k', badStart)).toBeUndefined();
  });
});
