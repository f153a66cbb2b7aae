/**
 * The TCP engine of the user network: it terminates the guest's TCP
 * connections and splices each one to a host socket (QEMU's slirp does the
 * same). Outbound: a guest SYN makes a host connection; the SYN-ACK goes back
 * once the host connected (a RST when it failed). Inbound (hostfwd): a host
 * client accepted on a forwarded port makes us open a connection into the
 * guest; its data waits (the host socket paused) until the guest accepted.
 *
 * Flow control both ways: we send no more than the guest's window, and pause
 * host reads while a connection holds `bufferLimit` bytes for the guest; our
 * window to the guest is what the host socket can still take. Retransmission
 * is go-back-N on a guest-time timer with exponential backoff. Window
 * scaling is accepted (the guest may scale its window; ours stays below
 * 64 KiB, shift 0); SACK and timestamps are not offered.
 */
import { ByteQueue } from './byte-queue.ts';
import { GATEWAY_IP, inNetwork, ipToString, isServiceAddress } from './ethernet.ts';
import type { HostNet, HostTcpEvents, HostTcpSocket } from './host-net.ts';
import type { Ipv4Packet } from './ipv4.ts';
import { ACK, FIN, PSH, RST, SYN, buildTcp, seqAdd, seqDiff, seqLe, seqLt, type TcpSegment } from './tcp-segment.ts';

export interface TcpLimits {
  /** Connections at once per guest (default 64). */
  maxConnections: number;
  /** Guest-bound bytes held per connection before host reads pause (default 256 KiB). */
  bufferLimit: number;
}

export interface NetAttempt {
  /** Guest time of the attempt, ns. */
  atNs: number;
  proto: 'tcp' | 'udp' | 'dns' | 'icmp';
  /** Destination as the guest addressed it. */
  dst: string;
  port: number;
  result: 'connected' | 'refused' | 'blocked' | 'error' | 'sent' | 'answered' | 'unanswered';
}

/** What the engine needs of the rest of the stack. */
export interface TcpContext {
  readonly host: HostNet;
  readonly restrict: boolean;
  readonly limits: TcpLimits;
  guestMac(): Uint8Array;
  nextIpId(): number;
  /** Guest time of the latest poll. */
  now(): number;
  /** Queues a frame to the guest; false when the queue is full (the segment is lost, TCP retransmits). */
  emit(frame: Uint8Array): boolean;
  /** Room in the guest-bound frame queue. */
  queueRoom(): number;
  record(attempt: Omit<NetAttempt, 'atNs'>): void;
  count(what: string): void;
}

const OUR_MSS = 1460;
const RTO_INITIAL_NS = 200_000_000;
const RTO_MAX_NS = 10_000_000_000;
const MAX_RETRIES = 10;
const LINGER_NS = 2_000_000_000;
const MAX_WINDOW = 65535;

type State = 'connecting' | 'syn-received' | 'syn-sent' | 'established' | 'closed';

export class TcpConnection {
  state: State;
  readonly guestIp: number;
  readonly guestPort: number;
  /** The peer's address and port as the guest sees them. */
  readonly remoteIp: number;
  readonly remotePort: number;
  /** Not a host socket: a boot check's probe (does not make the runner wait). */
  readonly internal: boolean;
  host: HostTcpSocket | undefined;
  hostPaused = false;
  hostEnded = false;

  readonly iss: number;
  sndUna: number;
  /** Bytes of `sndBuf` sent at least once beyond `sndUna` (reset to 0 to go back). */
  sent = 0;
  readonly sndBuf = new ByteQueue();
  finSent = false;
  finAcked = false;
  synAcked = false;
  guestWindow = 0;
  /** The guest's window shift (RFC 7323), when both SYNs carried the option; 0 otherwise. */
  guestShift = 0;
  /** The guest offered window scaling in its SYN (outbound connections). */
  guestOfferedScale = false;
  mss = 536;

