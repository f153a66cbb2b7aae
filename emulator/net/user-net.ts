/**
 * The built-in user-mode network (`--nic user`, QEMU's slirp): a NetBackend
 * that plays gateway, DHCP server and DNS forwarder for one guest on
 * 10.0.2.0/24, and NATs its TCP and UDP to host sockets through `HostNet`.
 *
 * Frames to the guest are queued (bounded) and handed to the NIC from `poll`,
 * never from inside `send` (which runs in MMIO dispatch). Replies that need no
 * host (ARP, DHCP, ICMP echo to the gateway) are queued at once, so without
 * host traffic what the guest sees depends only on guest time. Malformed
 * frames are dropped and counted by reason in `stats`; nothing here throws.
 */
import { arpWhoHas, ARP_REPLY, ARP_REQUEST, buildArp, parseArp } from './arp.ts';
import { answerDhcp, DHCP_CLIENT_PORT, DHCP_SERVER_PORT, parseDhcp } from './dhcp.ts';
import { buildDnsAnswer, DNS_PORT, parseDnsQuery, RCODE_NXDOMAIN, RCODE_OK, RCODE_SERVFAIL } from './dns.ts';
import {
  DNS_IP, ETHERTYPE_ARP, ETHERTYPE_IPV4, ETH_HEADER, ETH_MAX_FRAME, GATEWAY_IP, GATEWAY_MAC, GUEST_IP, inNetwork, ipToString,
  isServiceAddress, parseIp, readU16,
} from './ethernet.ts';
import type { HostNet, HostTcpEvents, HostTcpListener, HostTcpSocket, HostUdpSocket } from './host-net.ts';
import { buildEchoReply, buildUnreachable, isEchoRequest } from './icmp.ts';
import { parseIpv4, PROTO_ICMP, PROTO_TCP, PROTO_UDP, type Ipv4Packet } from './ipv4.ts';
import type { NetBackend, NetFrontend } from './net-backend.ts';
import { TcpEngine, type NetAttempt, type TcpLimits } from './tcp.ts';
import { parseTcp } from './tcp-segment.ts';
import { buildUdp, parseUdp } from './udp.ts';

/** `hostfwd=tcp:[HOSTADDR]:HOSTPORT-:GUESTPORT`. */
export interface HostForward {
  hostAddress: string;
  hostPort: number;
  guestPort: number;
}

export interface UserNetOptions {
  host: HostNet;
  hostfwd?: HostForward[];
  /** Only forwarded traffic: no outbound TCP/UDP/DNS (QEMU's restrict=on). */
  restrict?: boolean;
  limits?: Partial<TcpLimits> & { udpSockets?: number; queueFrames?: number };
  /** Reports listener failures (a forwarded port already in use). */
  onError?: (message: string) => void;
  /** A forward's listener is up (`port`: the bound port, useful with host port 0). */
  onListening?: (fwd: HostForward, port: number) => void;
}

const DEFAULT_QUEUE = 1024;
const MAX_ATTEMPTS = 256;
/** Guest time a UDP mapping lives without traffic; the first 2 s after a send count as waiting for the host. */
const UDP_IDLE_NS = 30_000_000_000;
const UDP_WAIT_NS = 2_000_000_000;

interface UdpMapping {
  socket: HostUdpSocket;
  guestPort: number;
  lastSendNs: number;
  /** Destinations the guest used, by host address: the address the guest sees replies from. */
  aliases: Map<string, number>;
}

export class UserNet implements NetBackend {
  private frontend: NetFrontend | undefined;
  private readonly host: HostNet;
  private readonly restrict: boolean;
  private readonly queueLimit: number;
  private readonly udpLimit: number;
  private readonly queue: Uint8Array[] = [];
  private guestMac: Uint8Array | undefined;
  private guestIp = GUEST_IP;
  private ipId = 0;
  private nowNs = 0;
  private closed = false;
  private pendingDns = 0;
  private readonly udp = new Map<number, UdpMapping>();
  private readonly listeners: HostTcpListener[] = [];
  readonly tcp: TcpEngine;
  /** Frames and drops by reason. */
  readonly stats: Record<string, number> = {};
  /** The guest's outbound attempts (first 256), for `boot --json`. */
  readonly attempts: NetAttempt[] = [];
  readonly forwards: readonly HostForward[];

