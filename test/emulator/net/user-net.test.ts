import { createServer, connect, type Server } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { UserNet, parseHostForward } from '../../../emulator/net/user-net.ts';
import { NodeHostNet } from '../../../emulator/host/net/user-host.ts';
import type { HostNet } from '../../../emulator/net/host-net.ts';
import { BCAST, CollectingFrontend, F, GUEST_MAC, GW_MAC, eth, ip, ipv4, tcp, udp, type Decoded } from './guest-frames.ts';

const GUEST = ip('10.0.2.15');
const GW = ip('10.0.2.2');

/** A HostNet that refuses everything (frame-level tests must not touch the host). */
const noHost: HostNet = {
  connectTcp: () => { throw new Error('no host in this test'); },
  listenTcp: () => ({ close() {} }),
  openUdp: () => { throw new Error('no host in this test'); },
  resolve: () => { throw new Error('no host in this test'); },
};

function setup(host: HostNet = noHost, opts: Partial<ConstructorParameters<typeof UserNet>[0]> = {}) {
  const net = new UserNet({ host, ...opts });
  const nic = new CollectingFrontend();
  net.attach(nic);
  let now = 0;
  const step = (ns = 1_000_000): Decoded[] => {
    now += ns;
    net.poll(now);
    return nic.take();
  };
  return { net, nic, step, send: (f: Uint8Array) => net.send(f) };
}

function arpRequest(senderIp: number[], targetIp: number[]): Uint8Array {
  return eth(BCAST, GUEST_MAC, 0x0806, [0, 1, 8, 0, 6, 4, 0, 1, ...GUEST_MAC, ...senderIp, 0, 0, 0, 0, 0, 0, ...targetIp]);
}

function dhcp(type: number, xid: number, extra: number[] = []): Uint8Array {
  const bootp = new Array(236).fill(0);
  bootp[0] = 1; bootp[1] = 1; bootp[2] = 6;
  bootp[4] = xid >>> 24; bootp[5] = (xid >> 16) & 0xff; bootp[6] = (xid >> 8) & 0xff; bootp[7] = xid & 0xff;
  bootp.splice(28, 6, ...GUEST_MAC);
  const opts = [0x63, 0x82, 0x53, 0x63, 53, 1, type, ...extra, 255];
  return eth(BCAST, GUEST_MAC, 0x0800, udp([0, 0, 0, 0], 68, [255, 255, 255, 255], 67, [...bootp, ...opts]));
}

function dhcpOptions(data: Uint8Array): Map<number, number[]> {
  const m = new Map<number, number[]>();
  let i = 240;
  while (i < data.length && data[i] !== 255) {
    if (data[i] === 0) { i++; continue; }
    m.set(data[i]!, [...data.subarray(i + 2, i + 2 + data[i + 1]!)]);
    i += 2 + data[i + 1]!;
  }
  return m;
}