  rcvNxt = 0;
  guestFin = false;
  /** The window we last advertised was zero (send an update when it opens). */
  advertisedZero = false;

  rtoNs = RTO_INITIAL_NS;
  retries = 0;
  rtxAtNs = Number.POSITIVE_INFINITY;
  lingerUntilNs = Number.POSITIVE_INFINITY;

  constructor(state: State, guestIp: number, guestPort: number, remoteIp: number, remotePort: number, iss: number, internal: boolean) {
    this.state = state;
    this.guestIp = guestIp;
    this.guestPort = guestPort;
    this.remoteIp = remoteIp;
    this.remotePort = remotePort;
    this.iss = iss;
    this.sndUna = iss;
    this.internal = internal;
  }
}

const key = (guestPort: number, remoteIp: number, remotePort: number): string => `${guestPort}/${remoteIp}/${remotePort}`;

export class TcpEngine {
  private readonly ctx: TcpContext;
  private readonly conns = new Map<string, TcpConnection>();
  /** Deterministic initial sequence numbers and forward source ports. */
  private issCounter = 0x10000;
  private nextForwardPort = 49152;

  constructor(ctx: TcpContext) {
    this.ctx = ctx;
  }

  get connectionCount(): number {
    let n = 0;
    for (const c of this.conns.values()) if (c.state !== 'closed') n++;
    return n;
  }

  /** Is any connection spliced to a real host socket? */
  waitingOnHost(): boolean {
    for (const c of this.conns.values()) if (!c.internal && c.state !== 'closed' && c.host) return true;
    return false;
  }

  private newIss(): number {
    this.issCounter = (this.issCounter + 0x1f3d5b7) >>> 0;
    return this.issCounter;
  }

  /** A segment from the guest. */
  input(frame: Uint8Array, ip: Ipv4Packet, seg: TcpSegment): void {
    const c = this.conns.get(key(seg.srcPort, ip.dst, seg.dstPort));
    if (!c) {
      this.inputNoConnection(ip, seg);
      return;
    }
    if (c.state === 'closed') {
      // Lingering after both FINs: re-acknowledge retransmitted FINs.
      if ((seg.flags & RST) === 0 && (seg.flags & FIN) !== 0) this.sendFlags(c, ACK);
      return;
    }
    if ((seg.flags & RST) !== 0) {
      // Accept a reset that falls in our receive window (RFC 5961's simple check); in syn-sent, one that acks our SYN.
      const ok = c.state === 'syn-sent' ? (seg.flags & ACK) !== 0 && seg.ack === seqAdd(c.iss, 1) : seqLe(c.rcvNxt, seg.seq) && seqLt(seg.seq, seqAdd(c.rcvNxt, MAX_WINDOW + 1));
      if (ok) this.abort(c, false, 'guest reset');
      return;
    }
    if (c.state === 'syn-sent') {
      if ((seg.flags & (SYN | ACK)) === (SYN | ACK) && seg.ack === seqAdd(c.iss, 1)) {
        c.rcvNxt = seqAdd(seg.seq, 1);
        c.sndUna = seg.ack;
        c.synAcked = true;
        c.mss = Math.min(OUR_MSS, seg.mss || 536);
        c.guestShift = seg.wscale >= 0 ? seg.wscale : 0;
        c.guestWindow = seg.window; // a SYN's window is never scaled
        c.state = 'established';
        c.retries = 0;
        c.rtoNs = RTO_INITIAL_NS;
        c.rtxAtNs = Number.POSITIVE_INFINITY;
        this.sendFlags(c, ACK);
        this.resumeHost(c);
        this.pump(c);
      }
      return;
    }
    if ((seg.flags & SYN) !== 0) {
      // A retransmitted SYN: repeat our SYN-ACK once it exists.
      if (c.state === 'syn-received' && seg.seq === seqAdd(c.rcvNxt, -1)) this.sendSynAck(c);
      return;
    }
    // Until the host connected, the guest has nothing to acknowledge or send (a retransmitted SYN is handled above).
    if ((seg.flags & ACK) === 0 || c.state === 'connecting') return;
    this.processAck(c, seg);
    // A handshake not completed by this segment (a wrong ACK): no data is taken.
    if ((c.state as State) !== 'established') return;
    this.processData(c, frame, seg);
    this.maybeFinish(c);
    if ((c.state as State) !== 'closed') this.pump(c);
  }