  constructor(opts: UserNetOptions) {
    this.host = opts.host;
    this.restrict = opts.restrict ?? false;
    this.queueLimit = opts.limits?.queueFrames ?? DEFAULT_QUEUE;
    this.udpLimit = opts.limits?.udpSockets ?? 64;
    this.forwards = opts.hostfwd ?? [];
    const limits: TcpLimits = { maxConnections: opts.limits?.maxConnections ?? 64, bufferLimit: opts.limits?.bufferLimit ?? 256 * 1024 };
    this.tcp = new TcpEngine({
      host: this.host,
      restrict: this.restrict,
      limits,
      guestMac: () => this.guestMac ?? GATEWAY_MAC,
      nextIpId: () => (this.ipId = (this.ipId + 1) & 0xffff),
      now: () => this.nowNs,
      emit: (f) => this.emit(f),
      queueRoom: () => this.queueLimit - this.queue.length,
      record: (a) => this.record(a),
      count: (w) => this.count(w),
    });
    for (const fwd of this.forwards) {
      this.listeners.push(this.host.listenTcp(fwd.hostAddress, fwd.hostPort, {
        onAccept: (socket) => this.acceptForward(socket, fwd.guestPort),
        onError: (error) => opts.onError?.(`hostfwd tcp:${fwd.hostAddress}:${fwd.hostPort}-:${fwd.guestPort}: ${error}`),
        onListening: (port) => opts.onListening?.(fwd, port),
      }));
    }
  }

  attach(frontend: NetFrontend): void {
    this.frontend = frontend;
  }

  send(frame: Uint8Array): void {
    this.count('rx-frames');
    if (this.closed) return;
    if (frame.length < ETH_HEADER || frame.length > ETH_MAX_FRAME + 4) {
      this.count('drop-length');
      return;
    }
    // Learn the guest's MAC from its frames (unicast source only).
    if ((frame[6]! & 1) === 0) this.guestMac = frame.slice(6, 12);
    const type = readU16(frame, 12);
    if (type === ETHERTYPE_ARP) this.onArp(frame);
    else if (type === ETHERTYPE_IPV4) this.onIpv4(frame);
    else this.count('drop-ethertype');
    // Answers made right here (ARP, DHCP, ICMP, TCP handshakes) reach the
    // guest at once, not at the end of the CPU's slice (up to 1 M
    // instructions later, long enough for a DHCP client to send again).
    this.flush();
  }

  reset(): void {
    this.queue.length = 0;
    this.tcp.reset();
    for (const m of this.udp.values()) m.socket.close();
    this.udp.clear();
    this.guestMac = undefined;
    this.guestIp = GUEST_IP;
  }

  poll(nowNs: number): void {
    this.nowNs = nowNs;
    this.tcp.tick(nowNs);
    for (const [port, m] of this.udp) {
      if (nowNs - m.lastSendNs > UDP_IDLE_NS) {
        m.socket.close();
        this.udp.delete(port);
      }
    }
    this.flush();
    this.tcp.pumpAll();
    this.flush();
  }

  nextEventNs(): number {
    if (this.queue.length > 0) return this.nowNs + 100_000;
    let next = this.tcp.nextEventNs();
    for (const m of this.udp.values()) next = Math.min(next, m.lastSendNs + UDP_IDLE_NS + 1);
    return next;
  }

