/**
 * The narrow interfaces between the CPU/memory side of the machine and its
 * devices. Devices implement MmioHandler, raise interrupts through IrqLine,
 * reach guest RAM (DMA) only through GuestRam, and read time through Clock.
 * Nothing here knows about the host (files, terminals): backends are injected.
 */

/**
 * A memory-mapped register block. `offset` is relative to the region base.
 * Values are exactly what the big-endian CPU load/store carries: a device
 * whose registers are little-endian (virtio-mmio, goldfish RTC) swaps bytes
 * itself. Must not throw: unknown offsets read 0 and ignore writes.
 */
export interface MmioHandler {
  read(offset: number, size: 1 | 2 | 4): number;
  write(offset: number, size: 1 | 2 | 4, value: number): void;
}

/** One level-triggered interrupt line into the CPU's PIC. */
export interface IrqLine {
  set(level: boolean): void;
}

/**
 * Guest physical RAM as devices see it (DMA). Every write path invalidates
 * any cached decoded instructions for the bytes written. Out-of-range accesses
 * are the caller's to avoid: check `contains` first (a misbehaving guest gets
 * an I/O error, never a host crash).
 */
export interface GuestRam {
  readonly size: number;
  contains(pa: number, length: number): boolean;
  read8(pa: number): number;
  write8(pa: number, value: number): void;
  readU16LE(pa: number): number;
  readU32LE(pa: number): number;
  /** 64-bit little-endian read as a JS number (exact below 2^53). */
  readU64LE(pa: number): number;
  writeU16LE(pa: number, value: number): void;
  writeU32LE(pa: number, value: number): void;
  readBytes(pa: number, length: number): Uint8Array;
  writeBytes(pa: number, data: Uint8Array): void;
}

/** Virtual time, derived from the instruction count (deterministic). */
export interface Clock {
  /** Nanoseconds of guest time since machine reset. */
  nowNs(): number;
}

/**
 * The lifecycle every runtime device offers the machine: `reset` (power-on
 * state, also after a guest reboot), and, for a device with timers or host
 * input, `poll` (fire what is due at `nowNs`) and `nextEventNs` (guest time
 * of its next timed event, Infinity when none). Called between CPU slices,
 * never from MMIO dispatch; none of them allocates or throws.
 */
export interface Device {
  reset(): void;
  poll?(nowNs: number): void;
  nextEventNs?(): number;
}

/** How the guest ended the run (a syscon write): what the machine reports. */
export interface FinishEvent {
  kind: 'poweroff' | 'reboot' | 'fail';
  /** Code from bits 31:16 (fail only; 0 otherwise). */
  code: number;
  /** The exit status QEMU would use: 0 for poweroff/reboot, (code << 1) | 1 for fail. */
  exitStatus: number;
}

/** Swap helper for little-endian register blocks on the big-endian bus. */
export function swapForSize(value: number, size: 1 | 2 | 4): number {
  if (size === 1) return value & 0xff;
  if (size === 2) return ((value & 0xff) << 8) | ((value >>> 8) & 0xff);
  return (((value & 0xff) << 24) | ((value & 0xff00) << 8) | ((value >>> 8) & 0xff00) | (value >>> 24)) >>> 0;
}
