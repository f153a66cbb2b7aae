/**
 * virtio-mmio transport, version 2 (virtio 1.x, "modern"): the register
 * block a driver uses to discover, negotiate and drive one virtio device,
 * and the queue work every device shares: on QueueNotify the transport pops
 * the available ring, walks each descriptor chain, hands it to the device's
 * `handle`, pushes the result onto the used ring and raises the interrupt.
 * A virtio device (virtio-blk, ...) is therefore only a `VirtioBackend`: its
 * IDs, features, config space and a request handler (compare TinyEMU's
 * virtio.c, jor1k's ReceiveRequest). A transport with no backend is an empty
 * slot (DeviceID 0; Linux skips it); `plug` fills it before the guest runs.
 *
 * Registers are 32-bit little-endian; the big-endian CPU's `l.lwz` carries
 * the byte-swapped value, so every register value is swapped here. Narrower
 * accesses to registers read 0 and are ignored (QEMU does the same). The
 * device-specific config space at 0x100 is a little-endian byte array that
 * may be read in 1/2/4-byte units (returned in bus byte order).
 *
 * Interrupts: InterruptStatus bit 0 (used buffer) / bit 1 (config change);
 * the line is level-triggered, high while InterruptStatus ≠ 0, lowered by
 * InterruptACK. Writing 0 to Status resets the device.
 */
import { swapForSize, type Device, type GuestRam, type IrqLine, type MmioHandler } from '../device.ts';
import { deviceClass, deviceClassSetParentRealize, realizedInstance, sysbusIrq, TYPE_DEVICE, TYPE_SYS_BUS_DEVICE, sysbusFdtNode } from '../qom/qdev.ts';
import type { TypeInfo } from '../qom/registry.ts';
import { DescriptorChain, Virtqueue } from './virtqueue.ts';

export const VIRTIO_MMIO = {
  MAGIC_VALUE: 0x000,
  VERSION: 0x004,
  DEVICE_ID: 0x008,
  VENDOR_ID: 0x00c,
  DEVICE_FEATURES: 0x010,
  DEVICE_FEATURES_SEL: 0x014,
  DRIVER_FEATURES: 0x020,
  DRIVER_FEATURES_SEL: 0x024,
  QUEUE_SEL: 0x030,
  QUEUE_NUM_MAX: 0x034,
  QUEUE_NUM: 0x038,
  QUEUE_READY: 0x044,
  QUEUE_NOTIFY: 0x050,
  INTERRUPT_STATUS: 0x060,
  INTERRUPT_ACK: 0x064,
  STATUS: 0x070,
  QUEUE_DESC_LOW: 0x080,
  QUEUE_DESC_HIGH: 0x084,
  QUEUE_DRIVER_LOW: 0x090,
  QUEUE_DRIVER_HIGH: 0x094,
  QUEUE_DEVICE_LOW: 0x0a0,
  QUEUE_DEVICE_HIGH: 0x0a4,
  CONFIG_GENERATION: 0x0fc,
  CONFIG: 0x100,
} as const;

export const MAGIC = 0x74726976; // "virt"
export const VENDOR_QEMU = 0x554d4551; // "QEMU"
export const VIRTIO_STATUS = { ACKNOWLEDGE: 1, DRIVER: 2, DRIVER_OK: 4, FEATURES_OK: 8, NEEDS_RESET: 0x40, FAILED: 0x80 } as const;
export const VIRTIO_INT = { USED_BUFFER: 1, CONFIG_CHANGE: 2 } as const;
/** VIRTIO_F_VERSION_1 is feature bit 32: bit 0 of the high word. */
export const VIRTIO_F_VERSION_1_HIGH = 1;
/** Largest queue the transport offers (QueueNumMax), as QEMU. */
export const QUEUE_MAX_SIZE = 1024;

