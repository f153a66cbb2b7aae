/**
 * Connections into the guest with an in-process host end, for boot checks:
 * does a guest port accept connections (`probeGuestPort`), and what does an
 * HTTP GET to it answer (`httpGetFromGuest`). They go through the user
 * network's TCP engine like a forwarded connection, but open no host socket,
 * so they keep a boot deterministic.
 */
import type { HostTcpEvents, HostTcpSocket } from './host-net.ts';

/** What the probes need of the user network (UserNet.connectToGuest). */
export interface GuestConnector {
  connectToGuest(guestPort: number, socket: HostTcpSocket): HostTcpEvents | undefined;
}

const later = (f: () => void): void => {
  void Promise.resolve().then(f);
};

/** Opens a connection to `port`; `done(true)` once the guest accepted it (then reset), `done(false)` when refused. */
export function probeGuestPort(net: GuestConnector, port: number, done: (open: boolean) => void): void {
  let settled = false;
  let events: HostTcpEvents | undefined;
  const settle = (open: boolean): void => {
    if (settled) return;
    settled = true;
    done(open);
  };
  const socket: HostTcpSocket = {
    write() {},
    bufferedBytes: 0,
    end() {},
    pause() {},
    resume() {
      if (settled) return;
      settle(true);
      later(() => events?.onClose('probe done'));
    },
    destroy() {
      settle(false);
    },
  };
  events = net.connectToGuest(port, socket);
  if (!events) settle(false);
}

export type HttpResult = { status: number; body: string } | { error: string };

const MAX_RESPONSE = 1 << 20;

/** GET `path` from the guest's `port` (HTTP/1.0, the guest closes); the body as latin1 text. */
export function httpGetFromGuest(net: GuestConnector, port: number, path: string, done: (r: HttpResult) => void): void {
  const chunks: Uint8Array[] = [];
  let size = 0;
  let connected = false;
  let settled = false;
  let events: HostTcpEvents | undefined;
  const finish = (r: HttpResult): void => {
    if (settled) return;
    settled = true;
    done(r);
  };
  const parse = (): HttpResult => {
    let text = '';
    for (const c of chunks) for (let i = 0; i < c.length; i++) text += String.fromCharCode(c[i]!);
    const m = /^HTTP\/\d\.\d (\d{3})[^\n]*\n/.exec(text);
    if (!m) return { error: text.length === 0 ? 'the guest closed the connection without answering' : 'the answer is not HTTP' };
    const headerEnd = text.indexOf('\r\n\r\n');
    const alt = text.indexOf('\n\n');
    const bodyAt = headerEnd >= 0 ? headerEnd + 4 : alt >= 0 ? alt + 2 : text.length;
    return { status: Number(m[1]), body: text.slice(bodyAt) };
  };
  const socket: HostTcpSocket = {
    write(bytes) {
      if (size + bytes.length > MAX_RESPONSE) return;
      chunks.push(bytes.slice());
      size += bytes.length;
    },
    bufferedBytes: 0,
    end() {
      // The guest finished its answer: close our side too.
      finish(parse());
      later(() => events?.onEnd());
    },
    pause() {},
    resume() {
      if (connected) return;
      connected = true;
      const req = `GET ${path} HTTP/1.0\r\nHost: 10.0.2.15:${port}\r\nUser-Agent: mkrootfs-boot-check\r\nConnection: close\r\n\r\n`;
      later(() => events?.onData(Uint8Array.from(req, (c) => c.charCodeAt(0) & 0xff)));
    },
    destroy() {
      finish(connected ? (size > 0 ? parse() : { error: 'the guest reset the connection' }) : { error: `nothing accepts connections on guest port ${port}` });
    },
  };
  events = net.connectToGuest(port, socket);
  if (!events) finish({ error: 'the user network has too many connections open' });
}
