/**
 * Guest physical RAM: big-endian as the guest sees it, stored as host-endian
 * 32-bit words so the CPU's aligned word loads and stores are one typed-array
 * access (`words[pa >>> 2]` holds the guest's big-endian word at `pa`).
 * Narrow accesses are swizzled: on a little-endian host the guest byte at
 * `pa` is host byte `pa ^ 3`, the guest halfword at an even `pa` is host
 * halfword `(pa ^ 2) >>> 1`. (Every Node/browser host we target is
 * little-endian; the constructor refuses a big-endian host.)
 *
 * Code coherence: the CPU translates hot guest code into JS functions keyed
 * by physical page (emulator/cpu/jit/). Such a page is *watched*:
 * `watch[pa >>> PAGE_SHIFT]` is non-zero, every writer below then calls
 * `onWatchedWrite(page)` (the code cache drops the page's translation), and
 * the CPU keeps its fast store path away from the page. So device DMA (text
 * arriving by virtio) and CPU stores alike invalidate, and self-modifying
 * code (vector patching, signal trampolines) stays coherent. Code that
 * writes `words`/`bytes`/`halves` directly must call `written(pa, length)`.
 *
 * Implements GuestRam (emulator/device.ts) for devices. Callers check
 * `contains` before DMA; the accessors do no bounds checks of their own.
 */
import type { GuestRam } from '../device.ts';
import { wasmApi, type WasmMemory } from './wasm-api.ts';
import { SWAP_BLOCK, wordSwapper, type SwapFn } from './word-swap.ts';

/** 8 KiB, the or1k page size: the granule of code-cache bookkeeping. */
export const PAGE_SHIFT = 13;

/**
 * Bytes reserved after RAM in the same buffer for the CPU's state that
 * translated code reads in place: the host translation tables (8 x 2 MiB),
 * the registers, and the code cache's tables (heat, one slot word per page
 * and one block bit per word: `arenaBytes`). See `arena`. The watch bytes
 * (one per page) come first, right after RAM.
 */
export const ARENA_BYTES = 17 << 20;

/** The arena for RAM of `size` bytes: ARENA_BYTES, the block bits (size / 32), the watch bytes (size / 8192) and 256 KiB. */
export function arenaBytes(size: number): number {
  return ARENA_BYTES + (size >>> 5) + (size >>> PAGE_SHIFT) + (256 << 10);
}
const WASM_PAGE = 65536;
/** Runs of at least this many words are byte-reversed by WebAssembly (word-swap.ts), when the host can. */
const SWAP_MIN_WORDS = 1024;

export class Ram implements GuestRam {
  readonly size: number;
  /** RAM, then the arena. A WebAssembly.Memory's buffer when the host has WebAssembly. */
  readonly buffer: ArrayBuffer;
  /** The memory translated code (WebAssembly) runs on; null without WebAssembly. */
  readonly memory: WasmMemory | null;
  private arenaNext: number;
  /** Host-endian words; words[pa >>> 2] is the big-endian guest word at pa. */
  readonly words: Int32Array;
  /** Host bytes; the guest byte at pa is bytes[pa ^ 3]. */
  readonly bytes: Uint8Array;
  readonly halves: Uint16Array;
  /**
   * One byte per 8 KiB page: non-zero while the page holds translated code.
   * At the start of the arena, where the WebAssembly interpreter reads it.
   */
  readonly watch: Uint8Array;
  /** Called once per watched page a write touches (set by the CPU's code cache). */
  onWatchedWrite: ((page: number) => void) | null = null;
  /** Byte-reverses words in `memory` (word-swap.ts); undefined until first needed, null if the host cannot. */
  private swapper: SwapFn | null | undefined;

  constructor(size: number) {
    if (size <= 0 || size % 8192 !== 0 || size > 0x80000000) {
      throw new RangeError(`RAM size must be a positive multiple of 8 KiB up to 2 GiB, got ${size}`);
    }
    if (new Uint8Array(new Uint32Array([1]).buffer)[0] !== 1) {
      throw new Error('the emulator needs a little-endian host');
    }
    this.size = size;
    const total = size + arenaBytes(size);
    if (wasmApi !== null) {
      const pages = Math.ceil(total / WASM_PAGE);
      this.memory = new wasmApi.Memory({ initial: pages, maximum: pages });
      this.buffer = this.memory.buffer;
    } else {
      this.memory = null;
      this.buffer = new ArrayBuffer(total);
    }
    this.words = new Int32Array(this.buffer, 0, size >>> 2);
    this.bytes = new Uint8Array(this.buffer, 0, size);
    this.halves = new Uint16Array(this.buffer, 0, size >>> 1);
    this.watch = new Uint8Array(this.buffer, size, size >>> PAGE_SHIFT);
    this.arenaNext = size + Math.ceil((size >>> PAGE_SHIFT) / 64) * 64;
  }

