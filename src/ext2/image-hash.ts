/**
 * SHA-256 of the image as it streams out. For large images the hashing runs
 * on a worker thread, so it overlaps the main thread's reads and writes
 * (window buffers are shared with the worker and reused once hashed);
 * small images are hashed inline, where a worker's start-up would cost more
 * than it saves.
 */
import { createHash, type Hash } from 'node:crypto';
import { Worker } from 'node:worker_threads';

export interface ImageHasher {
  /** A window buffer of `bytes` bytes, zero-filled. */
  take(): Promise<Uint8Array>;
  /** Hashes `buf[0, len)` next; the buffer goes back to the pool once hashed. */
  update(buf: Uint8Array, len: number): void;
  /** Hashes `len` zero bytes next. */
  zeros(len: number): void;
  digest(): Promise<string>;
}

export class InlineHasher implements ImageHasher {
  private readonly h: Hash = createHash('sha256');
  private readonly buf: Uint8Array;
  private zero: Uint8Array | null = null;
  private dirty = false;

  constructor(private readonly windowBytes: number) {
    this.buf = new Uint8Array(windowBytes);
  }

  async take(): Promise<Uint8Array> {
    if (this.dirty) this.buf.fill(0);
    this.dirty = true;
    return this.buf;
  }

  update(buf: Uint8Array, len: number): void {
    this.h.update(buf.subarray(0, len));
  }

  zeros(len: number): void {
    this.zero ??= new Uint8Array(this.windowBytes);
    this.h.update(this.zero.subarray(0, len));
  }

  async digest(): Promise<string> {
    return this.h.digest('hex');
  }
}

const WORKER_CODE = `
const { parentPort, workerData } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const h = createHash('sha256');
const zero = new Uint8Array(workerData.windowBytes);
parentPort.on('message', (m) => {
  if (m.end) { parentPort.postMessage({ digest: h.digest('hex') }); return; }
  if (m.zeros) { h.update(zero.subarray(0, m.zeros)); return; }
  h.update(new Uint8Array(m.sab, 0, m.len));
  parentPort.postMessage({ index: m.index });
});`;

/**
 * Window buffers live in SharedArrayBuffers: the worker hashes them in place
 * and reports back which one is free again (no copies, no transfers).
 */
export class WorkerHasher implements ImageHasher {
  private readonly worker: Worker;
  private readonly buffers: Uint8Array[] = [];
  private readonly free: number[] = [];
  private waiting: ((index: number) => void)[] = [];
  private onDigest: ((hex: string) => void) | null = null;
  private failed: Error | null = null;

  constructor(private readonly windowBytes: number, private readonly maxBuffers = 4) {
    this.worker = new Worker(WORKER_CODE, { eval: true, workerData: { windowBytes } });
    this.worker.on('message', (m: { index?: number; digest?: string }) => {
      if (m.digest !== undefined) { this.onDigest?.(m.digest); return; }
      const next = this.waiting.shift();
      if (next) next(m.index!);
      else this.free.push(m.index!);
    });
    this.worker.on('error', (err) => {
      this.failed = err;
      for (const w of this.waiting.splice(0)) w(-1);
    });
  }

  async take(): Promise<Uint8Array> {
    if (this.failed) throw this.failed;
    let index = this.free.pop();
    if (index === undefined && this.buffers.length < this.maxBuffers) {
      this.buffers.push(new Uint8Array(new SharedArrayBuffer(this.windowBytes)));
      return this.buffers[this.buffers.length - 1]!;
    }
    index ??= await new Promise<number>((res) => this.waiting.push(res));
    if (this.failed) throw this.failed;
    const buf = this.buffers[index]!;
    buf.fill(0);
    return buf;
  }

  update(buf: Uint8Array, len: number): void {
    const index = this.buffers.indexOf(buf);
    this.worker.postMessage({ sab: buf.buffer, len, index });
  }

  zeros(len: number): void {
    this.worker.postMessage({ zeros: len });
  }

  async digest(): Promise<string> {
    if (this.failed) throw this.failed;
    const hex = await new Promise<string>((res) => { this.onDigest = res; this.worker.postMessage({ end: true }); });
    await this.worker.terminate();
    return hex;
  }

  async dispose(): Promise<void> {
    await this.worker.terminate();
  }
}
