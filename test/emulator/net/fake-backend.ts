/** A NetBackend for device tests: records what the guest sends, hands frames to the guest on demand. */
import type { NetBackend, NetFrontend } from '../../../emulator/net/net-backend.ts';

export class RecordingBackend implements NetBackend {
  frontend: NetFrontend | undefined;
  readonly sent: Uint8Array[] = [];
  resets = 0;
  closed = false;
  attach(frontend: NetFrontend): void {
    this.frontend = frontend;
  }
  send(frame: Uint8Array): void {
    this.sent.push(frame.slice());
  }
  reset(): void {
    this.resets++;
  }
  poll(): void {}
  nextEventNs(): number {
    return Infinity;
  }
  waitingOnHost(): boolean {
    return false;
  }
  close(): void {
    this.closed = true;
  }
  /** Offers a frame to the guest; returns whether the NIC took it. */
  deliver(frame: Uint8Array): boolean {
    return this.frontend!.canReceive() && this.frontend!.receive(frame);
  }
}

/** An ethernet frame: dst, src, ethertype, then `payload` bytes (i * 3 + seed). */
export function testFrame(length: number, seed = 0): Uint8Array {
  const f = new Uint8Array(length);
  f.set([0x52, 0x54, 0x00, 0x12, 0x34, 0x56, 0x52, 0x54, 0x00, 0x12, 0x34, 0x57, 0x08, 0x00]);
  for (let i = 14; i < length; i++) f[i] = (i * 3 + seed) & 0xff;
  return f;
}
