/**
 * From `--nic` specs to what the machine takes: one network backend per
 * spec (netdev ids nic0, nic1, ...), the NIC devices on them
 * (`MODEL,netdev=nicN,mac=...`), and with `--net-dump` every backend wrapped
 * to write its frames to one pcap file.
 *
 * Backends are made by factories registered per type, so a backend type
 * (the user-mode network) plugs in with one `registerNicBackend` call. A
 * type without a factory is reported as not available. Everything opened
 * here is closed by `close()` when the boot ends.
 *
 * The backends load when a --nic asks for one: a boot without a network does
 * not load node:net, node:dgram, node:dns or the user-mode TCP/IP stack
 * (~10 ms of `mkrootfs boot`'s start-up).
 */
import { usageError } from '../errors.ts';
import type { NetBackend } from '../../emulator/net/net-backend.ts';
import type { QObject } from '../../emulator/qom/object.ts';
import { DumpBackend } from '../../emulator/net/pcap.ts';
import { PcapFile } from '../../emulator/host/net/pcap-file.ts';
import type { UserNet } from '../../emulator/net/user-net.ts';
import { defaultMac, defaultNicModel, type NicSpec, type NicType } from './nic-spec.ts';

export interface NicBackendContext {
  /** Diagnostics (stderr). */
  log(message: string): void;
  /** Seconds since 1970 at guest time 0 (SOURCE_DATE_EPOCH, else 0). */
  epochSeconds: number;
  /** Index of this --nic among the flags (0 for the first). */
  index: number;
}

/** Makes the backend a spec asks for; rejects with a MkrootfsError (usage error, exit 2) when it cannot. */
export type NicBackendFactory = (spec: NicSpec, ctx: NicBackendContext) => Promise<NetBackend>;

const factories = new Map<NicType, NicBackendFactory>();

export function registerNicBackend(type: NicType, factory: NicBackendFactory): void {
  factories.set(type, factory);
}

/** Removes a type's factory (tests). */
export function unregisterNicBackend(type: NicType): void {
  factories.delete(type);
}

/** Is there a factory for this type? */
export function nicBackendAvailable(type: NicType): boolean {
  return factories.has(type);
}

registerNicBackend('socket', async (spec, ctx) => {
  if (spec.type !== 'socket') throw new Error('socket factory given a non-socket spec');
  const { mode, host, port } = spec.socket;
  const { SocketBackend } = await import('../../emulator/host/net/socket-backend.ts');
  const backend = new SocketBackend({ mode, host, port, log: ctx.log });
  try {
    await backend.open();
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const hint = e.code === 'ECONNREFUSED' ? `start the boot with --nic socket,listen=:${port} first, then this one`
      : e.code === 'EADDRINUSE' ? `another process listens on ${host}:${port}: pick another port`
      : `check the address ${host}:${port}`;
    throw usageError('BOOT_NIC_SOCKET', `--nic '${spec.source}': cannot ${mode === 'listen' ? 'listen on' : 'connect to'} ${host}:${port}: ${e.code ?? e.message}`, hint, { nic: spec.source, code: e.code });
  }
  return backend;
});

/** The user-mode networks the 'user' factory made (UserNet loads with the first of them). */
const userNets = new WeakSet<NetBackend>();

registerNicBackend('user', async (spec, ctx) => {
  if (spec.type !== 'user') throw new Error('user factory given a non-user spec');
  const forwards = spec.user.hostfwd;
  let pending = forwards.length;
  let failure: string | undefined;
  let settle: (() => void) | undefined;
  const ready = new Promise<void>((resolve) => { settle = resolve; });
  const check = (): void => { if (pending === 0 || failure !== undefined) settle?.(); };
  const [{ UserNet }, { NodeHostNet }] = await Promise.all([import('../../emulator/net/user-net.ts'), import('../../emulator/host/net/user-host.ts')]);
  const net = new UserNet({
    host: new NodeHostNet(),
    hostfwd: forwards.map((f) => ({ hostAddress: f.hostAddress, hostPort: f.hostPort, guestPort: f.guestPort })),
    restrict: spec.user.restrict,
    onListening: () => { pending--; check(); },
    onError: (message) => {
      if (pending > 0) failure ??= message;
      else ctx.log(`boot: --nic user: ${message}`);
      check();
    },
  });
  check();
  await ready;
  if (failure !== undefined) {
    net.close();
    throw usageError('BOOT_NIC_HOSTFWD', `--nic '${spec.source}': cannot listen: ${failure}`,
      failure.includes('EADDRINUSE') ? 'another process uses that host port: pick another HOSTPORT (0 picks a free one)' : 'check the host address is one of this machine\'s (127.0.0.1 by default)', { nic: spec.source });
  }
  userNets.add(net);
  return net;
});

