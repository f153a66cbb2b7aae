/**
 * The Node side of the user-mode network: `HostNet` on node:net (TCP
 * connections and forwarded-port listeners), node:dgram (UDP) and node:dns
 * (the host's resolver, as getaddrinfo sees it). Every socket error becomes a
 * callback; nothing throws into the stack. Sockets allow half-open
 * connections, so a FIN travels each way on its own, as TCP has it.
 */
import { lookup } from 'node:dns';
import { createSocket } from 'node:dgram';
import { createConnection, createServer, type Socket } from 'node:net';
import type { HostListenEvents, HostNet, HostTcpEvents, HostTcpListener, HostTcpSocket, HostUdpEvents, HostUdpSocket } from '../../net/host-net.ts';

/** Wraps a connected (or connecting) node socket. */
function wrapSocket(sock: Socket, events: () => HostTcpEvents | undefined): HostTcpSocket {
  let destroyed = false;
  let closedReported = false;
  const report = (error?: string): void => {
    if (closedReported) return;
    closedReported = true;
    events()?.onClose(error);
  };
  sock.on('data', (buf: Buffer) => events()?.onData(new Uint8Array(buf.buffer, buf.byteOffset, buf.length)));
  sock.on('end', () => events()?.onEnd());
  sock.on('drain', () => events()?.onDrain());
  sock.on('error', (err: NodeJS.ErrnoException) => report(err.code ?? err.message));
  sock.on('close', (hadError) => report(hadError ? 'error' : undefined));
  return {
    write(bytes) {
      if (!destroyed && sock.writable) sock.write(Buffer.from(bytes));
    },
    get bufferedBytes() {
      return sock.writableLength;
    },
    end() {
      if (!destroyed) sock.end();
    },
    pause() {
      sock.pause();
    },
    resume() {
      if (!destroyed) sock.resume();
    },
    destroy() {
      if (destroyed) return;
      destroyed = true;
      closedReported = true; // the stack asked: no events after this
      sock.resetAndDestroy();
    },
  };
}

export class NodeHostNet implements HostNet {
  connectTcp(address: string, port: number, events: HostTcpEvents): HostTcpSocket {
    const sock = createConnection({ host: address, port, noDelay: true, allowHalfOpen: true });
    sock.once('connect', () => events.onConnect());
    return wrapSocket(sock, () => events);
  }

  listenTcp(address: string, port: number, events: HostListenEvents): HostTcpListener {
    const server = createServer({ pauseOnConnect: true, noDelay: true, allowHalfOpen: true }, (sock) => {
      let ev: HostTcpEvents | undefined;
      const wrapped = wrapSocket(sock, () => ev);
      sock.pause();
      ev = events.onAccept(wrapped, `${sock.remoteAddress}:${sock.remotePort}`);
    });
    server.on('error', (err: NodeJS.ErrnoException) => events.onError(err.code ?? err.message));
    server.listen({ host: address, port }, () => {
      const a = server.address();
      if (a && typeof a === 'object') events.onListening?.(a.port);
    });
    return { close: () => server.close() };
  }

  openUdp(events: HostUdpEvents): HostUdpSocket {
    const sock = createSocket('udp4');
    let closed = false;
    sock.on('message', (msg, rinfo) => events.onMessage(new Uint8Array(msg.buffer, msg.byteOffset, msg.length), rinfo.address, rinfo.port));
    sock.on('error', (err) => events.onError(err.message));
    return {
      send(bytes, address, port) {
        if (!closed) sock.send(bytes, port, address, (err) => { if (err) events.onError(err.message); });
      },
      close() {
        if (closed) return;
        closed = true;
        sock.close();
      },
    };
  }

  resolve(name: string, done: (error: string | undefined, addresses: string[]) => void): void {
    lookup(name, { family: 4, all: true }, (err, addrs) => {
      if (err) done(err.code === 'ENOTFOUND' || err.code === 'ENODATA' ? 'notfound' : (err.code ?? 'error'), []);
      else done(undefined, addrs.map((a) => a.address));
    });
  }
}
