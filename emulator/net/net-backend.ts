/**
 * The two ends of a network link, as QEMU pairs a NIC with a netdev
 * (NetClientState peers). A NIC device (ethoc, virtio-net) is the frontend:
 * it hands every frame the guest transmits to its backend, and the backend
 * delivers frames to the guest through the frontend. Backends: the built-in
 * user-mode network (`--nic user`), a socket to another mkrootfs process
 * (`--nic socket`), or a hub that also writes a pcap file (`--net-dump`).
 *
 * Frames are whole ethernet frames: destination MAC first, no preamble, no
 * FCS. Neither side keeps a reference to a frame it was handed: copy it.
 * Nothing here throws; a frame that cannot be taken is dropped (and counted).
 */

/** The guest end of a link: a NIC model. */
export interface NetFrontend {
  /**
   * Can the guest take a frame now (a free receive buffer)? A backend that
   * gets false queues the frame (bounded) and offers it again from `poll`.
   */
  canReceive(): boolean;
  /** Deliver one frame to the guest. Returns false if it was dropped. */
  receive(frame: Uint8Array): boolean;
}

/** The host end of a link. */
export interface NetBackend {
  /** Called once when the NIC is realized: where frames to the guest go. */
  attach(frontend: NetFrontend): void;
  /** The guest transmitted one frame. */
  send(frame: Uint8Array): void;
  /** Power-on state (guest reboot): drop queues; host listeners stay open. */
  reset(): void;
  /**
   * Deliver what is due at guest time `nowNs` (queued frames, timers such as
   * TCP retransmits and host data that arrived meanwhile). Called between CPU
   * slices, never from MMIO dispatch.
   */
  poll(nowNs: number): void;
  /** Guest time of the next timed event, Infinity when none. */
  nextEventNs(): number;
  /**
   * True while the backend waits on the host (an open host connection, a DNS
   * query, a listening forward with a client attached). The runner then does
   * not fast-forward guest time while the CPU dozes: it waits for host events,
   * as QEMU does without -icount. False means guest time may skip freely, so
   * runs without host traffic stay deterministic.
   */
  waitingOnHost(): boolean;
  /** Close every host resource (sockets, files). Idempotent. */
  close(): void;
}