/** What a virtio device (virtio-blk, ...) provides to the transport. */
export interface VirtioBackend {
  readonly deviceId: number;
  /** Offered features, bits 0–31 and 32–63 (VERSION_1 is added by the transport). */
  readonly featuresLow: number;
  readonly featuresHigh: number;
  readonly queueCount: number;
  /** Device config space, little-endian bytes (read-only for the guest here). */
  readonly config: Uint8Array;
  /** Called once with the transport's services before the guest runs. */
  attach(host: VirtioHost): void;
  /**
   * Serves one request: the chain popped from queue `index` (its buffers are
   * checked to lie in RAM, readable ones first). Returns the bytes written
   * into the chain's writable buffers (the used-ring length), or -1 after
   * failing the queue (`host.queue(index).fail(reason)`). Must not throw.
   */
  handle(index: number, chain: DescriptorChain): number;
  /**
   * Optional: the driver notified queue `index` (QueueNotify). Return true
   * when the device serves that queue itself — virtio-net's receive queue
   * keeps its buffers until frames arrive — and false to let the transport
   * pop every available chain into `handle` (the default). Must not throw.
   */
  notify?(index: number): boolean;
  /** Device reset (Status ← 0). */
  reset(): void;
}

/** Transport services a backend uses. */
export interface VirtioHost {
  readonly ram: GuestRam;
  queue(index: number): Virtqueue;
  /** Raise the used-buffer interrupt (unless the driver suppressed it). */
  notifyUsed(index: number): void;
  /** Driver-negotiated features, bits 0–31. */
  driverFeaturesLow(): number;
  /** The driver set DRIVER_OK and the device does not need a reset: queues may be used. */
  driverOk(): boolean;
  /** The guest broke the protocol: set NEEDS_RESET and signal a config change. */
  deviceError(reason: string): void;
}

export class VirtioMmio implements MmioHandler, VirtioHost, Device {
  readonly ram: GuestRam;
  private readonly irq: IrqLine;
  backend: VirtioBackend | undefined;
  private readonly queues: Virtqueue[] = [];
  /** The chain being served (reused: a request allocates nothing). */
  private readonly chain = new DescriptorChain();
  private status = 0;
  private interruptStatus = 0;
  private deviceFeaturesSel = 0;
  private driverFeaturesSel = 0;
  private driverFeatures = [0, 0];
  private queueSel = 0;
  private lineLevel = false;

  private readonly log: (message: string) => void;
  private readonly name: string;

  constructor(options: { ram: GuestRam; irq: IrqLine; backend?: VirtioBackend; name?: string; log?: (message: string) => void }) {
    this.ram = options.ram;
    this.log = options.log ?? (() => {});
    this.name = options.name ?? 'virtio-mmio';
    this.irq = options.irq;
    if (options.backend) this.plug(options.backend);
  }

  /** Puts a device into this (empty) slot: its queues are created and it gets the transport's services. */
  plug(backend: VirtioBackend): void {
    if (this.backend) throw new Error(`${this.name}: already holds a virtio device`);
    this.backend = backend;
    for (let i = 0; i < backend.queueCount; i++) this.queues.push(new Virtqueue(this.ram, QUEUE_MAX_SIZE));
    backend.attach(this);
  }

  queue(index: number): Virtqueue {
    return this.queues[index]!;
  }

  driverFeaturesLow(): number {
    return this.driverFeatures[0]!;
  }

  driverOk(): boolean {
    return (this.status & (VIRTIO_STATUS.DRIVER_OK | VIRTIO_STATUS.NEEDS_RESET)) === VIRTIO_STATUS.DRIVER_OK;
  }

  /** Current InterruptStatus, Status and line level (tests, diagnostics). */
  get state(): { status: number; interruptStatus: number; irq: boolean } {
    return { status: this.status, interruptStatus: this.interruptStatus, irq: this.lineLevel };
  }

  notifyUsed(index: number): void {
    const q = this.queues[index];
    if (q && q.interruptSuppressed()) return;
    this.interruptStatus |= VIRTIO_INT.USED_BUFFER;
    this.updateIrq();
  }

  read(offset: number, size: 1 | 2 | 4): number {
    if (offset >= VIRTIO_MMIO.CONFIG) return this.readConfig(offset - VIRTIO_MMIO.CONFIG, size);
    if (size !== 4) return 0;
    return swapForSize(this.readRegister(offset), 4);
  }

  write(offset: number, size: 1 | 2 | 4, value: number): void {
    if (offset >= VIRTIO_MMIO.CONFIG) return; // config space is read-only for virtio-blk here
    if (size !== 4) return;
    this.writeRegister(offset, swapForSize(value, 4));
  }