  waitingOnHost(): boolean {
    if (this.pendingDns > 0 || this.tcp.waitingOnHost()) return true;
    for (const m of this.udp.values()) if (this.nowNs - m.lastSendNs < UDP_WAIT_NS) return true;
    return false;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const l of this.listeners) l.close();
    this.listeners.length = 0;
    this.reset();
  }

  /**
   * Opens a TCP connection from the gateway into the guest's `guestPort` with
   * an in-process host end (boot checks: wait-port, http). The socket's
   * `resume` is called once the guest accepted, `destroy` when it refused or
   * reset. Returns undefined when the connection limit is reached.
   */
  connectToGuest(guestPort: number, socket: HostTcpSocket): HostTcpEvents | undefined {
    return this.tcp.openToGuest(this.guestIp, guestPort, socket, true);
  }

  private acceptForward(socket: HostTcpSocket, guestPort: number): HostTcpEvents {
    const events = this.closed ? undefined : this.tcp.openToGuest(this.guestIp, guestPort, socket, false);
    if (!this.guestMac) this.emit(arpWhoHas(this.guestIp));
    if (events) return events;
    socket.destroy();
    return { onConnect() {}, onData() {}, onEnd() {}, onDrain() {}, onClose() {} };
  }

  private onArp(frame: Uint8Array): void {
    const arp = parseArp(frame);
    if (!arp) {
      this.count('drop-arp');
      return;
    }
    if (arp.op === ARP_REQUEST && isServiceAddress(arp.targetIp) && arp.senderIp !== arp.targetIp) {
      this.emit(buildArp(ARP_REPLY, GATEWAY_MAC, arp.targetIp, arp.senderMac, arp.senderIp));
    }
    if (inNetwork(arp.senderIp) && !isServiceAddress(arp.senderIp)) this.guestIp = arp.senderIp;
  }

  private onIpv4(frame: Uint8Array): void {
    const ip = parseIpv4(frame);
    if (typeof ip === 'string') {
      this.count(`drop-ip-${ip}`);
      return;
    }
    if (inNetwork(ip.src) && !isServiceAddress(ip.src)) this.guestIp = ip.src;
    switch (ip.protocol) {
      case PROTO_ICMP: return this.onIcmp(frame, ip);
      case PROTO_UDP: return this.onUdp(frame, ip);
      case PROTO_TCP: {
        const seg = parseTcp(frame, ip);
        if (!seg) return this.count('drop-tcp');
        if (!inNetwork(ip.src)) return this.count('drop-tcp-source');
        return this.tcp.input(frame, ip, seg);
      }
      default: this.count('drop-ip-protocol');
    }
  }

  private onIcmp(frame: Uint8Array, ip: Ipv4Packet): void {
    if (!isEchoRequest(frame, ip)) return this.count('drop-icmp');
    if (isServiceAddress(ip.dst)) {
      this.emit(buildEchoReply(frame, ip, this.replyMac(frame), this.nextId()));
      return;
    }
    // No unprivileged ICMP on the host: pings past the gateway go unanswered.
    this.count('icmp-unforwarded');
    this.record({ proto: 'icmp', dst: ipToString(ip.dst), port: 0, result: 'unanswered' });
  }

  private onUdp(frame: Uint8Array, ip: Ipv4Packet): void {
    const udp = parseUdp(frame, ip);
    if (!udp) return this.count('drop-udp');
    const data = frame.subarray(udp.dataOffset, udp.dataOffset + udp.dataLength);
    if (udp.dstPort === DHCP_SERVER_PORT && udp.srcPort === DHCP_CLIENT_PORT && (ip.dst === 0xffffffff || ip.dst === GATEWAY_IP)) {
      const req = parseDhcp(data);
      if (!req) return this.count('drop-dhcp');
      const reply = answerDhcp(req);
      if (reply) this.emit(buildUdp(reply.dstMac, GATEWAY_IP, DHCP_SERVER_PORT, reply.dstIp, DHCP_CLIENT_PORT, reply.data, this.nextId()));
      return;
    }
    if (ip.dst === DNS_IP && udp.dstPort === DNS_PORT) return this.onDns(frame, ip, udp.srcPort, data);
    if (!inNetwork(ip.src)) return this.count('drop-udp-source');
    const dst = ipToString(ip.dst);
    let hostAddr: string | undefined;
    if (ip.dst === GATEWAY_IP) hostAddr = '127.0.0.1';
    else if (!inNetwork(ip.dst) && ip.dst !== 0xffffffff && (ip.dst >>> 28) !== 0xe) hostAddr = dst;
    if (hostAddr === undefined || udp.dstPort === 0) {
      if (!inNetwork(ip.dst) || ip.dst === 0xffffffff) return this.count('drop-udp-destination');
      this.emit(buildUnreachable(frame, ip, this.replyMac(frame), 3, this.nextId()));
      return;
    }
    if (this.restrict) {
      this.count('udp-blocked');
      this.record({ proto: 'udp', dst, port: udp.dstPort, result: 'blocked' });
      return;
    }
    let m = this.udp.get(udp.srcPort);
    if (!m) {
      if (this.udp.size >= this.udpLimit) return this.count('udp-limit');
      const guestPort = udp.srcPort;
      const mapping: UdpMapping = {
        guestPort, lastSendNs: this.nowNs, aliases: new Map(),
        socket: this.host.openUdp({
          onMessage: (bytes, address, port) => this.udpFromHost(mapping, bytes, address, port),
          onError: () => this.count('udp-host-error'),
        }),
      };
      m = mapping;
      this.udp.set(guestPort, m);
    }
    if (hostAddr === '127.0.0.1') m.aliases.set(hostAddr, GATEWAY_IP);
    m.lastSendNs = this.nowNs;
    this.record({ proto: 'udp', dst, port: udp.dstPort, result: 'sent' });
    m.socket.send(data.slice(), hostAddr, udp.dstPort);
  }

  private udpFromHost(m: UdpMapping, bytes: Uint8Array, address: string, port: number): void {
    if (this.closed || this.udp.get(m.guestPort) !== m || bytes.length > ETH_MAX_FRAME - 42) return;
    const src = m.aliases.get(address) ?? parseIp(address);
    if (src === undefined) return;
    this.emit(buildUdp(this.guestMac ?? GATEWAY_MAC, src, port, this.guestIp, m.guestPort, bytes, this.nextId()));
  }

  private onDns(frame: Uint8Array, ip: Ipv4Packet, srcPort: number, data: Uint8Array): void {
    const q = parseDnsQuery(data);
    if (!q) return this.count('drop-dns');
    const mac = this.replyMac(frame);
    const answer = (rcode: number, addrs: number[]): void => {
      this.emit(buildUdp(mac, DNS_IP, DNS_PORT, ip.src, srcPort, buildDnsAnswer(q, rcode, addrs), this.nextId()));
    };
    if (this.restrict) {
      this.record({ proto: 'dns', dst: q.name, port: DNS_PORT, result: 'blocked' });
      answer(RCODE_SERVFAIL, []);
      return;
    }
    if (q.qtype !== 1) {
      answer(RCODE_OK, []);
      return;
    }
    this.pendingDns++;
    this.host.resolve(q.name, (error, addresses) => {
      this.pendingDns--;
      if (this.closed) return;
      const ips = addresses.map(parseIp).filter((a): a is number => a !== undefined);
      this.record({ proto: 'dns', dst: q.name, port: DNS_PORT, result: error ? 'unanswered' : 'answered' });
      answer(error ? (error === 'notfound' ? RCODE_NXDOMAIN : RCODE_SERVFAIL) : RCODE_OK, ips);
    });
  }

  private replyMac(frame: Uint8Array): Uint8Array {
    return frame.slice(6, 12);
  }

  private nextId(): number {
    this.ipId = (this.ipId + 1) & 0xffff;
    return this.ipId;
  }

  private emit(frame: Uint8Array): boolean {
    if (this.closed) return false;
    if (this.queue.length >= this.queueLimit) {
      this.count('drop-queue-full');
      return false;
    }
    this.queue.push(frame);
    this.count('tx-frames');
    return true;
  }

  private flush(): void {
    const f = this.frontend;
    if (!f) return;
    let i = 0;
    while (i < this.queue.length && f.canReceive()) {
      if (!f.receive(this.queue[i]!)) this.count('drop-frontend');
      i++;
    }
    if (i > 0) this.queue.splice(0, i);
  }

  private record(a: Omit<NetAttempt, 'atNs'>): void {
    if (this.attempts.length < MAX_ATTEMPTS) this.attempts.push({ atNs: this.nowNs, ...a });
  }

  private count(what: string): void {
    this.stats[what] = (this.stats[what] ?? 0) + 1;
  }
}

/** Parses `hostfwd` values: `tcp:[HOSTADDR]:HOSTPORT-:GUESTPORT` (HOSTADDR defaults to 127.0.0.1). */
export function parseHostForward(text: string): HostForward | string {
  const m = /^(?:tcp:)?([0-9.]*):(\d{1,5})-(?:10\.0\.2\.15)?:(\d{1,5})$/.exec(text);
  if (!m) return `"${text}" is not tcp:[HOSTADDR]:HOSTPORT-:GUESTPORT`;
  const hostAddress = m[1] === '' ? '127.0.0.1' : m[1]!;
  if (parseIp(hostAddress) === undefined) return `"${m[1]}" is not an IPv4 address`;
  const hostPort = Number(m[2]);
  const guestPort = Number(m[3]);
  if (hostPort > 65535 || guestPort < 1 || guestPort > 65535) return `ports must be 1-65535 (host port 0 picks a free one)`;
  return { hostAddress, hostPort, guestPort };
}
