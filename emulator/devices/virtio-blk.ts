/**
 * virtio-blk backend (device ID 2) over a host `BlockBackend`: the request
 * handler alone — the transport (virtio-mmio.ts) pops the rings and walks
 * the descriptor chains.
 *
 * Offers VERSION_1 (by the transport), SEG_MAX, BLK_SIZE, FLUSH and RO for a
 * read-only disk; no INDIRECT_DESC / EVENT_IDX. Handles IN, OUT, FLUSH and
 * GET_ID; anything else gets VIRTIO_BLK_S_UNSUPP. A request is a descriptor
 * chain: a 16-byte readable header {u32 type, u32 ioprio, u64 sector}, data
 * buffers, and a writable status byte at the very end; the header and data may
 * span any number of descriptors (the chain is read as two byte streams).
 *
 * Every sector and length is checked against the disk (whole 512-byte sectors,
 * inside capacity); a bad request gets VIRTIO_BLK_S_IOERR. A chain without a
 * status byte, or a queue-protocol violation, breaks the queue (NEEDS_RESET).
 * Data moves in 64 KiB pieces, so a huge request allocates nothing large.
 */
import { deviceClassSetParentRealize, realizedInstance, TYPE_DRIVE } from '../qom/qdev.ts';
import type { TypeInfo } from '../qom/registry.ts';
import type { BlockBackend } from './block-backend.ts';
import { TYPE_VIRTIO_DEVICE, type VirtioBackend, type VirtioHost } from './virtio-mmio.ts';
import type { DescriptorChain } from './virtqueue.ts';

export const VIRTIO_ID_BLOCK = 2;
export const VIRTIO_BLK_F = { SIZE_MAX: 1 << 1, SEG_MAX: 1 << 2, GEOMETRY: 1 << 4, RO: 1 << 5, BLK_SIZE: 1 << 6, FLUSH: 1 << 9 } as const;
export const VIRTIO_BLK_T = { IN: 0, OUT: 1, FLUSH: 4, GET_ID: 8 } as const;
export const VIRTIO_BLK_S = { OK: 0, IOERR: 1, UNSUPP: 2 } as const;
export const SECTOR = 512;
export const BLK_ID_BYTES = 20;
const HEADER_BYTES = 16;
const PIECE = 64 * 1024;
/** seg_max offered: queue size 128 minus header and status, as QEMU's default. */
export const SEG_MAX = 126;

export interface VirtioBlkOptions {
  disk: BlockBackend;
  /** GET_ID answer (up to 20 bytes; default empty). */
  serial?: string;
  /** Refuse writes even if the backend allows them. */
  readOnly?: boolean;
}

export interface VirtioBlkStats {
  reads: number;
  writes: number;
  flushes: number;
  getIds: number;
  errors: number;
  unsupported: number;
  bytesRead: number;
  bytesWritten: number;
}

export class VirtioBlk implements VirtioBackend {
  readonly deviceId = VIRTIO_ID_BLOCK;
  readonly featuresLow: number;
  readonly featuresHigh = 0;
  readonly queueCount = 1;
  readonly config = new Uint8Array(0x40);
  readonly capacitySectors: number;
  readonly readOnly: boolean;
  readonly stats: VirtioBlkStats = { reads: 0, writes: 0, flushes: 0, getIds: 0, errors: 0, unsupported: 0, bytesRead: 0, bytesWritten: 0 };
  private readonly disk: BlockBackend;
  private readonly serial: Uint8Array;
  private host: VirtioHost | undefined;
  private readonly header = new Uint8Array(HEADER_BYTES);
  private readonly piece = new Uint8Array(PIECE);