describe('user network: frames', () => {
  it('answers ARP for the gateway and the DNS address, not for others', () => {
    const { send, step } = setup();
    send(arpRequest(GUEST, GW));
    send(arpRequest(GUEST, ip('10.0.2.3')));
    send(arpRequest(GUEST, ip('10.0.2.77')));
    const out = step();
    expect(out).toHaveLength(2);
    for (const [i, target] of [[0, '10.0.2.2'], [1, '10.0.2.3']] as const) {
      const f = out[i]!.frame;
      expect(out[i]!.type).toBe(0x0806);
      expect([...f.subarray(0, 6)]).toEqual(GUEST_MAC);
      expect(f[21]).toBe(2); // reply
      expect([...f.subarray(22, 28)]).toEqual(GW_MAC);
      expect([...f.subarray(28, 32)].join('.')).toBe(target);
      expect([...f.subarray(32, 38)]).toEqual(GUEST_MAC);
      expect([...f.subarray(38, 42)]).toEqual(GUEST);
    }
  });

  it('leases 10.0.2.15: DISCOVER -> OFFER, REQUEST -> ACK, a foreign address -> NAK', () => {
    const { send, step } = setup();
    send(dhcp(1, 0x1234abcd));
    const [offer] = step();
    expect(offer!.udp).toMatchObject({ sport: 67, dport: 68 });
    expect(offer!.ip!.src).toBe('10.0.2.2');
    const od = offer!.udp!.data;
    expect(od[0]).toBe(2);
    expect([...od.subarray(4, 8)]).toEqual([0x12, 0x34, 0xab, 0xcd]);
    expect([...od.subarray(16, 20)].join('.')).toBe('10.0.2.15');
    const o = dhcpOptions(od);
    expect(o.get(53)).toEqual([2]);
    expect(o.get(1)).toEqual([255, 255, 255, 0]);
    expect(o.get(3)).toEqual(GW);
    expect(o.get(6)).toEqual(ip('10.0.2.3'));
    expect(o.get(54)).toEqual(GW);
    expect(o.get(51)).toEqual([0, 1, 0x51, 0x80]); // 86400 s

    send(dhcp(3, 0x1234abcd, [50, 4, ...GUEST, 54, 4, ...GW]));
    const [ack] = step();
    expect(dhcpOptions(ack!.udp!.data).get(53)).toEqual([5]);
    expect([...ack!.udp!.data.subarray(16, 20)].join('.')).toBe('10.0.2.15');

    send(dhcp(3, 7, [50, 4, 10, 0, 2, 99]));
    const [nak] = step();
    expect(dhcpOptions(nak!.udp!.data).get(53)).toEqual([6]);
  });

  it('answers ping to the gateway with the same id, sequence and data', () => {
    const { send, step } = setup();
    const icmp = [8, 0, 0, 0, 0x12, 0x34, 0, 7, ...Array.from({ length: 56 }, (_, i) => i)];
    let s = 0;
    for (let i = 0; i < icmp.length; i += 2) s += (icmp[i]! << 8) | icmp[i + 1]!;
    while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
    icmp[2] = (~s >> 8) & 0xff;
    icmp[3] = ~s & 0xff;
    send(eth(GW_MAC, GUEST_MAC, 0x0800, ipv4(GUEST, GW, 1, icmp)));
    send(eth(GW_MAC, GUEST_MAC, 0x0800, ipv4(GUEST, ip('192.0.2.1'), 1, icmp)));
    const out = step();
    expect(out).toHaveLength(1);
    expect(out[0]!.icmp!.type).toBe(0);
    expect([...out[0]!.icmp!.body]).toEqual(icmp.slice(4));
    expect(out[0]!.ip).toMatchObject({ src: '10.0.2.2', dst: '10.0.2.15' });
  });

  it('drops and counts fragments, bad checksums and short frames', () => {
    const { send, step, net } = setup();
    send(eth(GW_MAC, GUEST_MAC, 0x0800, ipv4(GUEST, GW, 17, [0, 1, 0, 2, 0, 8, 0, 0], { flags: 0x2000 })));
    const bad = eth(GW_MAC, GUEST_MAC, 0x0800, ipv4(GUEST, GW, 17, [0, 1, 0, 2, 0, 8, 0, 0]));
    bad[24]! ^= 0xff;
    send(bad);
    send(new Uint8Array(10));
    send(eth(GW_MAC, GUEST_MAC, 0x0800, [0x45, 0, 0, 200]));
    expect(step()).toHaveLength(0);
    expect(net.stats).toMatchObject({ 'drop-ip-fragment': 1, 'drop-ip-checksum': 1, 'drop-length': 1, 'drop-ip-short': 1 });
  });

  it('forwards DNS A queries to the host resolver', () => {
    const asked: string[] = [];
    const host: HostNet = { ...noHost, resolve: (name, done) => { asked.push(name); done(undefined, ['192.0.2.44']); } };
    const { send, step, net } = setup(host);
    const q = [0xbe, 0xef, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 7, ...Buffer.from('example'), 3, ...Buffer.from('com'), 0, 0, 1, 0, 1];
    send(eth(GW_MAC, GUEST_MAC, 0x0800, udp(GUEST, 40000, ip('10.0.2.3'), 53, q)));
    const [a] = step();
    expect(asked).toEqual(['example.com']);
    const d = a!.udp!.data;
    expect([d[0], d[1], d[3] & 0xf, d[7]]).toEqual([0xbe, 0xef, 0, 1]);
    expect([...d.subarray(d.length - 4)]).toEqual([192, 0, 2, 44]);
    expect(net.attempts).toEqual([{ atNs: 0, proto: 'dns', dst: 'example.com', port: 53, result: 'answered' }]);
  });

  it('restrict=on refuses outbound TCP with a RST and records the attempt', () => {
    const { send, step, net } = setup(noHost, { restrict: true });
    send(eth(GW_MAC, GUEST_MAC, 0x0800, tcp(GUEST, ip('192.0.2.9'), { sport: 5000, dport: 80, seq: 100, ack: 0, flags: F.SYN })));
    const [rst] = step();
    expect(rst!.tcp!.flags & F.RST).toBeTruthy();
    expect(rst!.tcp!.ack).toBe(101);
    expect(net.attempts[0]).toMatchObject({ proto: 'tcp', dst: '192.0.2.9', port: 80, result: 'blocked' });
  });

  it('parses hostfwd specs', () => {
    expect(parseHostForward('tcp::8080-:80')).toEqual({ hostAddress: '127.0.0.1', hostPort: 8080, guestPort: 80 });
    expect(parseHostForward('tcp:0.0.0.0:2222-:22')).toEqual({ hostAddress: '0.0.0.0', hostPort: 2222, guestPort: 22 });
    expect(typeof parseHostForward('udp::1-:2')).toBe('string');
    expect(typeof parseHostForward('tcp::99999-:2')).toBe('string');
  });
});

