/**
 * What the user-mode network needs of the host: TCP connections out, TCP
 * listeners for forwarded ports, UDP sockets and a name resolver. The stack
 * is pure and never touches a socket; Node supplies this interface with
 * node:net, node:dgram and node:dns (emulator/host/net/user-host.ts), and a
 * browser could supply it with a relay. Every callback may come at any time
 * between CPU slices; the stack only queues work in them.
 *
 * Nothing here may throw into the stack: failures arrive as `onClose(error)`
 * or `onError` callbacks.
 */

/** Events of one host TCP connection, as the stack receives them. */
export interface HostTcpEvents {
  /** An outgoing connection is established (never called for accepted ones). */
  onConnect(): void;
  /** Bytes from the host peer (the stack copies them if it keeps them). */
  onData(bytes: Uint8Array): void;
  /** The host peer finished sending (half close). */
  onEnd(): void;
  /** Buffered writes were flushed: `bufferedBytes` dropped. */
  onDrain(): void;
  /** The connection is gone; `error` when it failed (refused, reset, timeout). */
  onClose(error?: string): void;
}

/** One host TCP connection, as the stack drives it. */
export interface HostTcpSocket {
  /** Sends bytes to the host peer (the socket copies them). */
  write(bytes: Uint8Array): void;
  /** Bytes written but not yet taken by the host: the stack's flow control. */
  readonly bufferedBytes: number;
  /** Half close: no more writes. */
  end(): void;
  /** Stop / restart `onData` (guest-bound buffers full, or not yet connected). */
  pause(): void;
  resume(): void;
  /** Abort (reset) the connection; no further events. Idempotent. */
  destroy(): void;
}

export interface HostTcpListener {
  close(): void;
}

export interface HostListenEvents {
  /** A host client connected: the stack returns the events for it (the socket starts paused). */
  onAccept(socket: HostTcpSocket, peer: string): HostTcpEvents;
  onListening?(port: number): void;
  onError(error: string): void;
}

export interface HostUdpSocket {
  send(bytes: Uint8Array, address: string, port: number): void;
  close(): void;
}

export interface HostUdpEvents {
  onMessage(bytes: Uint8Array, address: string, port: number): void;
  onError(error: string): void;
}

export interface HostNet {
  /** Opens a TCP connection to `address:port` (IPv4 dotted quad). */
  connectTcp(address: string, port: number, events: HostTcpEvents): HostTcpSocket;
  /** Listens on `address:port` (a forwarded port). */
  listenTcp(address: string, port: number, events: HostListenEvents): HostTcpListener;
  /** An unconnected UDP socket on an ephemeral port. */
  openUdp(events: HostUdpEvents): HostUdpSocket;
  /** IPv4 addresses of a host name (dotted quads); `error` 'notfound' when it has none. */
  resolve(name: string, done: (error: string | undefined, addresses: string[]) => void): void;
}
