/**
 * `--nic socket,listen=ADDR:PORT` / `connect=ADDR:PORT`: ethernet frames
 * between two processes over one TCP stream, in QEMU's `-netdev socket`
 * framing (net/socket.c): each frame is a 4-byte big-endian length, then the
 * frame (no FCS). So a mkrootfs guest can talk to another mkrootfs guest or
 * to a QEMU guest started with `-netdev socket,connect=…`/`listen=…`.
 *
 * listen: accepts one peer at a time (a second is refused while one is
 * attached) and keeps listening after it leaves. connect: one connection,
 * made before the guest starts (`open`); if it drops, frames are dropped.
 * Frames the guest sends while no peer is attached are dropped, as on an
 * unplugged cable. Incoming frames wait in a bounded queue until the NIC
 * has room (`poll`). A length above 69632 bytes (QEMU's NET_BUFSIZE) is a
 * broken stream: the connection is closed. Outgoing data beyond 4 MiB not
 * yet taken by the kernel is dropped frame by frame.
 *
 * While a peer is attached (or a connection is being made) the backend
 * waits on the host, so the runner paces guest time to the wall clock.
 */
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import type { NetBackend, NetFrontend } from '../../net/net-backend.ts';
import { FrameQueue } from '../../net/frame-queue.ts';

/** QEMU's NET_BUFSIZE (4096 + 65536): the largest frame the stream carries. */
export const SOCKET_MAX_FRAME = 69632;
const MAX_UNSENT = 4 << 20;

export interface SocketBackendOptions {
  mode: 'listen' | 'connect';
  host: string;
  port: number;
  log?: (message: string) => void;
}

export interface SocketStats {
  framesOut: number;
  framesIn: number;
  droppedOut: number;
  droppedIn: number;
  connections: number;
}

export class SocketBackend implements NetBackend {
  readonly stats: SocketStats = { framesOut: 0, framesIn: 0, droppedOut: 0, droppedIn: 0, connections: 0 };
  private frontend: NetFrontend | undefined;
  private server: Server | undefined;
  private peer: Socket | undefined;
  private readonly inbound = new FrameQueue();
  private pending: Buffer = Buffer.alloc(0);
  private closed = false;
  private readonly log: (message: string) => void;

  constructor(readonly options: SocketBackendOptions) {
    this.log = options.log ?? (() => {});
  }

  /** The port actually bound (listen with port 0 picks one). */
  get port(): number {
    const a = this.server?.address();
    return a && typeof a === 'object' ? a.port : this.options.port;
  }

  /** Starts listening, or connects; rejects with the OS error (EADDRINUSE, ECONNREFUSED...). */
  open(): Promise<void> {
    const { mode, host, port } = this.options;
    return new Promise((resolve, reject) => {
      if (mode === 'listen') {
        const server = createServer((s) => this.accept(s));
        server.once('error', reject);
        server.listen(port, host, () => {
          server.off('error', reject);
          server.on('error', (e) => this.log(`socket: listener ${host}:${port}: ${e.message}`));
          this.server = server;
          resolve();
        });
      } else {
        const s = createConnection({ host, port });
        s.once('error', reject);
        s.once('connect', () => {
          s.off('error', reject);
          this.accept(s);
          resolve();
        });
      }
    });
  }

  private accept(s: Socket): void {
    if (this.peer || this.closed) {
      s.destroy();
      return;
    }
    this.peer = s;
    this.pending = Buffer.alloc(0);
    this.stats.connections++;
    s.setNoDelay(true);
    s.on('data', (chunk: Buffer) => this.onData(chunk));
    s.on('error', (e) => this.log(`socket: ${e.message}`));
    s.on('close', () => {
      if (this.peer === s) this.peer = undefined;
    });
  }

  private onData(chunk: Buffer): void {
    let buf = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    let off = 0;
    while (buf.length - off >= 4) {
      const len = buf.readUInt32BE(off);
      if (len > SOCKET_MAX_FRAME) {
        this.log(`socket: peer sent a ${len}-byte frame (limit ${SOCKET_MAX_FRAME}); closing the connection`);
        this.peer?.destroy();
        this.peer = undefined;
        buf = Buffer.alloc(0);
        off = 0;
        break;
      }
      if (buf.length - off < 4 + len) break;
      const frame = buf.subarray(off + 4, off + 4 + len);
      off += 4 + len;
      if (this.inbound.push(frame)) this.stats.framesIn++;
      else this.stats.droppedIn++;
    }
    this.pending = Buffer.from(buf.subarray(off));
  }

  attach(frontend: NetFrontend): void {
    this.frontend = frontend;
  }

  send(frame: Uint8Array): void {
    const s = this.peer;
    if (!s || s.destroyed || s.writableLength > MAX_UNSENT) {
      this.stats.droppedOut++;
      return;
    }
    const out = Buffer.allocUnsafe(4 + frame.length);
    out.writeUInt32BE(frame.length, 0);
    out.set(frame, 4);
    s.write(out);
    this.stats.framesOut++;
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
    // Frames still queued count only while the NIC can take them (a NIC with receive off must not hold time forever).
    return this.peer !== undefined || (this.inbound.length > 0 && this.frontend?.canReceive() === true);
  }

  /** Frames waiting for the NIC. */
  get queued(): number {
    return this.inbound.length;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.peer?.destroy();
    this.peer = undefined;
    this.server?.close();
    this.server = undefined;
    this.inbound.clear();
  }
}