  private readRegister(offset: number): number {
    const backend = this.backend;
    switch (offset) {
      case VIRTIO_MMIO.MAGIC_VALUE: return MAGIC;
      case VIRTIO_MMIO.VERSION: return 2;
      case VIRTIO_MMIO.VENDOR_ID: return VENDOR_QEMU;
    }
    if (!backend) return 0;
    switch (offset) {
      case VIRTIO_MMIO.DEVICE_ID: return backend.deviceId;
      case VIRTIO_MMIO.DEVICE_FEATURES:
        if (this.deviceFeaturesSel === 0) return backend.featuresLow >>> 0;
        if (this.deviceFeaturesSel === 1) return (backend.featuresHigh | VIRTIO_F_VERSION_1_HIGH) >>> 0;
        return 0;
      case VIRTIO_MMIO.QUEUE_NUM_MAX:
        return this.queueSel < this.queues.length ? QUEUE_MAX_SIZE : 0;
      case VIRTIO_MMIO.QUEUE_READY:
        return this.queues[this.queueSel]?.ready ? 1 : 0;
      case VIRTIO_MMIO.INTERRUPT_STATUS: return this.interruptStatus;
      case VIRTIO_MMIO.STATUS: return this.status;
      case VIRTIO_MMIO.CONFIG_GENERATION: return 0;
      default: return 0;
    }
  }

  private writeRegister(offset: number, value: number): void {
    if (!this.backend) return;
    const q = this.queues[this.queueSel];
    switch (offset) {
      case VIRTIO_MMIO.DEVICE_FEATURES_SEL: this.deviceFeaturesSel = value; return;
      case VIRTIO_MMIO.DRIVER_FEATURES_SEL: this.driverFeaturesSel = value; return;
      case VIRTIO_MMIO.DRIVER_FEATURES:
        if (this.driverFeaturesSel < 2 && !(this.status & VIRTIO_STATUS.FEATURES_OK)) {
          const offered = this.driverFeaturesSel === 0 ? this.backend.featuresLow : this.backend.featuresHigh | VIRTIO_F_VERSION_1_HIGH;
          this.driverFeatures[this.driverFeaturesSel] = (value & offered) >>> 0;
        }
        return;
      case VIRTIO_MMIO.QUEUE_SEL: this.queueSel = value; return;
      case VIRTIO_MMIO.QUEUE_NUM: if (q && !q.ready) q.size = value; return;
      case VIRTIO_MMIO.QUEUE_DESC_LOW: if (q && !q.ready) q.descAddr = value; return;
      case VIRTIO_MMIO.QUEUE_DRIVER_LOW: if (q && !q.ready) q.availAddr = value; return;
      case VIRTIO_MMIO.QUEUE_DEVICE_LOW: if (q && !q.ready) q.usedAddr = value; return;
      case VIRTIO_MMIO.QUEUE_DESC_HIGH:
      case VIRTIO_MMIO.QUEUE_DRIVER_HIGH:
      case VIRTIO_MMIO.QUEUE_DEVICE_HIGH:
        // A 32-bit guest has no RAM above 4 GiB: a nonzero high word is unusable.
        if (q && !q.ready && value !== 0) q.fail('ring address above 4 GiB');
        return;
      case VIRTIO_MMIO.QUEUE_READY:
        if (!q) return;
        if (value & 1) {
          q.ready = true;
          q.validate();
        } else {
          q.reset();
        }
        return;
      case VIRTIO_MMIO.QUEUE_NOTIFY:
        if (value < this.queues.length && this.status & VIRTIO_STATUS.DRIVER_OK && !this.backend.notify?.(value)) this.processQueue(value);
        return;
      case VIRTIO_MMIO.INTERRUPT_ACK:
        this.interruptStatus &= ~value;
        this.updateIrq();
        return;
      case VIRTIO_MMIO.STATUS:
        if (value === 0) this.reset();
        else {
          // The driver must accept VERSION_1 on a modern transport, else FEATURES_OK does not stick.
          let next = value & 0xff;
          if (next & VIRTIO_STATUS.FEATURES_OK && !(this.driverFeatures[1]! & VIRTIO_F_VERSION_1_HIGH)) next &= ~VIRTIO_STATUS.FEATURES_OK;
          this.status = next;
        }
        return;
      default:
        return;
    }
  }