export interface MachineNetwork {
  /** Backends by netdev id, for the machine. */
  netdevs: Record<string, NetBackend>;
  /** `--device` specs of the NICs. */
  devices: string[];
  /** The pcap file, if --net-dump; set its writer's clock to the machine's guest time. */
  dump?: PcapFile;
  /** The user-mode networks (--nic user), for boot checks (wait-port, http) and the --json report. */
  user: UserNet[];
  /** Closes every backend and the dump file (idempotent). */
  close(): void;
}

export interface NetworkOptions {
  nics: readonly NicSpec[];
  /** Board name for the default model (`virt` unless given). */
  board?: string;
  /** --net-dump path (resolved). */
  dumpPath?: string;
  epochSeconds: number;
  log(message: string): void;
}

export async function createNetwork(options: NetworkOptions): Promise<MachineNetwork> {
  const netdevs: Record<string, NetBackend> = {};
  const devices: string[] = [];
  const opened: NetBackend[] = [];
  const user: UserNet[] = [];
  let dump: PcapFile | undefined;
  const close = (): void => {
    for (const b of opened.splice(0)) {
      try { b.close(); } catch { /* closing is best effort */ }
    }
    dump?.close();
  };
  try {
    if (options.dumpPath !== undefined) {
      try {
        dump = new PcapFile(options.dumpPath, { epochSeconds: options.epochSeconds });
      } catch (err) {
        const e = err as NodeJS.ErrnoException;
        throw usageError('BOOT_NET_DUMP', `--net-dump ${options.dumpPath}: cannot create the file: ${e.code ?? e.message}`, 'check the directory exists and is writable');
      }
      if (options.nics.length === 0) options.log('boot: --net-dump without --nic: there is no network to dump');
    }
    for (const [index, spec] of options.nics.entries()) {
      const factory = factories.get(spec.type);
      if (!factory) {
        throw usageError('BOOT_NIC_UNAVAILABLE', `--nic '${spec.source}': the ${spec.type} network backend is not available in this build`,
          'use --nic socket,listen=:PORT / connect=ADDR:PORT to join another boot', { nic: spec.source });
      }
      let backend = await factory(spec, { log: options.log, epochSeconds: options.epochSeconds, index });
      opened.push(backend);
      if (userNets.has(backend)) user.push(backend as UserNet);
      if (dump) backend = new DumpBackend(backend, dump.writer);
      const id = `nic${index}`;
      netdevs[id] = backend;
      devices.push(`${spec.model ?? defaultNicModel(options.board)},netdev=${id},mac=${spec.mac ?? defaultMac(index)}`);
    }
  } catch (err) {
    close();
    throw err;
  }
  return { netdevs, devices, dump, user, close };
}

/** One NIC in `boot --json`: where it is, its backend id, MAC and frame counters. */
export interface NicReport {
  path: string;
  model: string;
  netdev: string | null;
  mac: string;
  stats: Record<string, number>;
}

/** The machine's NICs (devices with a `netdev` property) for the JSON report. */
export function describeNics(root: QObject): NicReport[] {
  const out: NicReport[] = [];
  for (const o of root.walk()) {
    if (!o.propertyList().some((p) => p.name === 'netdev' && p.type === 'link')) continue;
    const stats = (o.instance as { stats?: Record<string, number> } | undefined)?.stats ?? {};
    out.push({ path: o.path(), model: o.typeName, netdev: o.getLink('netdev')?.id ?? null, mac: o.getString('mac') ?? '', stats: { ...stats } });
  }
  return out;
}