  private inputNoConnection(ip: Ipv4Packet, seg: TcpSegment): void {
    if ((seg.flags & RST) !== 0) return;
    if ((seg.flags & (SYN | ACK)) !== SYN) {
      this.sendReset(ip, seg);
      return;
    }
    const dst = ipToString(ip.dst);
    if (this.ctx.restrict) {
      this.ctx.record({ proto: 'tcp', dst, port: seg.dstPort, result: 'blocked' });
      this.ctx.count('tcp-blocked');
      this.sendReset(ip, seg);
      return;
    }
    // 10.0.2.2 is the host's loopback (QEMU's rule); other addresses on the guest network have nobody behind them.
    let hostAddr: string | undefined;
    if (ip.dst === GATEWAY_IP) hostAddr = '127.0.0.1';
    else if (!inNetwork(ip.dst) && !isServiceAddress(ip.dst) && ip.dst !== 0xffffffff && (ip.dst >>> 28) !== 0xe) hostAddr = dst;
    if (hostAddr === undefined || seg.dstPort === 0) {
      this.ctx.record({ proto: 'tcp', dst, port: seg.dstPort, result: 'refused' });
      this.sendReset(ip, seg);
      return;
    }
    if (this.connectionCount >= this.ctx.limits.maxConnections) {
      this.ctx.count('tcp-limit');
      this.ctx.record({ proto: 'tcp', dst, port: seg.dstPort, result: 'refused' });
      this.sendReset(ip, seg);
      return;
    }
    const c = new TcpConnection('connecting', ip.src, seg.srcPort, ip.dst, seg.dstPort, this.newIss(), false);
    c.rcvNxt = seqAdd(seg.seq, 1);
    c.mss = Math.min(OUR_MSS, seg.mss || 536);
    c.guestWindow = seg.window;
    c.guestOfferedScale = seg.wscale >= 0;
    c.guestShift = seg.wscale >= 0 ? seg.wscale : 0;
    this.conns.set(key(c.guestPort, c.remoteIp, c.remotePort), c);
    const events: HostTcpEvents = {
      onConnect: () => {
        if ((c.state as State) !== 'connecting') return;
        this.ctx.record({ proto: 'tcp', dst, port: seg.dstPort, result: 'connected' });
        c.state = 'syn-received';
        this.sendSynAck(c);
      },
      ...this.dataEvents(c),
      onClose: (error) => {
        if ((c.state as State) === 'connecting') {
          this.ctx.record({ proto: 'tcp', dst, port: seg.dstPort, result: error ? 'refused' : 'error' });
          this.abort(c, true, error);
          return;
        }
        this.hostClosed(c, error);
      },
    };
    c.host = this.ctx.host.connectTcp(hostAddr, seg.dstPort, events);
  }

  /** The host events shared by outbound and forwarded connections. */
  private dataEvents(c: TcpConnection): Pick<HostTcpEvents, 'onData' | 'onEnd' | 'onDrain'> {
    return {
      onData: (bytes) => {
        if (c.state === 'closed' || c.hostEnded) return;
        c.sndBuf.push(bytes);
        if (c.sndBuf.length >= this.ctx.limits.bufferLimit && !c.hostPaused) {
          c.hostPaused = true;
          c.host?.pause();
        }
        this.pump(c);
      },
      onEnd: () => {
        c.hostEnded = true;
        this.pump(c);
      },
      onDrain: () => {
        if (c.advertisedZero && c.state === 'established') this.sendFlags(c, ACK);
      },
    };
  }