/** A minimal guest TCP endpoint speaking through hand-built frames. */
class GuestTcp {
  seq: number;
  ack = 0;
  received: number[] = [];
  finReceived = false;
  constructor(readonly send: (f: Uint8Array) => void, readonly peer: number[], readonly sport: number, readonly dport: number, iss: number) {
    this.seq = iss;
  }
  segment(flags: number, data: number[] = [], extra: Partial<Parameters<typeof tcp>[2]> = {}): void {
    this.send(eth(GW_MAC, GUEST_MAC, 0x0800, tcp(GUEST, this.peer, { sport: this.sport, dport: this.dport, seq: this.seq, ack: this.ack, flags, data, ...extra })));
    this.seq = (this.seq + data.length + (flags & (F.SYN | F.FIN) ? 1 : 0)) >>> 0;
  }
  /** Takes the stack's segments to this connection; acks data. Returns them. */
  absorb(frames: Decoded[]): NonNullable<Decoded['tcp']>[] {
    const segs = frames.map((f) => f.tcp).filter((t): t is NonNullable<Decoded['tcp']> => t !== undefined && t.dport === this.sport);
    for (const t of segs) {
      if (t.flags & F.SYN) this.ack = (t.seq + 1) >>> 0;
      if (t.data.length > 0 && t.seq === this.ack) {
        this.received.push(...t.data);
        this.ack = (this.ack + t.data.length) >>> 0;
      }
      if (t.flags & F.FIN && ((t.seq + t.data.length) >>> 0) === this.ack) {
        this.ack = (this.ack + 1) >>> 0;
        this.finReceived = true;
      }
    }
    return segs;
  }
}

const servers: Server[] = [];
afterEach(() => {
  for (const s of servers.splice(0)) s.close();
});

