/**
 * Page modules in two tiers under Node (emulator/cpu/jit/code-cache.ts
 * PageTier): a baseline page module is compiled by V8's Liftoff alone, never
 * tiered up to TurboFan. TurboFan takes ~13 ms of CPU per page module (a
 * typical 9 KiB one), in background threads that take a core from the CPU's
 * thread on a 2-core host; a boot's pages run for too short a time to pay
 * for it. Spawned boots, medians of 9 alternating runs, run loop:
 * virt_defconfig 612 -> 573 ms cold, 533 -> 498 ms warm; our guest
 * 388 -> 374 ms cold, 354 -> 344 ms warm. A page whose code keeps running is
 * promoted and compiled the default way, so V8 tiers it up as before.
 *
 * V8 takes the tier from its flags when a module is compiled; the flag is
 * set for that compile only (node:v8 setFlagsFromString, synchronous, on this
 * thread). --liftoff-only also turns off the two tier-up flags, which its
 * --no- form does not turn back on: they are set again by name, so V8's
 * flags (and the hash that V8's code caches are checked against: the CLI
 * bundle's) are as they were after each compile.
 */
import { setFlagsFromString } from 'node:v8';
import { setPageCompiler, type PageTier } from '../cpu/jit/code-cache.ts';

const wasm = (globalThis as { WebAssembly?: { Module: new (bytes: Uint8Array) => object } }).WebAssembly;

/** Compiles a page module for `tier` (baseline: Liftoff alone; optimized: V8's default tiers). */
export function compilePage(bytes: Uint8Array, tier: PageTier): object {
  if (tier === 'optimized') return new wasm!.Module(bytes);
  setFlagsFromString('--liftoff-only');
  setFlagsFromString('--no-wasm-lazy-compilation');
  try {
    return new wasm!.Module(bytes);
  } finally {
    setFlagsFromString('--no-liftoff-only');
    setFlagsFromString('--wasm-tier-up');
    setFlagsFromString('--wasm-dynamic-tiering');
    setFlagsFromString('--wasm-lazy-compilation');
  }
}

/**
 * Page modules compile in two tiers from now on, in this process
 * (idempotent). Not when Node was started with V8 WebAssembly flags of the
 * user's own (in its arguments or NODE_OPTIONS): compilePage puts the flags
 * it changes back to V8's defaults, which would undo the user's.
 */
export function usePageTiers(): void {
  if (wasm === undefined) return;
  const nodeFlags = `${process.execArgv.join(' ')} ${process.env.NODE_OPTIONS ?? ''}`;
  if (/--(no-)?(liftoff|wasm)/.test(nodeFlags)) return;
  setPageCompiler(compilePage);
}