  constructor(options: VirtioBlkOptions) {
    this.disk = options.disk;
    this.readOnly = options.readOnly === true || options.disk.readOnly;
    this.capacitySectors = Math.floor(options.disk.size / SECTOR);
    this.serial = new Uint8Array(BLK_ID_BYTES);
    const s = options.serial ?? '';
    for (let i = 0; i < s.length && i < BLK_ID_BYTES; i++) this.serial[i] = s.charCodeAt(i) & 0xff;
    this.featuresLow = VIRTIO_BLK_F.SEG_MAX | VIRTIO_BLK_F.BLK_SIZE | VIRTIO_BLK_F.FLUSH | (this.readOnly ? VIRTIO_BLK_F.RO : 0);
    const view = new DataView(this.config.buffer);
    view.setUint32(0x00, this.capacitySectors % 0x1_0000_0000, true); // capacity (u64)
    view.setUint32(0x04, Math.floor(this.capacitySectors / 0x1_0000_0000), true);
    view.setUint32(0x0c, SEG_MAX, true); // seg_max
    view.setUint32(0x14, SECTOR, true); // blk_size
    view.setUint16(0x22, 1, true); // num_queues
  }

  attach(host: VirtioHost): void {
    this.host = host;
  }

  reset(): void {
    // No device state beyond the queues (owned by the transport).
  }

  /** Processes one request; returns bytes written to the driver, or -1 if the queue broke. */
  handle(index: number, chain: DescriptorChain): number {
    const host = this.host!;
    if (chain.writableBytes < 1) {
      host.queue(index).fail('request without a status byte');
      return -1;
    }
    const dataIn = chain.writableBytes - 1;
    let status: number;
    if (chain.readableBytes < HEADER_BYTES) {
      status = VIRTIO_BLK_S.IOERR;
    } else {
      this.copyOut(chain, 0, this.header);
      const h = this.header;
      const type = (h[0]! | (h[1]! << 8) | (h[2]! << 16) | (h[3]! << 24)) >>> 0;
      const sectorLo = (h[8]! | (h[9]! << 8) | (h[10]! << 16) | (h[11]! << 24)) >>> 0;
      const sectorHi = (h[12]! | (h[13]! << 8) | (h[14]! << 16) | (h[15]! << 24)) >>> 0;
      const sector = sectorHi >= 0x200000 ? Infinity : sectorHi * 0x1_0000_0000 + sectorLo;
      status = this.execute(chain, type, sector, dataIn);
    }
    if (status === VIRTIO_BLK_S.IOERR) this.stats.errors++;
    // The status byte is the last byte of the writable stream (skip empty trailing buffers).
    let last = chain.count - 1;
    while (chain.len[last] === 0) last--;
    host.ram.write8(chain.addr[last]! + chain.len[last]! - 1, status);
    return chain.writableBytes;
  }

  private execute(chain: DescriptorChain, type: number, sector: number, dataIn: number): number {
    switch (type) {
      case VIRTIO_BLK_T.IN: {
        if (!this.rangeOk(sector, dataIn)) return VIRTIO_BLK_S.IOERR;
        this.stats.reads++;
        const ok = this.transfer(chain, true, sector * SECTOR, dataIn);
        if (ok) this.stats.bytesRead += dataIn;
        return ok ? VIRTIO_BLK_S.OK : VIRTIO_BLK_S.IOERR;
      }
      case VIRTIO_BLK_T.OUT: {
        const dataOut = chain.readableBytes - HEADER_BYTES;
        if (this.readOnly || !this.rangeOk(sector, dataOut)) return VIRTIO_BLK_S.IOERR;
        this.stats.writes++;
        const ok = this.transfer(chain, false, sector * SECTOR, dataOut);
        if (ok) this.stats.bytesWritten += dataOut;
        return ok ? VIRTIO_BLK_S.OK : VIRTIO_BLK_S.IOERR;
      }
      case VIRTIO_BLK_T.FLUSH:
        this.stats.flushes++;
        return this.call(() => this.disk.flush()) ? VIRTIO_BLK_S.OK : VIRTIO_BLK_S.IOERR;
      case VIRTIO_BLK_T.GET_ID: {
        this.stats.getIds++;
        const n = Math.min(BLK_ID_BYTES, dataIn);
        this.copyIn(chain, 0, this.serial.subarray(0, n));
        return VIRTIO_BLK_S.OK;
      }
      default:
        this.stats.unsupported++;
        return VIRTIO_BLK_S.UNSUPP;
    }
  }

  private rangeOk(sector: number, bytes: number): boolean {
    if (bytes % SECTOR !== 0) return false;
    const sectors = bytes / SECTOR;
    return sector <= this.capacitySectors && sectors <= this.capacitySectors - sector;
  }

