/**
 * A crossover cable: two NetBackends joined back to back, so two NICs (in
 * one process: two machines, or two NICs of one machine) exchange frames
 * with no host networking. What one end's guest sends is queued (bounded)
 * at the other end and handed to its NIC from that end's `poll`, when the
 * NIC has a free receive buffer. Pure and deterministic: no host resource,
 * `waitingOnHost` is false. Tests use it to run two guests in lockstep.
 */
import type { NetBackend, NetFrontend } from './net-backend.ts';
import { FrameQueue } from './frame-queue.ts';

export class CableEnd implements NetBackend {
  peer: CableEnd | undefined;
  private frontend: NetFrontend | undefined;
  /** Frames on their way to this end's NIC. */
  readonly inbound = new FrameQueue();

  attach(frontend: NetFrontend): void {
    this.frontend = frontend;
  }

  send(frame: Uint8Array): void {
    this.peer?.inbound.push(frame);
  }

  reset(): void {
    this.inbound.clear();
  }

  poll(): void {
    if (this.frontend) this.inbound.deliver(this.frontend);
  }

  nextEventNs(): number {
    return Infinity;
  }

  waitingOnHost(): boolean {
    return false;
  }

  close(): void {
    this.inbound.clear();
  }
}

/** Two joined ends. */
export function createCable(): [CableEnd, CableEnd] {
  const a = new CableEnd();
  const b = new CableEnd();
  a.peer = b;
  b.peer = a;
  return [a, b];
}
