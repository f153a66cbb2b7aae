/**
 * The socket backend on loopback: two backends exchange frames; the stream
 * format is QEMU's (4-byte big-endian length, frame), checked against a raw
 * socket speaking it by hand; a broken stream is closed, not thrown.
 */
import { createServer, createConnection, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { SocketBackend } from '../../../../emulator/host/net/socket-backend.ts';
import type { NetFrontend } from '../../../../emulator/net/net-backend.ts';
import { testFrame } from '../../net/fake-backend.ts';

class Nic implements NetFrontend {
  readonly got: Uint8Array[] = [];
  room = 1000;
  canReceive() { return this.room > 0; }
  receive(f: Uint8Array) { this.room--; this.got.push(f.slice()); return true; }
}

const open: SocketBackend[] = [];
afterEach(() => { for (const b of open.splice(0)) b.close(); });

async function until(cond: () => boolean, what: string, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

function backend(opts: ConstructorParameters<typeof SocketBackend>[0]): SocketBackend {
  const b = new SocketBackend(opts);
  open.push(b);
  return b;
}

describe('socket backend (QEMU -netdev socket framing)', () => {
  it('two backends on loopback carry frames both ways, in order, and deliver only when the NIC has room', async () => {
    const l = backend({ mode: 'listen', host: '127.0.0.1', port: 0 });
    await l.open();
    expect(l.waitingOnHost()).toBe(false); // listening alone does not hold guest time
    const c = backend({ mode: 'connect', host: '127.0.0.1', port: l.port });
    await c.open();
    const nl = new Nic();
    const nc = new Nic();
    l.attach(nl);
    c.attach(nc);
    await until(() => l.waitingOnHost(), 'the listener to accept');
    const frames = [testFrame(60, 1), testFrame(1514, 2), testFrame(42, 3)];
    for (const f of frames) c.send(f);
    l.send(testFrame(100, 9));
    nl.room = 2;
    await until(() => l.queued === 3, 'three frames at the listener');
    l.poll();
    expect(nl.got).toEqual(frames.slice(0, 2));
    nl.room = 10;
    l.poll();
    expect(nl.got).toEqual(frames);
    await until(() => c.queued === 1, 'one frame at the connector');
    c.poll();
    expect(nc.got).toEqual([testFrame(100, 9)]);
  });

  it('writes each frame as a 4-byte big-endian length and the frame, and reads that from a raw peer', async () => {
    let raw: Socket | undefined;
    const received: Buffer[] = [];
    const server = createServer((s) => { raw = s; s.on('data', (d) => received.push(d)); });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    const c = backend({ mode: 'connect', host: '127.0.0.1', port });
    await c.open();
    const nic = new Nic();
    c.attach(nic);
    c.send(testFrame(60, 5));
    await until(() => Buffer.concat(received).length >= 64, 'the raw peer to read');
    const bytes = Buffer.concat(received);
    expect(bytes.readUInt32BE(0)).toBe(60);
    expect(new Uint8Array(bytes.subarray(4, 64))).toEqual(testFrame(60, 5));
    // The raw peer sends two frames, split at awkward places.
    const f1 = testFrame(70, 6);
    const f2 = testFrame(80, 7);
    const stream = Buffer.concat([Buffer.from([0, 0, 0, 70]), f1, Buffer.from([0, 0, 0, 80]), f2]);
    raw!.write(stream.subarray(0, 3));
    await new Promise((r) => setTimeout(r, 20));
    raw!.write(stream.subarray(3, 90));
    await new Promise((r) => setTimeout(r, 20));
    raw!.write(stream.subarray(90));
    await until(() => c.queued === 2, 'two frames');
    c.poll();
    expect(nic.got).toEqual([f1, f2]);
    // A length above QEMU's NET_BUFSIZE breaks the stream: the connection is closed, nothing thrown.
    raw!.write(Buffer.from([0, 2, 0, 0]));
    await until(() => !c.waitingOnHost(), 'the connection to close');
    server.close();
  });

  it('refuses a second peer while one is attached; a connect to a closed port rejects with ECONNREFUSED', async () => {
    const l = backend({ mode: 'listen', host: '127.0.0.1', port: 0 });
    await l.open();
    const a = backend({ mode: 'connect', host: '127.0.0.1', port: l.port });
    await a.open();
    await until(() => l.waitingOnHost(), 'the first peer');
    const second = createConnection({ host: '127.0.0.1', port: l.port });
    const closed = await new Promise<boolean>((r) => { second.on('close', () => r(true)); second.on('error', () => {}); });
    expect(closed).toBe(true);
    const port = l.port;
    l.close();
    a.close();
    const refused = backend({ mode: 'connect', host: '127.0.0.1', port });
    await expect(refused.open()).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });

  it('drops frames sent with no peer (an unplugged cable)', async () => {
    const l = backend({ mode: 'listen', host: '127.0.0.1', port: 0 });
    await l.open();
    l.send(testFrame(60));
    expect(l.stats.droppedOut).toBe(1);
  });
});
