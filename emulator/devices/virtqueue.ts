/**
 * A split virtqueue (virtio 1.x, little-endian rings in guest RAM) as the
 * device side sees it: pop a head index from the available ring, walk its
 * descriptor chain, push {head, written} onto the used ring.
 *
 * Everything the guest provides is checked: ring addresses and sizes must lie
 * in RAM, descriptor indices must be < queue size, every buffer must lie in
 * RAM, a chain is at most `size` descriptors long (so loops end), device-
 * writable descriptors must follow the readable ones, and INDIRECT is refused
 * (not offered). A violation marks the queue broken: it processes nothing
 * more until the driver resets the device.
 */
import type { GuestRam } from '../device.ts';

export const VRING_DESC_F = { NEXT: 1, WRITE: 2, INDIRECT: 4 } as const;
export const VRING_AVAIL_F_NO_INTERRUPT = 1;

/** One descriptor chain: parallel arrays of buffers, readable ones first. */
export class DescriptorChain {
  head = 0;
  count = 0;
  /** Number of device-readable buffers (they come first). */
  readable = 0;
  readonly addr: number[] = [];
  readonly len: number[] = [];
  readableBytes = 0;
  writableBytes = 0;

  clear(head: number): void {
    this.head = head;
    this.count = 0;
    this.readable = 0;
    this.readableBytes = 0;
    this.writableBytes = 0;
  }
}

export class Virtqueue {
  /** Queue size chosen by the driver (QueueNum). */
  size = 0;
  ready = false;
  descAddr = 0;
  availAddr = 0;
  usedAddr = 0;
  lastAvail = 0;
  usedIdx = 0;
  /** Set when the guest broke the protocol; cleared by device reset. */
  broken = false;
  brokenReason = '';

  constructor(
    private readonly ram: GuestRam,
    readonly maxSize: number,
  ) {}

  reset(): void {
    this.size = 0;
    this.ready = false;
    this.descAddr = 0;
    this.availAddr = 0;
    this.usedAddr = 0;
    this.lastAvail = 0;
    this.usedIdx = 0;
    this.broken = false;
    this.brokenReason = '';
  }

  /** Checks the driver's setup; returns false (and marks the queue broken) if unusable. */
  validate(): boolean {
    if (this.broken) return false;
    const n = this.size;
    if (n === 0 || n > this.maxSize || (n & (n - 1)) !== 0) return this.fail(`bad queue size ${n}`);
    if (this.descAddr % 16 !== 0 || !this.ram.contains(this.descAddr, 16 * n)) return this.fail('descriptor table outside RAM or misaligned');
    if (this.availAddr % 2 !== 0 || !this.ram.contains(this.availAddr, 6 + 2 * n)) return this.fail('available ring outside RAM or misaligned');
    if (this.usedAddr % 4 !== 0 || !this.ram.contains(this.usedAddr, 6 + 8 * n)) return this.fail('used ring outside RAM or misaligned');
    return true;
  }

  /** Head index of the next available chain, or -1 if none (or broken). */
  popAvail(): number {
    if (this.broken || !this.ready) return -1;
    const availIdx = this.ram.readU16LE(this.availAddr + 2);
    const pending = (availIdx - this.lastAvail) & 0xffff;
    if (pending === 0) return -1;
    if (pending > this.size) {
      this.fail(`available index ${availIdx} is ${pending} ahead of ${this.lastAvail}`);
      return -1;
    }
    const head = this.ram.readU16LE(this.availAddr + 4 + 2 * (this.lastAvail % this.size));
    this.lastAvail = (this.lastAvail + 1) & 0xffff;
    if (head >= this.size) {
      this.fail(`head index ${head} out of range`);
      return -1;
    }
    return head;
  }

  /** Are chains waiting in the available ring (without taking one)? */
  hasAvail(): boolean {
    if (this.broken || !this.ready) return false;
    return this.ram.readU16LE(this.availAddr + 2) !== this.lastAvail;
  }

  /** Gives back the chain `popAvail` just returned (the device could not use it yet). */
  unpopAvail(): void {
    this.lastAvail = (this.lastAvail - 1) & 0xffff;
  }

  /** Walks the chain from `head` into `chain`; false (queue broken) on any violation. */
  readChain(head: number, chain: DescriptorChain): boolean {
    chain.clear(head);
    let index = head;
    for (let steps = 0; ; steps++) {
      if (steps >= this.size) return this.fail('descriptor chain loops or is longer than the queue');
      const d = this.descAddr + 16 * index;
      const addr = this.ram.readU64LE(d);
      const len = this.ram.readU32LE(d + 8);
      const flags = this.ram.readU16LE(d + 12);
      const next = this.ram.readU16LE(d + 14);
      if (flags & VRING_DESC_F.INDIRECT) return this.fail('indirect descriptor (not negotiated)');
      if (!(addr + len <= this.ram.size) || !this.ram.contains(addr, len)) return this.fail(`buffer 0x${addr.toString(16)}+${len} outside RAM`);
      const writable = (flags & VRING_DESC_F.WRITE) !== 0;
      if (writable) chain.writableBytes += len;
      else {
        if (chain.count !== chain.readable) return this.fail('device-readable descriptor after a writable one');
        chain.readable++;
        chain.readableBytes += len;
      }
      chain.addr[chain.count] = addr;
      chain.len[chain.count] = len;
      chain.count++;
      if (!(flags & VRING_DESC_F.NEXT)) return true;
      if (next >= this.size) return this.fail(`next index ${next} out of range`);
      index = next;
    }
  }

  /** Returns a chain to the driver with `written` bytes written into its buffers. */
  pushUsed(head: number, written: number): void {
    const slot = this.usedAddr + 4 + 8 * (this.usedIdx % this.size);
    this.ram.writeU32LE(slot, head);
    this.ram.writeU32LE(slot + 4, written >>> 0);
    this.usedIdx = (this.usedIdx + 1) & 0xffff;
    this.ram.writeU16LE(this.usedAddr + 2, this.usedIdx);
  }

  /** The driver asked not to be interrupted (avail.flags NO_INTERRUPT). */
  interruptSuppressed(): boolean {
    return (this.ram.readU16LE(this.availAddr) & VRING_AVAIL_F_NO_INTERRUPT) !== 0;
  }

  fail(reason: string): false {
    this.broken = true;
    this.brokenReason = reason;
    return false;
  }
}