  /**
   * `words` 32-bit words of the arena after RAM (zeroed, 64-byte aligned),
   * for CPU state that translated code accesses at fixed addresses.
   */
  arena(words: number): Int32Array {
    const at = this.arenaNext;
    const bytes = Math.ceil((words * 4) / 64) * 64;
    if (at + bytes > this.size + arenaBytes(this.size)) throw new RangeError('ram: arena exhausted');
    this.arenaNext = at + bytes;
    return new Int32Array(this.buffer, at, words);
  }

  /** Reports a write of [pa, pa+length) to the watcher (no-op unless a page there is watched). */
  written(pa: number, length: number): void {
    if (length <= 0) return;
    const last = (pa + length - 1) >>> PAGE_SHIFT;
    for (let p = pa >>> PAGE_SHIFT; p <= last; p++) {
      if (this.watch[p] !== 0 && this.onWatchedWrite !== null) this.onWatchedWrite(p);
    }
  }

  contains(pa: number, length: number): boolean {
    return pa >= 0 && length >= 0 && pa + length <= this.size;
  }

  // --- big-endian guest view (CPU slow path, loaders, tests) ---
  read8(pa: number): number {
    return this.bytes[pa ^ 3]!;
  }
  write8(pa: number, value: number): void {
    this.bytes[pa ^ 3] = value;
    if (this.watch[pa >>> PAGE_SHIFT] !== 0) this.written(pa, 1);
  }
  read16(pa: number): number {
    if ((pa & 1) === 0) return this.halves[(pa ^ 2) >>> 1]!;
    return (this.bytes[pa ^ 3]! << 8) | this.bytes[(pa + 1) ^ 3]!;
  }
  write16(pa: number, value: number): void {
    if ((pa & 1) === 0) this.halves[(pa ^ 2) >>> 1] = value;
    else {
      this.bytes[pa ^ 3] = value >>> 8;
      this.bytes[(pa + 1) ^ 3] = value;
    }
    if ((this.watch[pa >>> PAGE_SHIFT]! | this.watch[(pa + 1) >>> PAGE_SHIFT]!) !== 0) this.written(pa, 2);
  }
  /** Unsigned 32-bit big-endian read. */
  read32(pa: number): number {
    if ((pa & 3) === 0) return this.words[pa >>> 2]! >>> 0;
    return ((this.read16(pa) << 16) | this.read16(pa + 2)) >>> 0;
  }
  write32(pa: number, value: number): void {
    if ((pa & 3) === 0) {
      this.words[pa >>> 2] = value;
      if (this.watch[pa >>> PAGE_SHIFT] !== 0) this.written(pa, 4);
    } else {
      this.write16(pa, value >>> 16);
      this.write16(pa + 2, value & 0xffff);
    }
  }

  // --- little-endian accessors for device DMA (virtio rings, buffers) ---
  readU16LE(pa: number): number {
    return this.bytes[pa ^ 3]! | (this.bytes[(pa + 1) ^ 3]! << 8);
  }
  readU32LE(pa: number): number {
    if ((pa & 3) === 0) {
      const w = this.words[pa >>> 2]!;
      return (((w & 0xff) << 24) | ((w & 0xff00) << 8) | ((w >>> 8) & 0xff00) | (w >>> 24)) >>> 0;
    }
    return (this.readU16LE(pa) | (this.readU16LE(pa + 2) << 16)) >>> 0;
  }
  readU64LE(pa: number): number {
    return this.readU32LE(pa) + this.readU32LE(pa + 4) * 0x100000000;
  }
  writeU16LE(pa: number, value: number): void {
    this.bytes[pa ^ 3] = value;
    this.bytes[(pa + 1) ^ 3] = value >>> 8;
    if ((this.watch[pa >>> PAGE_SHIFT]! | this.watch[(pa + 1) >>> PAGE_SHIFT]!) !== 0) this.written(pa, 2);
  }
  writeU32LE(pa: number, value: number): void {
    if ((pa & 3) === 0) {
      this.words[pa >>> 2] = ((value & 0xff) << 24) | ((value & 0xff00) << 8) | ((value >>> 8) & 0xff00) | (value >>> 24);
      if (this.watch[pa >>> PAGE_SHIFT] !== 0) this.written(pa, 4);
      return;
    }
    this.writeU16LE(pa, value & 0xffff);
    this.writeU16LE(pa + 2, value >>> 16);
  }