  private hostClosed(c: TcpConnection, error: string | undefined): void {
    c.host = undefined;
    if (c.state === 'closed') return;
    if (error) this.abort(c, true, error);
    else {
      c.hostEnded = true;
      this.pump(c);
      this.maybeFinish(c);
    }
  }

  /**
   * A host client connected to a forwarded port (or a boot check probes one):
   * opens a connection into the guest's `guestPort`. Returns the events for
   * the host socket, or undefined when the connection limit refuses it.
   */
  openToGuest(guestIp: number, guestPort: number, socket: HostTcpSocket, internal: boolean): HostTcpEvents | undefined {
    if (this.connectionCount >= this.ctx.limits.maxConnections) {
      this.ctx.count('tcp-limit');
      return undefined;
    }
    let port = this.nextForwardPort;
    for (let i = 0; i < 16384 && this.conns.has(key(guestPort, GATEWAY_IP, port)); i++) port = port >= 65535 ? 49152 : port + 1;
    this.nextForwardPort = port >= 65535 ? 49152 : port + 1;
    const c = new TcpConnection('syn-sent', guestIp, guestPort, GATEWAY_IP, port, this.newIss(), internal);
    c.host = socket;
    c.hostPaused = true;
    socket.pause();
    this.conns.set(key(guestPort, GATEWAY_IP, port), c);
    this.sendSyn(c);
    return {
      onConnect: () => {},
      ...this.dataEvents(c),
      onClose: (error) => this.hostClosed(c, error),
    };
  }

  private processAck(c: TcpConnection, seg: TcpSegment): void {
    if (c.state === 'syn-received') {
      if (seg.ack !== seqAdd(c.iss, 1)) {
        return;
      }
      c.sndUna = seg.ack;
      c.synAcked = true;
      c.state = 'established';
      c.retries = 0;
      c.rtoNs = RTO_INITIAL_NS;
      c.rtxAtNs = Number.POSITIVE_INFINITY;
      c.guestWindow = seg.window << c.guestShift;
      return;
    }
    const inFlight = c.sent + (c.finSent ? 1 : 0);
    const acked = seqDiff(seg.ack, c.sndUna);
    if (acked > 0 && acked <= inFlight) {
      const dataAcked = Math.min(acked, c.sent);
      c.sndBuf.consume(dataAcked);
      c.sent -= dataAcked;
      c.sndUna = seg.ack;
      if (acked > dataAcked) c.finAcked = true;
      c.retries = 0;
      c.rtoNs = RTO_INITIAL_NS;
      c.rtxAtNs = c.sent > 0 || (c.finSent && !c.finAcked) ? this.ctx.now() + c.rtoNs : Number.POSITIVE_INFINITY;
      if (c.hostPaused && c.host && c.state === 'established' && c.sndBuf.length < this.ctx.limits.bufferLimit / 2) this.resumeHost(c);
    }
    if (acked >= 0) {
      const wasClosed = c.guestWindow === 0;
      c.guestWindow = seg.window << c.guestShift;
      // The window reopened: whatever went out as probes is resent from the first unacknowledged byte.
      if (wasClosed && c.guestWindow > 0 && c.state === 'established') {
        c.sent = 0;
        if (!c.finAcked) c.finSent = false;
      }
      // An answer to a window probe: the guest is alive with a closed window; keep probing, never give up.
      if (c.guestWindow === 0) c.retries = 0;
    }
  }

  private processData(c: TcpConnection, frame: Uint8Array, seg: TcpSegment): void {
    let len = seg.dataLength;
    let off = seg.dataOffset;
    const fin = (seg.flags & FIN) !== 0;
    if (len === 0 && !fin) return;
    if (c.guestFin) {
      this.sendFlags(c, ACK);
      return;
    }
    const skip = seqDiff(c.rcvNxt, seg.seq);
    if (skip < 0 || skip > len) {
      // Out of order (a gap) or entirely old: acknowledge what we have.
      this.sendFlags(c, ACK);
      return;
    }
    off += skip;
    len -= skip;
    const room = this.receiveWindow(c);
    const take = Math.min(len, room);
    if (take > 0) {
      if (c.host) c.host.write(frame.subarray(off, off + take));
      c.rcvNxt = seqAdd(c.rcvNxt, take);
    }
    if (fin && take === len) {
      c.rcvNxt = seqAdd(c.rcvNxt, 1);
      c.guestFin = true;
      c.host?.end();
    }
    this.sendFlags(c, ACK);
  }

