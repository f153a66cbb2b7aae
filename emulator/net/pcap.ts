/**
 * pcap capture of a link, as QEMU's filter-dump writes it: the classic
 * libpcap format (magic 0xa1b2c3d4, version 2.4, microsecond timestamps),
 * link type 1 (ethernet), snaplen 65536 (filter-dump's default maxlen);
 * frames longer than the snaplen are cut, the record keeping their length.
 * Little-endian, as QEMU writes on the hosts we run on.
 *
 * Timestamps are guest time plus a fixed epoch (SOURCE_DATE_EPOCH, else 0)
 * where QEMU adds the host's start time: the same run gives the same file.
 *
 * `DumpBackend` wraps a backend and records every frame in both directions:
 * what the guest sends, and what the backend hands the NIC.
 */
import type { NetBackend, NetFrontend } from './net-backend.ts';

export const PCAP_MAGIC = 0xa1b2c3d4;
export const PCAP_LINKTYPE_ETHERNET = 1;
export const PCAP_SNAPLEN = 65536;

/** The 24-byte file header. */
export function pcapFileHeader(snaplen = PCAP_SNAPLEN): Uint8Array {
  const b = new Uint8Array(24);
  const v = new DataView(b.buffer);
  v.setUint32(0, PCAP_MAGIC, true);
  v.setUint16(4, 2, true);
  v.setUint16(6, 4, true);
  v.setInt32(8, 0, true); // thiszone
  v.setUint32(12, 0, true); // sigfigs
  v.setUint32(16, snaplen, true);
  v.setUint32(20, PCAP_LINKTYPE_ETHERNET, true);
  return b;
}

/** One record: 16-byte header (seconds, microseconds, captured and original length) and the frame. */
export function pcapRecord(timeNs: number, epochSeconds: number, frame: Uint8Array, snaplen = PCAP_SNAPLEN): Uint8Array {
  const caplen = Math.min(frame.length, snaplen);
  const b = new Uint8Array(16 + caplen);
  const v = new DataView(b.buffer);
  const us = Math.max(0, Math.floor(timeNs / 1000));
  v.setUint32(0, (epochSeconds + Math.floor(us / 1_000_000)) >>> 0, true);
  v.setUint32(4, us % 1_000_000, true);
  v.setUint32(8, caplen, true);
  v.setUint32(12, frame.length, true);
  b.set(frame.subarray(0, caplen), 16);
  return b;
}

export interface DumpOptions {
  /** Receives the file's bytes in order (the header first, at construction). */
  sink: (bytes: Uint8Array) => void;
  /** Guest time now, ns (set once the machine exists: `dump.clock = () => machine.nowNs()`). */
  clock?: () => number;
  epochSeconds?: number;
}

/** A pcap writer shared by the links it watches (one file for all NICs, as a hub would see them). */
export class PcapWriter {
  clock: () => number;
  frames = 0;
  private readonly sink: (bytes: Uint8Array) => void;
  private readonly epoch: number;

  constructor(options: DumpOptions) {
    this.sink = options.sink;
    this.clock = options.clock ?? (() => 0);
    this.epoch = options.epochSeconds ?? 0;
    this.sink(pcapFileHeader());
  }

  record(frame: Uint8Array): void {
    this.frames++;
    this.sink(pcapRecord(this.clock(), this.epoch, frame));
  }
}

/** A backend whose traffic, both ways, is also written to a pcap file. */
export class DumpBackend implements NetBackend {
  constructor(
    readonly inner: NetBackend,
    private readonly writer: PcapWriter,
  ) {}

  attach(frontend: NetFrontend): void {
    const writer = this.writer;
    this.inner.attach({
      canReceive: () => frontend.canReceive(),
      receive: (frame) => {
        writer.record(frame);
        return frontend.receive(frame);
      },
    });
  }

  send(frame: Uint8Array): void {
    this.writer.record(frame);
    this.inner.send(frame);
  }

  reset(): void { this.inner.reset(); }
  poll(nowNs: number): void { this.inner.poll(nowNs); }
  nextEventNs(): number { return this.inner.nextEventNs(); }
  waitingOnHost(): boolean { return this.inner.waitingOnHost(); }
  close(): void { this.inner.close(); }
}
