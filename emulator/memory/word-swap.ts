/**
 * Byte-reversing many 32-bit words in place in a WebAssembly.Memory: how a
 * kernel or initrd (big-endian guest bytes) becomes host-endian RAM words
 * (ram.ts). A JavaScript loop does a 7 MiB vmlinux in ~6 ms at start-up, when
 * it has not been optimised yet; this module's one function does it with
 * WebAssembly SIMD (one i8x16.shuffle per 4 words) in ~0.6 ms.
 *
 * The module is a few dozen bytes, assembled here: it imports the memory
 * (any size) and exports `f(start, end)`, which reverses the bytes of each
 * word in [start, end), both byte addresses, end - start a multiple of 128
 * (eight 16-byte vectors per loop turn; unaligned addresses are fine).
 * Compiled once per process; `null` where the host has no WebAssembly or no
 * SIMD (the caller then loops in JavaScript).
 */
import { wasmApi, type WasmMemory } from './wasm-api.ts';

/** Bytes the WebAssembly function handles per loop turn: `end - start` is a multiple of it. */
export const SWAP_BLOCK = 128;

export type SwapFn = (start: number, end: number) => void;

const VECTORS = SWAP_BLOCK / 16;
/** Lane order of i8x16.shuffle that reverses each 4-byte lane. */
const REVERSE_WORDS = [3, 2, 1, 0, 7, 6, 5, 4, 11, 10, 9, 8, 15, 14, 13, 12];

function uleb(v: number): number[] {
  const out: number[] = [];
  do {
    const b = v & 0x7f;
    v >>>= 7;
    out.push(v === 0 ? b : b | 0x80);
  } while (v !== 0);
  return out;
}

function section(id: number, body: number[]): number[] {
  return [id, ...uleb(body.length), ...body];
}

/** The module's bytes (see the file comment). */
export function swapModuleBytes(): Uint8Array {
  const START = 0, END = 1, V = 2;
  const body: number[] = [
    0x01, 0x01, 0x7b, // one local: v128
    0x02, 0x40, 0x03, 0x40, // block, loop
    0x20, START, 0x20, END, 0x4f, 0x0d, 0x01, // br_if 1 (out) when start >= end (unsigned)
  ];
  for (let k = 0; k < VECTORS; k++) {
    body.push(
      0x20, START, // address for the store
      0x20, START, 0xfd, 0x00, 0x04, ...uleb(16 * k), // v128.load align=16 offset=16k
      0x22, V, 0x20, V, // both shuffle operands
      0xfd, 0x0d, ...REVERSE_WORDS, // i8x16.shuffle
      0xfd, 0x0b, 0x04, ...uleb(16 * k), // v128.store align=16 offset=16k
    );
  }
  body.push(
    0x20, START, 0x41, ...uleb(SWAP_BLOCK), 0x6a, 0x21, START, // start += SWAP_BLOCK (i32.const, small and positive)
    0x0c, 0x00, 0x0b, 0x0b, // br 0 (loop); end loop; end block
    0x0b, // end function
  );
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, [0x01, 0x60, 0x02, 0x7f, 0x7f, 0x00]), // type 0: (i32, i32) -> ()
    ...section(2, [0x01, 0x01, 0x65, 0x01, 0x6d, 0x02, 0x00, 0x00]), // import "e" "m": memory, at least 0 pages
    ...section(3, [0x01, 0x00]), // function 0: type 0
    ...section(7, [0x01, 0x01, 0x66, 0x00, 0x00]), // export "f": function 0
    ...section(10, [0x01, ...uleb(body.length), ...body]),
  ]);
}

/** The compiled module; null: not tried yet; false: the host cannot (no WebAssembly, no SIMD). */
let compiled: object | false | null = null;

/** The swap function on `memory`, or null if the host cannot run it. */
export function wordSwapper(memory: WasmMemory | null): SwapFn | null {
  const api = wasmApi;
  if (memory === null || api === null) return null;
  if (compiled === null) {
    try {
      compiled = new api.Module(swapModuleBytes());
    } catch {
      compiled = false;
    }
  }
  if (compiled === false) return null;
  return new api.Instance(compiled, { e: { m: memory } }).exports.f as SwapFn;
}