  /**
   * Moves `length` bytes between the disk at `diskOffset` and the chain's data
   * buffers: writable buffers (minus the status byte) for a read, readable
   * buffers after the header for a write.
   */
  private transfer(chain: DescriptorChain, toGuest: boolean, diskOffset: number, length: number): boolean {
    const ram = this.host!.ram;
    let skip = toGuest ? 0 : HEADER_BYTES;
    let remaining = length;
    let pos = diskOffset;
    const first = toGuest ? chain.readable : 0;
    const end = toGuest ? chain.count : chain.readable;
    for (let i = first; i < end && remaining > 0; i++) {
      let addr = chain.addr[i]!;
      let len = chain.len[i]!;
      if (skip >= len) {
        skip -= len;
        continue;
      }
      addr += skip;
      len -= skip;
      skip = 0;
      while (len > 0 && remaining > 0) {
        const n = Math.min(len, remaining, PIECE);
        const buf = this.piece.subarray(0, n);
        if (toGuest) {
          if (!this.call(() => this.disk.read(pos, buf))) return false;
          ram.writeBytes(addr, buf);
        } else {
          buf.set(ram.readBytes(addr, n));
          if (!this.call(() => this.disk.write(pos, buf))) return false;
        }
        addr += n;
        len -= n;
        pos += n;
        remaining -= n;
      }
    }
    return remaining === 0;
  }

  /** Copies readable-stream bytes starting at `offset` into `dest`. */
  private copyOut(chain: DescriptorChain, offset: number, dest: Uint8Array): void {
    const ram = this.host!.ram;
    let skip = offset;
    let done = 0;
    for (let i = 0; i < chain.readable && done < dest.length; i++) {
      const len = chain.len[i]!;
      if (skip >= len) {
        skip -= len;
        continue;
      }
      const n = Math.min(len - skip, dest.length - done);
      for (let k = 0; k < n; k++) dest[done + k] = ram.read8(chain.addr[i]! + skip + k);
      done += n;
      skip = 0;
    }
  }

  /** Copies `src` into the writable stream starting at `offset`. */
  private copyIn(chain: DescriptorChain, offset: number, src: Uint8Array): void {
    const ram = this.host!.ram;
    let skip = offset;
    let done = 0;
    for (let i = chain.readable; i < chain.count && done < src.length; i++) {
      const len = chain.len[i]!;
      if (skip >= len) {
        skip -= len;
        continue;
      }
      const n = Math.min(len - skip, src.length - done);
      for (let k = 0; k < n; k++) ram.write8(chain.addr[i]! + skip + k, src[done + k]!);
      done += n;
      skip = 0;
    }
  }

  /** Runs a backend call; a `false` return or a throw is an I/O error. */
  private call(fn: () => boolean | void): boolean {
    try {
      return fn() !== false;
    } catch {
      return false;
    }
  }
}

/** QOM type `virtio-blk-device` (user-creatable): a VirtioBlk on the drive its `drive` link names. */
export const TYPE_VIRTIO_BLK: TypeInfo = {
  name: 'virtio-blk-device',
  parent: TYPE_VIRTIO_DEVICE,
  userCreatable: true,
  description: 'virtio block device (first one is /dev/vda)',
  properties: [
    { name: 'drive', type: 'link', linkType: TYPE_DRIVE.name, required: true, exclusive: true, description: 'id of the disk image backend to use' },
    { name: 'serial', type: 'string', default: '', description: 'serial number reported by GET_ID (20 bytes max)' },
    { name: 'read-only', type: 'bool', default: false, description: 'refuse guest writes (offers VIRTIO_BLK_F_RO)' },
  ],
  classInit: (klass) => {
    deviceClassSetParentRealize(klass, (dev, ctx, parentRealize) => {
      const disk = realizedInstance<BlockBackend>(dev.getLink('drive'), TYPE_DRIVE.name, `${dev.path()} drive`);
      dev.instance = new VirtioBlk({ disk, serial: dev.getString('serial'), readOnly: dev.getBool('read-only') });
      parentRealize(dev, ctx);
    });
  },
};