async function until(cond: () => boolean, step: () => void, what: string): Promise<void> {
  for (let i = 0; i < 2000; i++) {
    step();
    if (cond()) return;
    await new Promise((r) => setTimeout(r, 2));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('user network: TCP against real host sockets (loopback)', () => {
  it('splices a guest connection to 10.0.2.2:PORT to a host server on 127.0.0.1', async () => {
    const got: Buffer[] = [];
    let serverSawEnd = false;
    const server = createServer((s) => {
      s.on('data', (d) => got.push(d));
      s.on('end', () => { serverSawEnd = true; s.end(); });
      s.write(Buffer.alloc(200_000, 0x61)); // more than one window: flow control
    });
    servers.push(server);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;

    const { send, step, net } = setup(new NodeHostNet());
    const g = new GuestTcp(send, GW, 40001, port, 1000);
    g.segment(F.SYN, [], { mss: 1460 });
    expect(net.waitingOnHost()).toBe(true);
    let synAck: NonNullable<Decoded['tcp']> | undefined;
    await until(() => synAck !== undefined, () => { synAck = g.absorb(step()).find((t) => (t.flags & (F.SYN | F.ACK)) === (F.SYN | F.ACK)); }, 'SYN-ACK');
    expect(synAck!.ack).toBe(1001);
    g.segment(F.ACK);
    g.segment(F.ACK | F.PSH, [...Buffer.from('hello host')]);
    // Receive with a small window, acknowledging as we go.
    await until(() => g.received.length >= 200_000, () => {
      const segs = g.absorb(step());
      if (segs.length) g.segment(F.ACK, [], { window: 8192 });
    }, 'host data');
    expect(Buffer.from(g.received).equals(Buffer.alloc(200_000, 0x61))).toBe(true);
    await until(() => Buffer.concat(got).toString() === 'hello host', () => step(), 'guest data at the host');
    g.segment(F.FIN | F.ACK);
    await until(() => g.finReceived, () => g.absorb(step()), 'FIN from the host side');
    expect(serverSawEnd).toBe(true);
    g.segment(F.ACK);
    step();
    expect(net.tcp.connectionCount).toBe(0);
    expect(net.waitingOnHost()).toBe(false);
    expect(net.attempts[0]).toMatchObject({ proto: 'tcp', dst: '10.0.2.2', port, result: 'connected' });
  });

  it('answers a SYN to a closed host port with a RST', async () => {
    const server = createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    await new Promise((r) => server.close(r));
    const { send, step, net } = setup(new NodeHostNet());
    const g = new GuestTcp(send, GW, 40002, port, 5);
    g.segment(F.SYN);
    let rst: NonNullable<Decoded['tcp']> | undefined;
    await until(() => rst !== undefined, () => { rst = g.absorb(step()).find((t) => t.flags & F.RST); }, 'RST');
    expect(rst!.ack).toBe(6);
    expect(net.attempts[0]).toMatchObject({ result: 'refused' });
  });

  it('hostfwd: a host client reaches a guest port, both ways, with retransmission of a lost SYN', async () => {
    let listening = 0;
    const host = new NodeHostNet();
    const wrapped: HostNet = {
      ...host,
      connectTcp: host.connectTcp.bind(host), openUdp: host.openUdp.bind(host), resolve: host.resolve.bind(host),
      listenTcp: (a, p, ev) => host.listenTcp(a, p, { ...ev, onListening: (port) => { listening = port; } }),
    };
    const { send, step, net } = setup(wrapped, { hostfwd: [{ hostAddress: '127.0.0.1', hostPort: 0, guestPort: 80 }] });
    send(arpRequest(GUEST, GW)); // the guest spoke: its MAC is known
    step();
    await until(() => listening > 0, () => step(0), 'listener');
    const client = connect(listening, '127.0.0.1');
    const fromGuest: Buffer[] = [];
    client.on('data', (d) => fromGuest.push(d));
    let ended = false;
    client.on('end', () => { ended = true; });
    client.write('GET / HTTP/1.0\r\n\r\n');

    let syn: NonNullable<Decoded['tcp']> | undefined;
    await until(() => syn !== undefined, () => { syn = step().map((f) => f.tcp).find((t) => t && t.flags === F.SYN); }, 'SYN into the guest');
    expect(syn!.dport).toBe(80);
    // Lose it: the stack retransmits on guest time (200 ms).
    const again = step(250_000_000).map((f) => f.tcp).find((t) => t && t.flags === F.SYN);
    expect(again?.seq).toBe(syn!.seq);
    const g = new GuestTcp(send, GW, 80, syn!.sport, 777);
    g.ack = (syn!.seq + 1) >>> 0;
    g.segment(F.SYN | F.ACK, [], { mss: 1460 });
    await until(() => Buffer.from(g.received).toString().includes('\r\n\r\n'), () => {
      const segs = g.absorb(step());
      if (segs.some((t) => t.data.length)) g.segment(F.ACK);
    }, 'request in the guest');
    g.segment(F.ACK | F.PSH | F.FIN, [...Buffer.from('HTTP/1.0 200 OK\r\n\r\nhi')]);
    await until(() => ended, () => g.absorb(step()), 'response at the host client');
    expect(Buffer.concat(fromGuest).toString()).toBe('HTTP/1.0 200 OK\r\n\r\nhi');
    client.end();
    await until(() => g.finReceived, () => g.absorb(step()), 'FIN into the guest');
    g.segment(F.ACK);
    step();
    expect(net.tcp.connectionCount).toBe(0);
    net.close();
  });
});

describe('user network: fuzz', () => {
  it('random and mutated frames never throw and every drop is counted', async () => {
    const { mulberry32 } = await import('../../helpers/prng.ts');
    const rnd = mulberry32(0x5eed);
    // A host that refuses every connection, drops every datagram and resolves nothing.
    const refusing: HostNet = {
      connectTcp: (_a, _p, ev) => {
        queueMicrotask(() => ev.onClose('ECONNREFUSED'));
        return { write() {}, bufferedBytes: 0, end() {}, pause() {}, resume() {}, destroy() {} };
      },
      listenTcp: () => ({ close() {} }),
      openUdp: () => ({ send() {}, close() {} }),
      resolve: (_n, done) => done('notfound', []),
    };
    const { send, step, net } = setup(refusing);
    const seeds = [
      arpRequest(GUEST, GW), dhcp(1, 1), dhcp(3, 2, [50, 4, ...GUEST]),
      eth(GW_MAC, GUEST_MAC, 0x0800, tcp(GUEST, ip('10.0.2.9'), { sport: 1, dport: 2, seq: 3, ack: 0, flags: F.SYN })),
      eth(GW_MAC, GUEST_MAC, 0x0800, udp(GUEST, 9, ip('10.0.2.3'), 53, [1, 2, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1, 97, 0, 0, 1, 0, 1])),
    ];
    for (let i = 0; i < 20000; i++) {
      let f: Uint8Array;
      if (i % 3 === 0) {
        f = new Uint8Array(Math.floor(rnd() * 1600));
        for (let j = 0; j < f.length; j++) f[j] = Math.floor(rnd() * 256);
      } else {
        f = seeds[i % seeds.length]!.slice(0, Math.max(1, Math.floor(rnd() * 400)));
        const flips = 1 + Math.floor(rnd() * 4);
        for (let k = 0; k < flips; k++) f[Math.floor(rnd() * f.length)] = Math.floor(rnd() * 256);
      }
      send(f);
      if (i % 64 === 0) {
        step();
        await Promise.resolve();
      }
    }
    step();
    const drops = Object.entries(net.stats).filter(([k]) => k.startsWith('drop-')).reduce((a, [, v]) => a + v, 0);
    expect(drops).toBeGreaterThan(15000);
    expect(net.stats['rx-frames']).toBe(20000);
  });
});


describe('user network: boot-check probes (in-process, no host socket)', () => {
  it('probeGuestPort: refused by a RST, open after a SYN-ACK (then reset); waitingOnHost stays false', async () => {
    const { probeGuestPort } = await import('../../../emulator/net/guest-probe.ts');
    const { send, step, net } = setup();
    send(arpRequest(GUEST, GW));
    step();
    const results: boolean[] = [];
    probeGuestPort(net, 22, (open) => results.push(open));
    expect(net.waitingOnHost()).toBe(false);
    const syn = step().map((f) => f.tcp).find((t) => t && t.flags & F.SYN)!;
    expect(syn.dport).toBe(22);
    send(eth(GW_MAC, GUEST_MAC, 0x0800, tcp(GUEST, GW, { sport: 22, dport: syn.sport, seq: 0, ack: syn.seq + 1, flags: F.RST | F.ACK })));
    step();
    expect(results).toEqual([false]);

    probeGuestPort(net, 80, (open) => results.push(open));
    const syn2 = step().map((f) => f.tcp).find((t) => t && t.flags & F.SYN)!;
    send(eth(GW_MAC, GUEST_MAC, 0x0800, tcp(GUEST, GW, { sport: 80, dport: syn2.sport, seq: 5000, ack: syn2.seq + 1, flags: F.SYN | F.ACK, mss: 1460 })));
    await Promise.resolve();
    const after = step();
    expect(results).toEqual([false, true]);
    expect(after.map((f) => f.tcp!.flags & F.RST).some(Boolean)).toBe(true);
    expect(net.tcp.connectionCount).toBe(0);
  });

  it('httpGetFromGuest: sends a GET, returns status and body once the guest closes', async () => {
    const { httpGetFromGuest } = await import('../../../emulator/net/guest-probe.ts');
    const { send, step, net } = setup();
    send(arpRequest(GUEST, GW));
    step();
    let result: unknown;
    httpGetFromGuest(net, 8080, '/index.html', (r) => { result = r; });
    const syn = step().map((f) => f.tcp).find((t) => t && t.flags & F.SYN)!;
    const g = new GuestTcp(send, GW, 8080, syn.sport, 9000);
    g.ack = (syn.seq + 1) >>> 0;
    g.segment(F.SYN | F.ACK, [], { mss: 1460 });
    await Promise.resolve();
    for (let i = 0; i < 5 && !Buffer.from(g.received).toString().includes('\r\n\r\n'); i++) {
      g.absorb(step());
      await Promise.resolve();
    }
    expect(Buffer.from(g.received).toString()).toMatch(/^GET \/index.html HTTP\/1.0\r\n[\s\S]*\r\n\r\n$/);
    g.segment(F.ACK | F.PSH | F.FIN, [...Buffer.from('HTTP/1.0 200 OK\r\nContent-Type: text/html\r\n\r\n<h1>hi</h1>\n')]);
    step();
    expect(result).toEqual({ status: 200, body: '<h1>hi</h1>\n' });
    await Promise.resolve();
    g.absorb(step());
    expect(g.finReceived).toBe(true);
    g.segment(F.ACK);
    step();
    expect(net.tcp.connectionCount).toBe(0);
  });
});

describe('user network: UDP NAT, limits, retransmission', () => {
  it('NATs a guest datagram to a host UDP server on 127.0.0.1 via 10.0.2.2 and the reply back', async () => {
    const { createSocket } = await import('node:dgram');
    const server = createSocket('udp4');
    server.on('message', (msg, rinfo) => server.send(Buffer.concat([Buffer.from('echo:'), msg]), rinfo.port, rinfo.address));
    await new Promise<void>((r) => server.bind(0, '127.0.0.1', r));
    const port = server.address().port;
    const { send, step, net } = setup(new NodeHostNet());
    try {
      send(eth(GW_MAC, GUEST_MAC, 0x0800, udp(GUEST, 5353, GW, port, [...Buffer.from('ping')])));
      expect(net.waitingOnHost()).toBe(true);
      let reply: Decoded | undefined;
      await until(() => reply !== undefined, () => { reply = step().find((f) => f.udp); }, 'UDP reply');
      expect(reply!.ip).toMatchObject({ src: '10.0.2.2', dst: '10.0.2.15' });
      expect(reply!.udp).toMatchObject({ sport: port, dport: 5353 });
      expect(Buffer.from(reply!.udp!.data).toString()).toBe('echo:ping');
      expect(net.attempts[0]).toMatchObject({ proto: 'udp', dst: '10.0.2.2', port, result: 'sent' });
    } finally {
      net.close();
      server.close();
    }
  });

  it('refuses connections past the per-guest limit with a RST', async () => {
    const opened: string[] = [];
    const host: HostNet = {
      ...noHost,
      connectTcp: (a, p) => { opened.push(`${a}:${p}`); return { write() {}, bufferedBytes: 0, end() {}, pause() {}, resume() {}, destroy() {} }; },
    };
    const { send, step, net } = setup(host, { limits: { maxConnections: 2 } });
    for (const sport of [1001, 1002, 1003]) send(eth(GW_MAC, GUEST_MAC, 0x0800, tcp(GUEST, ip('192.0.2.5'), { sport, dport: 80, seq: 1, ack: 0, flags: F.SYN })));
    const out = step();
    expect(opened).toEqual(['192.0.2.5:80', '192.0.2.5:80']);
    expect(out.filter((f) => f.tcp && f.tcp.flags & F.RST).map((f) => f.tcp!.dport)).toEqual([1003]);
    expect(net.stats['tcp-limit']).toBe(1);
  });

  it('retransmits unacknowledged data on guest time, from the first unacked byte, with backoff', async () => {
    let events: import('../../../emulator/net/host-net.ts').HostTcpEvents | undefined;
    const host: HostNet = {
      ...noHost,
      connectTcp: (_a, _p, ev) => { events = ev; return { write() {}, bufferedBytes: 0, end() {}, pause() {}, resume() {}, destroy() {} }; },
    };
    const { send, step } = setup(host);
    const g = new GuestTcp(send, ip('192.0.2.5'), 2000, 80, 100);
    g.segment(F.SYN, [], { mss: 1000 });
    events!.onConnect();
    g.absorb(step());
    g.segment(F.ACK, [], { window: 4000 });
    events!.onData(new Uint8Array(3000).fill(7));
    const first = step().map((f) => f.tcp!).filter((t) => t.data.length);
    expect(first.map((t) => t.data.length)).toEqual([1000, 1000, 1000]);
    // Nothing acknowledged: nothing before 200 ms of guest time, then the first segment again.
    expect(step(100_000_000).filter((f) => f.tcp!.data.length)).toHaveLength(0);
    const again = step(150_000_000).map((f) => f.tcp!).filter((t) => t.data.length);
    expect(again[0]!.seq).toBe(first[0]!.seq);
    // Backoff: the next retransmission waits 400 ms.
    expect(step(300_000_000).filter((f) => f.tcp!.data.length)).toHaveLength(0);
    expect(step(150_000_000).filter((f) => f.tcp!.data.length).length).toBeGreaterThan(0);
  });
});

describe('user network: flow control', () => {
  it('pauses host reads while guest-bound bytes exceed the limit, resumes once the guest acknowledged them; respects the guest window', () => {
    let events: import('../../../emulator/net/host-net.ts').HostTcpEvents | undefined;
    const calls: string[] = [];
    let buffered = 0;
    const host: HostNet = {
      ...noHost,
      connectTcp: (_a, _p, ev) => {
        events = ev;
        return { write(b) { buffered += b.length; calls.push(`write ${b.length}`); }, get bufferedBytes() { return buffered; }, end() {}, pause() { calls.push('pause'); }, resume() { calls.push('resume'); }, destroy() {} };
      },
    };
    const { send, step } = setup(host, { limits: { bufferLimit: 8192 } });
    const g = new GuestTcp(send, ip('192.0.2.5'), 2001, 80, 100);
    g.segment(F.SYN, [], { mss: 1000 });
    events!.onConnect();
    g.absorb(step());
    g.segment(F.ACK, [], { window: 2000 });
    events!.onData(new Uint8Array(10000).fill(1));
    expect(calls).toEqual(['pause']);
    const segs = g.absorb(step());
    expect(segs.reduce((a, t) => a + t.data.length, 0)).toBe(2000); // the guest's window, no more
    g.segment(F.ACK, [], { window: 65535 });
    const more = g.absorb(step());
    expect(more.reduce((a, t) => a + t.data.length, 0)).toBe(8000);
    expect(calls).toEqual(['pause']); // 8000 bytes still unacknowledged
    g.segment(F.ACK, [], { window: 65535 });
    step();
    expect(calls).toEqual(['pause', 'resume']);
    // Our window to the guest shrinks with what the host has not taken yet.
    g.segment(F.ACK | F.PSH, new Array(1400).fill(2));
    const ack = g.absorb(step()).at(-1)!;
    expect(ack.window).toBe(8192 - 1400);
    expect(calls.at(-1)).toBe('write 1400');
  });
});

describe('user network: TCP fuzz', () => {
  it('random segments against connected and connecting host sockets never throw; timers keep running', async () => {
    const { mulberry32 } = await import('../../helpers/prng.ts');
    const rnd = mulberry32(0x7c9);
    const evs: import('../../../emulator/net/host-net.ts').HostTcpEvents[] = [];
    const host: HostNet = {
      ...noHost,
      connectTcp: (_a, _p, ev) => {
        evs.push(ev);
        if (evs.length % 3 !== 0) queueMicrotask(() => ev.onConnect());
        return { write() {}, bufferedBytes: Math.floor(rnd() * 70000), end() {}, pause() {}, resume() {}, destroy() {} };
      },
    };
    const { send, step, net } = setup(host, { limits: { maxConnections: 8, bufferLimit: 16384 } });
    const peers = [ip('192.0.2.1'), ip('192.0.2.2'), GW];
    for (let i = 0; i < 20000; i++) {
      const peer = peers[i % 3]!;
      const flags = [F.SYN, F.ACK, F.ACK | F.PSH, F.FIN | F.ACK, F.RST, F.SYN | F.ACK, Math.floor(rnd() * 64)][Math.floor(rnd() * 7)]!;
      const data = Array.from({ length: rnd() < 0.5 ? 0 : Math.floor(rnd() * 1400) }, () => 0x41);
      const seq = rnd() < 0.7 ? 1 + Math.floor(rnd() * 3000) : Math.floor(rnd() * 0xffffffff);
      const ack = Math.floor(rnd() * 0xffffffff);
      send(eth(GW_MAC, GUEST_MAC, 0x0800, tcp(GUEST, peer, { sport: 3000 + (i % 5), dport: 80, seq, ack, flags, data, window: Math.floor(rnd() * 65536), mss: flags & F.SYN ? 536 + Math.floor(rnd() * 1000) : undefined })));
      if (i % 50 === 0) {
        const ev = evs[Math.floor(rnd() * evs.length)];
        if (ev) {
          const r = rnd();
          if (r < 0.5) ev.onData(new Uint8Array(Math.floor(rnd() * 5000)));
          else if (r < 0.6) ev.onEnd();
          else if (r < 0.65) ev.onClose(rnd() < 0.5 ? 'ECONNRESET' : undefined);
          else ev.onDrain();
        }
        step(Math.floor(rnd() * 500_000_000));
        await Promise.resolve();
      }
    }
    for (let i = 0; i < 40; i++) step(5_000_000_000);
    expect(net.tcp.connectionCount).toBeLessThanOrEqual(8);
    expect(net.stats['rx-frames']).toBe(20000);
  });
});

describe('user network: zero window', () => {
  it('probes a closed guest window on guest time and keeps the connection while the guest answers', () => {
    let events: import('../../../emulator/net/host-net.ts').HostTcpEvents | undefined;
    let destroyed = false;
    const host: HostNet = {
      ...noHost,
      connectTcp: (_a, _p, ev) => { events = ev; return { write() {}, bufferedBytes: 0, end() {}, pause() {}, resume() {}, destroy() { destroyed = true; } }; },
    };
    const { send, step, net } = setup(host);
    const g = new GuestTcp(send, ip('192.0.2.5'), 2002, 80, 100);
    g.segment(F.SYN, [], { mss: 1000 });
    events!.onConnect();
    g.absorb(step());
    g.segment(F.ACK, [], { window: 0 });
    events!.onData(new Uint8Array(500).fill(3));
    expect(step().filter((f) => f.tcp!.data.length)).toHaveLength(0); // nothing into a closed window
    let probes = 0;
    for (let i = 0; i < 30; i++) {
      const segs = step(10_000_000_000).map((f) => f.tcp!).filter((t) => t.data.length);
      probes += segs.length;
      for (const t of segs) expect(t.data.length).toBe(1);
      if (segs.length) g.segment(F.ACK, [], { window: 0 }); // the probe byte is not taken
    }
    expect(probes).toBeGreaterThan(10);
    expect(destroyed).toBe(false);
    expect(net.tcp.connectionCount).toBe(1);
    g.segment(F.ACK, [], { window: 4000 });
    const data = g.absorb(step()).reduce((a, t) => a + t.data.length, 0);
    expect(data).toBe(500);
  });
});

describe('user network: half close against a real host server', () => {
  it('the host server closes its side first; the guest still sends, and its FIN ends the host side', async () => {
    let got = '';
    let ended = false;
    const server = createServer({ allowHalfOpen: true }, (s) => {
      s.end('bye');
      s.on('data', (d) => { got += d.toString(); });
      s.on('end', () => { ended = true; });
    });
    servers.push(server);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    const { send, step, net } = setup(new NodeHostNet());
    const g = new GuestTcp(send, GW, 40010, port, 7);
    g.segment(F.SYN, [], { mss: 1460 });
    await until(() => g.ack !== 0, () => g.absorb(step()), 'SYN-ACK');
    g.segment(F.ACK);
    await until(() => g.finReceived, () => { if (g.absorb(step()).length) g.segment(F.ACK); }, 'the host FIN');
    expect(Buffer.from(g.received).toString()).toBe('bye');
    g.segment(F.ACK | F.PSH, [...Buffer.from('late data')]);
    g.segment(F.ACK | F.FIN);
    await until(() => ended, () => g.absorb(step()), 'the guest FIN at the host');
    expect(got).toBe('late data');
    await until(() => net.tcp.connectionCount === 0, () => step(), 'the connection to close');
  });
});
