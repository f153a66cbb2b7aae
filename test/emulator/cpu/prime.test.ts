/**
 * The interpreter primer (emulator/cpu/prime.ts) runs its whole program on
 * a scratch machine: both passes reach the end, through every exception it
 * provokes (l.sys, l.trap, illegal, range, 2 DTLB misses, a page fault, an
 * ITLB miss and the tick; in user mode 2 page faults, 2 DTLB misses, an ITLB
 * miss and the l.sys back; a tick unmasked by l.rfe: twice each in each pass). Its effect on V8 (exec
 * deoptimisations per boot 11 -> 1) is measured by `npm run bench -- boot`,
 * not here.
 */
import { describe, expect, it } from 'vitest';
import { primeCpu } from '../../../emulator/cpu/prime.ts';

describe('interpreter primer', () => {
  it('runs its program to the end once per process', () => {
    const report = primeCpu();
    expect(report).toBeDefined();
    expect(report!.completed).toBe(true);
    expect(report!.exceptions).toBe(2 * 2 * 16);
    expect(report!.instructions).toBeGreaterThan(1_000);
    expect(primeCpu()).toBeUndefined();
  });
});