  /** What the host side can still take (our window to the guest). */
  private receiveWindow(c: TcpConnection): number {
    const buffered = c.host ? c.host.bufferedBytes : 0;
    return Math.max(0, Math.min(MAX_WINDOW, this.ctx.limits.bufferLimit - buffered));
  }

  private resumeHost(c: TcpConnection): void {
    if (c.hostPaused && c.host) {
      c.hostPaused = false;
      c.host.resume();
    }
  }

  /** Sends what the guest's window allows, then a FIN once the host ended and all data is out. */
  pump(c: TcpConnection): void {
    if (c.state !== 'established') return;
    const window = c.guestWindow;
    while (c.sent < c.sndBuf.length && c.sent < window && this.ctx.queueRoom() > 0) {
      const n = Math.min(c.mss, c.sndBuf.length - c.sent, window - c.sent);
      const offset = c.sent;
      const frame = buildTcp(this.out(c, seqAdd(c.sndUna, offset), ACK | PSH), n, (f, at) => c.sndBuf.copyOut(offset, n, f, at));
      if (!this.ctx.emit(frame)) break;
      c.sent += n;
    }
    if (c.hostEnded && !c.finSent && c.sent === c.sndBuf.length && this.ctx.queueRoom() > 0) {
      c.finSent = this.ctx.emit(buildTcp(this.out(c, seqAdd(c.sndUna, c.sent), ACK | FIN), 0));
    }
    const outstanding = c.sent > 0 || (c.finSent && !c.finAcked) || (c.sndBuf.length > 0 && window === 0);
    if (outstanding && c.rtxAtNs === Number.POSITIVE_INFINITY) c.rtxAtNs = this.ctx.now() + c.rtoNs;
    if (!outstanding) c.rtxAtNs = Number.POSITIVE_INFINITY;
    this.maybeFinish(c);
  }

  /** Both directions closed and acknowledged: release the host side, linger to re-ack. */
  private maybeFinish(c: TcpConnection): void {
    if (c.state === 'closed' || !c.guestFin || !c.finAcked) return;
    c.state = 'closed';
    c.rtxAtNs = Number.POSITIVE_INFINITY;
    c.lingerUntilNs = this.ctx.now() + LINGER_NS;
    c.host?.destroy();
    c.host = undefined;
  }

  /** Drops a connection: a RST to the guest when `tellGuest`, the host socket destroyed. */
  private abort(c: TcpConnection, tellGuest: boolean, reason: string | undefined): void {
    if (tellGuest) {
      if (c.state === 'connecting') this.ctx.emit(buildTcp(this.out(c, 0, RST | ACK), 0));
      else this.ctx.emit(buildTcp(this.out(c, seqAdd(c.sndUna, c.sent), RST | ACK), 0));
    }
    if (reason !== undefined) this.ctx.count('tcp-aborted');
    const host = c.host;
    c.host = undefined;
    c.state = 'closed';
    this.conns.delete(key(c.guestPort, c.remoteIp, c.remotePort));
    host?.destroy();
  }

