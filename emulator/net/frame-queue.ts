/**
 * A bounded FIFO of frames waiting for a NIC (what QEMU's net queue does for
 * a peer that cannot receive): frames are copied in, handed to the frontend
 * while it can receive, and the oldest are kept when the queue is full (a
 * newer frame is dropped and counted).
 */
import type { NetFrontend } from './net-backend.ts';

/** QEMU's NET_QUEUE packet limit per queue is 10000; a guest rarely needs more than a few hundred. */
export const DEFAULT_QUEUE_FRAMES = 1024;
export const DEFAULT_QUEUE_BYTES = 4 << 20;

export class FrameQueue {
  private frames: Uint8Array[] = [];
  private head = 0;
  private bytes = 0;
  dropped = 0;

  constructor(
    readonly maxFrames = DEFAULT_QUEUE_FRAMES,
    readonly maxBytes = DEFAULT_QUEUE_BYTES,
  ) {}

  get length(): number {
    return this.frames.length - this.head;
  }

  /** Queues a copy of `frame`; false (dropped) when full. */
  push(frame: Uint8Array): boolean {
    if (this.length >= this.maxFrames || this.bytes + frame.length > this.maxBytes) {
      this.dropped++;
      return false;
    }
    // A plain copy (a Node Buffer's slice would share memory and keep the Buffer class).
    const copy = new Uint8Array(frame.length);
    copy.set(frame);
    this.frames.push(copy);
    this.bytes += frame.length;
    return true;
  }

  /** Hands queued frames to `frontend` while it can take them; returns how many it took. */
  deliver(frontend: NetFrontend): number {
    let n = 0;
    while (this.head < this.frames.length && frontend.canReceive()) {
      const f = this.frames[this.head]!;
      this.frames[this.head++] = EMPTY;
      this.bytes -= f.length;
      if (!frontend.receive(f)) this.dropped++;
      n++;
    }
    if (this.head === this.frames.length) this.clear();
    else if (this.head > 256) {
      this.frames = this.frames.slice(this.head);
      this.head = 0;
    }
    return n;
  }

  clear(): void {
    this.frames = [];
    this.head = 0;
    this.bytes = 0;
  }
}

const EMPTY = new Uint8Array(0);
