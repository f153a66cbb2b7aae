/**
 * virtio-net (device ID 1) over a NetBackend: the request handler alone, as
 * virtio-blk — the transport (virtio-mmio.ts) owns the registers and rings.
 *
 * Offers MAC (the address in config space) and STATUS (link up), no
 * offloads, no mergeable buffers, no control queue: queue 0 receives, queue 1
 * transmits. With VIRTIO_F_VERSION_1 (which the transport requires) every
 * buffer starts with the 12-byte virtio_net_hdr (flags, gso_type, hdr_len,
 * gso_size, csum_start, csum_offset, num_buffers), as Linux's hdr_len is then
 * sizeof(virtio_net_hdr_mrg_rxbuf). Transmit: the header is skipped (nothing
 * it could ask for was negotiated) and the frame goes to the backend.
 * Receive: the receive queue keeps the driver's buffers until a frame
 * arrives (`notify` claims queue 0); a frame takes one chain, written as a
 * zero header with num_buffers 1, then the frame.
 *
 * A frame that does not fit the next buffer, a transmit chain shorter than
 * a header plus an ethernet header, or longer than 64 KiB, is dropped and
 * counted; the queue goes on.
 */
import { deviceClassSetParentRealize } from '../qom/qdev.ts';
import type { TypeInfo } from '../qom/registry.ts';
import type { NetBackend, NetFrontend } from '../net/net-backend.ts';
import { attachNicBackend, DEFAULT_MAC, NIC_PROPERTIES, nicMac, parseMac } from '../net/netdev.ts';
import { TYPE_VIRTIO_DEVICE, type VirtioBackend, type VirtioHost } from './virtio-mmio.ts';
import { DescriptorChain } from './virtqueue.ts';

export const VIRTIO_ID_NET = 1;
export const VIRTIO_NET_F = { MAC: 1 << 5, STATUS: 1 << 16 } as const;
export const VIRTIO_NET_S_LINK_UP = 1;
export const VIRTIO_NET_HDR_BYTES = 12;
export const RX_QUEUE = 0;
export const TX_QUEUE = 1;
/** Smallest frame accepted for transmit: an ethernet header. */
const MIN_FRAME = 14;
/** Largest frame handled (no GSO was offered, so the guest's frames are MTU-sized). */
export const MAX_FRAME = 65536;

export interface VirtioNetStats {
  txFrames: number;
  txBytes: number;
  txDropped: number;
  rxFrames: number;
  rxBytes: number;
  rxDropped: number;
}

export class VirtioNet implements VirtioBackend, NetFrontend {
  readonly deviceId = VIRTIO_ID_NET;
  readonly featuresLow = VIRTIO_NET_F.MAC | VIRTIO_NET_F.STATUS;
  readonly featuresHigh = 0;
  readonly queueCount = 2;
  /** virtio_net_config: mac[6], status u16 (little-endian), then fields for features not offered. */
  readonly config = new Uint8Array(0x10);
  readonly mac: Uint8Array;
  readonly stats: VirtioNetStats = { txFrames: 0, txBytes: 0, txDropped: 0, rxFrames: 0, rxBytes: 0, rxDropped: 0 };
  private host: VirtioHost | undefined;
  private backend: NetBackend | undefined;
  private readonly rxChain = new DescriptorChain();
  private readonly txFrame = new Uint8Array(MAX_FRAME);

  constructor(options: { mac?: Uint8Array } = {}) {
    this.mac = Uint8Array.from(options.mac ?? parseMac(DEFAULT_MAC)!);
    this.config.set(this.mac, 0);
    this.config[6] = VIRTIO_NET_S_LINK_UP;
  }

  attach(host: VirtioHost): void {
    this.host = host;
  }

  /** Connects the host end (the machine does this at realize). */
  connect(backend: NetBackend | undefined): void {
    this.backend = backend;
  }

  /** Driver reset: the queues are the transport's; the backend keeps its state (the machine resets it on reboot). */
  reset(): void {}

  /** Queue 0 holds receive buffers until frames come; queue 1 is served by `handle`. */
  notify(index: number): boolean {
    return index === RX_QUEUE;
  }

  /** One transmit chain: header, then the frame, in the readable buffers. */
  handle(index: number, chain: DescriptorChain): number {
    if (index !== TX_QUEUE) return 0;
    const length = chain.readableBytes - VIRTIO_NET_HDR_BYTES;
    if (length < MIN_FRAME || length > MAX_FRAME) {
      this.stats.txDropped++;
      return 0;
    }
    const ram = this.host!.ram;
    let skip = VIRTIO_NET_HDR_BYTES;
    let done = 0;
    for (let i = 0; i < chain.readable; i++) {
      const len = chain.len[i]!;
      if (skip >= len) {
        skip -= len;
        continue;
      }
      const n = len - skip;
      this.txFrame.set(ram.readBytes(chain.addr[i]! + skip, n), done);
      done += n;
      skip = 0;
    }
    this.stats.txFrames++;
    this.stats.txBytes += length;
    this.backend?.send(this.txFrame.subarray(0, length));
    return 0;
  }

  canReceive(): boolean {
    const host = this.host;
    return host !== undefined && host.driverOk() && host.queue(RX_QUEUE).hasAvail();
  }

  receive(frame: Uint8Array): boolean {
    if (!this.canReceive()) {
      this.stats.rxDropped++;
      return false;
    }
    const host = this.host!;
    const q = host.queue(RX_QUEUE);
    const head = q.popAvail();
    if (head < 0 || !q.readChain(head, this.rxChain)) {
      if (q.broken) host.deviceError(q.brokenReason);
      this.stats.rxDropped++;
      return false;
    }
    const chain = this.rxChain;
    const total = VIRTIO_NET_HDR_BYTES + frame.length;
    if (chain.readable !== 0 || chain.writableBytes < total) {
      // Not a receive buffer, or too small for this frame: the frame is lost, the buffer kept.
      q.unpopAvail();
      this.stats.rxDropped++;
      return false;
    }
    const ram = host.ram;
    let pos = 0; // position in the header+frame stream
    for (let i = 0; i < chain.count && pos < total; i++) {
      let addr = chain.addr[i]!;
      let room = chain.len[i]!;
      // Header: all zero but num_buffers (u16 LE at 10) = 1.
      for (; room > 0 && pos < VIRTIO_NET_HDR_BYTES; room--, pos++, addr++) ram.write8(addr, pos === 10 ? 1 : 0);
      const n = Math.min(room, total - pos);
      if (n > 0) {
        ram.writeBytes(addr, frame.subarray(pos - VIRTIO_NET_HDR_BYTES, pos - VIRTIO_NET_HDR_BYTES + n));
        pos += n;
      }
    }
    q.pushUsed(head, total);
    host.notifyUsed(RX_QUEUE);
    this.stats.rxFrames++;
    this.stats.rxBytes += frame.length;
    return true;
  }
}

/** QOM type `virtio-net-device` (user-creatable): a VirtioNet on the backend its `netdev` link names. */
export const TYPE_VIRTIO_NET: TypeInfo = {
  name: 'virtio-net-device',
  parent: TYPE_VIRTIO_DEVICE,
  userCreatable: true,
  description: 'virtio network card (eth0 with virtio_net; MAC in config space)',
  properties: NIC_PROPERTIES,
  classInit: (klass) => {
    deviceClassSetParentRealize(klass, (dev, ctx, parentRealize) => {
      const nic = new VirtioNet({ mac: nicMac(dev) });
      nic.connect(attachNicBackend(dev, nic));
      dev.instance = nic;
      parentRealize(dev, ctx);
    });
  },
};