  /** Guest-time timers: retransmissions and lingering closed connections. */
  tick(nowNs: number): void {
    for (const c of this.conns.values()) {
      if (c.state === 'closed') {
        if (nowNs >= c.lingerUntilNs) this.conns.delete(key(c.guestPort, c.remoteIp, c.remotePort));
        continue;
      }
      if (nowNs < c.rtxAtNs) continue;
      if (++c.retries > MAX_RETRIES) {
        this.abort(c, true, 'retransmission limit');
        continue;
      }
      c.rtoNs = Math.min(RTO_MAX_NS, c.rtoNs * 2);
      c.rtxAtNs = nowNs + c.rtoNs;
      if (c.state === 'syn-sent') this.sendSyn(c);
      else if (c.state === 'syn-received') this.sendSynAck(c);
      else if (c.state === 'established') {
        // Go back to the first unacknowledged byte; a closed window gets a one-byte probe.
        c.sent = 0;
        c.finSent = false;
        const saved = c.guestWindow;
        if (saved === 0) c.guestWindow = 1;
        c.rtxAtNs = Number.POSITIVE_INFINITY;
        this.pump(c);
        c.guestWindow = saved;
        if (c.rtxAtNs === Number.POSITIVE_INFINITY && c.retries > 0) c.rtxAtNs = nowNs + c.rtoNs;
      }
    }
  }

  /** Pumps every connection with data waiting (after the frame queue drained). */
  pumpAll(): void {
    for (const c of this.conns.values()) if (c.state === 'established' && (c.sent < c.sndBuf.length || (c.hostEnded && !c.finSent))) this.pump(c);
  }

  nextEventNs(): number {
    let next = Number.POSITIVE_INFINITY;
    for (const c of this.conns.values()) next = Math.min(next, c.state === 'closed' ? c.lingerUntilNs : c.rtxAtNs);
    return next;
  }

  /** Guest reboot: forget every connection (host sockets closed). */
  reset(): void {
    for (const c of [...this.conns.values()]) {
      c.host?.destroy();
      c.host = undefined;
    }
    this.conns.clear();
  }

  private out(c: TcpConnection, seq: number, flags: number): Parameters<typeof buildTcp>[0] {
    const window = this.receiveWindow(c);
    c.advertisedZero = window === 0;
    return {
      dstMac: this.ctx.guestMac(), src: c.remoteIp, srcPort: c.remotePort, dst: c.guestIp, dstPort: c.guestPort,
      seq, ack: c.rcvNxt, flags, window, id: this.ctx.nextIpId(),
    };
  }

  private sendFlags(c: TcpConnection, flags: number): void {
    const seq = c.finSent && !c.finAcked ? seqAdd(c.sndUna, c.sent + 1) : seqAdd(c.sndUna, c.sent);
    this.ctx.emit(buildTcp(this.out(c, seq, flags), 0));
  }

  private sendSyn(c: TcpConnection): void {
    this.ctx.emit(buildTcp({ ...this.out(c, c.iss, SYN), mss: OUR_MSS, offerWscale: true }, 0));
    if (c.rtxAtNs === Number.POSITIVE_INFINITY) c.rtxAtNs = this.ctx.now() + c.rtoNs;
  }

  private sendSynAck(c: TcpConnection): void {
    this.ctx.emit(buildTcp({ ...this.out(c, c.iss, SYN | ACK), mss: OUR_MSS, offerWscale: c.guestOfferedScale }, 0));
    if (c.rtxAtNs === Number.POSITIVE_INFINITY) c.rtxAtNs = this.ctx.now() + c.rtoNs;
  }

  /** A RST for a segment that has no connection (RFC 9293 reset generation). */
  private sendReset(ip: Ipv4Packet, seg: TcpSegment): void {
    const hasAck = (seg.flags & ACK) !== 0;
    const segLen = seg.dataLength + ((seg.flags & SYN) !== 0 ? 1 : 0) + ((seg.flags & FIN) !== 0 ? 1 : 0);
    this.ctx.emit(buildTcp({
      dstMac: this.ctx.guestMac(), src: ip.dst, srcPort: seg.dstPort, dst: ip.src, dstPort: seg.srcPort,
      seq: hasAck ? seg.ack : 0, ack: seqAdd(seg.seq, segLen), flags: hasAck ? RST : RST | ACK, window: 0, id: this.ctx.nextIpId(),
    }, 0));
  }
}