  /** Copies guest bytes out (in guest order). */
  readBytes(pa: number, length: number): Uint8Array {
    const out = new Uint8Array(length);
    const b = this.bytes;
    let i = 0;
    // unaligned head
    while (i < length && ((pa + i) & 3) !== 0) {
      out[i] = b[(pa + i) ^ 3]!;
      i++;
    }
    // whole words: byte-reverse each host word
    for (; i + 4 <= length; i += 4) {
      const h = pa + i;
      out[i] = b[h + 3]!;
      out[i + 1] = b[h + 2]!;
      out[i + 2] = b[h + 1]!;
      out[i + 3] = b[h]!;
    }
    for (; i < length; i++) out[i] = b[(pa + i) ^ 3]!;
    return out;
  }

  /** Copies bytes in (guest order). */
  writeBytes(pa: number, data: Uint8Array): void {
    const b = this.bytes;
    const length = data.length;
    let i = 0;
    while (i < length && ((pa + i) & 3) !== 0) {
      b[(pa + i) ^ 3] = data[i]!;
      i++;
    }
    // Whole words: each guest word is big-endian, so every word's bytes are
    // reversed. Copied as they are, then reversed in place by WebAssembly
    // (swapWords) when there are many; else from a word-aligned source in one
    // JavaScript pass over both, otherwise copied, then reversed in place.
    const words = (length - i) >>> 2;
    if (words > 0) {
      const src = data.byteOffset + i;
      if ((src & 3) === 0 && !this.swapsFast(words)) copySwapped(this.words, (pa + i) >>> 2, new Int32Array(data.buffer, src, words));
      else {
        b.set(data.subarray(i, i + words * 4), pa + i);
        this.swapWords((pa + i) >>> 2, words);
      }
      i += words * 4;
    }
    for (; i < length; i++) b[(pa + i) ^ 3] = data[i]!;
    this.written(pa, length);
  }

  /**
   * Stores [pa, pa+length) from bytes that `fill` writes in guest order:
   * whole words straight into RAM, then put in host order in place (no
   * intermediate copy: an ELF loader reads a file's segment right here).
   */
  fillFrom(pa: number, length: number, fill: (dest: Uint8Array) => void): void {
    if (((pa | length) & 3) !== 0) {
      const data = new Uint8Array(length);
      fill(data);
      this.writeBytes(pa, data);
      return;
    }
    fill(this.bytes.subarray(pa, pa + length));
    this.swapWords(pa >>> 2, length >>> 2);
    this.written(pa, length);
  }

  /** Whether swapWords reverses `words` words in WebAssembly (decides it the first time). */
  private swapsFast(words: number): boolean {
    if (words < SWAP_MIN_WORDS) return false;
    if (this.swapper === undefined) this.swapper = wordSwapper(this.memory);
    return this.swapper !== null;
  }

  /** Reverses the bytes of words [at, at+n): whole blocks in WebAssembly (for long runs, where the host can), the rest here. */
  private swapWords(at: number, n: number): void {
    if (this.swapsFast(n)) {
      const words = n - (n % (SWAP_BLOCK >>> 2));
      this.swapper!(at * 4, (at + words) * 4); // byte addresses up to 2^31: unsigned in WebAssembly
      at += words;
      n -= words;
    }
    swapInPlace(this.words, at, n);
  }

  /** Zero-fills [pa, pa+length). */
  fill0(pa: number, length: number): void {
    // Zero is zero in either byte order: whole words are the same host bytes.
    const b = this.bytes;
    let i = 0;
    while (i < length && ((pa + i) & 3) !== 0) b[(pa + i++) ^ 3] = 0;
    const whole = (length - i) & ~3;
    b.fill(0, pa + i, pa + i + whole);
    for (i += whole; i < length; i++) b[(pa + i) ^ 3] = 0;
    this.written(pa, length);
  }
}

/*
 * The word loops of Ram.writeBytes, apart: each small function gets its type
 * feedback from its first call and is optimised once, where the same loops
 * inside writeBytes deoptimised it again and again during a kernel load.
 */

/** dst[at + k] = the byte-reversed src[k], for every k. */
function copySwapped(dst: Int32Array, at: number, src: Int32Array): void {
  for (let k = 0, n = src.length; k < n; k++) {
    const v = src[k]!;
    dst[at + k] = (v << 24) | ((v & 0xff00) << 8) | ((v >>> 8) & 0xff00) | (v >>> 24);
  }
}

/** Reverses the bytes of words [at, at+n) of w. */
function swapInPlace(w: Int32Array, at: number, n: number): void {
  for (let k = at, end = at + n; k < end; k++) {
    const v = w[k]!;
    w[k] = (v << 24) | ((v & 0xff00) << 8) | ((v >>> 8) & 0xff00) | (v >>> 24);
  }
}