  /**
   * The driver notified queue `index`: serve every available chain in order,
   * then interrupt once (split virtqueue device algorithm, virtio 1.x §2.7).
   * A protocol violation breaks the queue and asks the driver for a reset.
   */
  private processQueue(index: number): void {
    const backend = this.backend!;
    const q = this.queues[index]!;
    if (!q.ready || q.broken) return;
    let completed = 0;
    for (let guard = 0; guard < 0x10000; guard++) {
      const head = q.popAvail();
      if (head < 0) break;
      if (!q.readChain(head, this.chain)) break;
      const written = backend.handle(index, this.chain);
      if (written < 0) break;
      q.pushUsed(head, written);
      completed++;
    }
    if (q.broken) this.deviceError(q.brokenReason);
    if (completed > 0) this.notifyUsed(index);
  }

  private readConfig(offset: number, size: 1 | 2 | 4): number {
    const config = this.backend?.config;
    if (!config || offset + size > config.length) return 0;
    // Bytes in config order, composed big-endian: what the CPU's load sees.
    let v = 0;
    for (let i = 0; i < size; i++) v = (v << 8) | config[offset + i]!;
    return v >>> 0;
  }

  /** Device reset: Status 0, features, queues and interrupts cleared. */
  reset(): void {
    this.status = 0;
    this.interruptStatus = 0;
    this.deviceFeaturesSel = 0;
    this.driverFeaturesSel = 0;
    this.driverFeatures = [0, 0];
    this.queueSel = 0;
    for (const q of this.queues) q.reset();
    this.backend?.reset();
    this.updateIrq();
  }

  /** Marks the device as needing a reset and tells the driver (config-change interrupt). */
  deviceError(reason: string): void {
    if (!(this.status & VIRTIO_STATUS.NEEDS_RESET)) this.log(`${this.name}: guest broke the virtqueue protocol (${reason}); device needs a reset`);
    this.status |= VIRTIO_STATUS.NEEDS_RESET;
    if (this.status & VIRTIO_STATUS.DRIVER_OK) {
      this.interruptStatus |= VIRTIO_INT.CONFIG_CHANGE;
      this.updateIrq();
    }
  }

  private updateIrq(): void {
    const level = this.interruptStatus !== 0;
    if (level !== this.lineLevel) {
      this.lineLevel = level;
      this.irq.set(level);
    }
  }
}

export const VIRTIO_BUS = 'virtio-bus';

/**
 * QOM type `virtio-mmio` (a sys-bus device): one transport slot, offering the
 * bus `virtio-mmio-bus.<slot>` that holds at most one virtio device. Node as
 * QEMU's openrisc_virt_virtio_init.
 */
export const TYPE_VIRTIO_MMIO: TypeInfo = {
  name: 'virtio-mmio',
  parent: TYPE_SYS_BUS_DEVICE,
  description: 'virtio-mmio transport, version 2 (empty slots read DeviceID 0)',
  properties: [{ name: 'slot', type: 'uint32', readOnly: true, description: 'slot number (bus virtio-mmio-bus.N)' }],
  classInit: (klass) => {
    const dc = deviceClass(klass);
    deviceClassSetParentRealize(klass, (dev, ctx, parentRealize) => {
      dev.instance = new VirtioMmio({ ram: ctx.ram, irq: sysbusIrq(dev, ctx), name: dev.path(), log: ctx.log });
      parentRealize(dev, ctx);
    });
    dc.providesBus = (dev) => ({ type: VIRTIO_BUS, name: `virtio-mmio-bus.${dev.getNumber('slot')}`, capacity: 1 });
    dc.fdt = (dev, fdt) => { sysbusFdtNode(dev, fdt, '/soc/virtio_mmio', 'virtio,mmio', { irq: true }); };
  },
};

/**
 * Abstract QOM type `virtio-device`: plugs into a virtio bus. A subtype's
 * realize creates its VirtioBackend as `dev.instance`, then calls this realize
 * (its parent's), which hands it to the transport above it. Reset comes
 * through the transport (driver Status ← 0, or the transport's own reset).
 */
export const TYPE_VIRTIO_DEVICE: TypeInfo = {
  name: 'virtio-device',
  parent: TYPE_DEVICE,
  abstract: true,
  description: 'a virtio device (its request handler; the transport does the queues)',
  classInit: (klass) => {
    const dc = deviceClass(klass);
    dc.busType = VIRTIO_BUS;
    dc.realize = (dev) => {
      const transport = realizedInstance<VirtioMmio>(dev.parent, TYPE_VIRTIO_MMIO.name, `${dev.path()} (${dev.typeName})`);
      transport.plug(dev.instance as VirtioBackend);
    };
    dc.reset = () => {};
  },
};
