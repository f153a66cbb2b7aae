/**
 * `--nic TYPE[,model=M][,mac=MAC][,opt=val...]` (QEMU's -nic: a backend and
 * the NIC model on it in one flag), parsed into a typed spec. Pure: errors
 * are usage errors (exit 2) naming the flag, the bad item and a fix.
 *
 *   socket  listen=ADDR:PORT | connect=ADDR:PORT     (exactly one)
 *   user    hostfwd=tcp:[HOSTADDR]:HOSTPORT-:GUESTPORT (repeatable),
 *           restrict=on|off
 *
 * ADDR may be empty in `listen=:PORT` (then 127.0.0.1: nothing listens
 * beyond loopback unless asked); a hostfwd's HOSTADDR likewise.
 */
import { usageError } from '../errors.ts';

export const NIC_MODELS = ['virtio-net-device', 'ethoc'] as const;
export type NicModel = (typeof NIC_MODELS)[number];
export const NIC_TYPES = ['user', 'socket'] as const;
export type NicType = (typeof NIC_TYPES)[number];

export interface HostForward {
  protocol: 'tcp';
  hostAddress: string;
  hostPort: number;
  guestPort: number;
}

export interface SocketOptions {
  mode: 'listen' | 'connect';
  host: string;
  port: number;
}

export interface UserOptions {
  hostfwd: HostForward[];
  restrict: boolean;
}

interface NicBase {
  /** Model given with model=; undefined: the board's default. */
  model?: NicModel;
  /** MAC given with mac=; undefined: QEMU's 52:54:00:12:34:56 + index. */
  mac?: string;
  /** The flag's text (error messages). */
  source: string;
}

export type NicSpec = (NicBase & { type: 'socket'; socket: SocketOptions }) | (NicBase & { type: 'user'; user: UserOptions });

const LOOPBACK = '127.0.0.1';

export function parseNicSpec(text: string): NicSpec {
  const where = `--nic '${text}'`;
  const bad = (what: string, hint: string): Error => usageError('BOOT_BAD_NIC', `${where}: ${what}`, hint, { nic: text });
  const items = text.split(',');
  const type = items[0]!;
  if (!(NIC_TYPES as readonly string[]).includes(type)) {
    throw bad(type === '' ? 'missing the backend type' : `unknown backend type '${type}'`, `start with one of: ${NIC_TYPES.join(', ')} (e.g. --nic user or --nic socket,listen=:5555)`);
  }
  let model: NicModel | undefined;
  let mac: string | undefined;
  const hostfwd: HostForward[] = [];
  let restrict: boolean | undefined;
  let socket: SocketOptions | undefined;
  const seen = new Set<string>();
  for (const item of items.slice(1)) {
    const eq = item.indexOf('=');
    if (eq <= 0) throw bad(item === '' ? 'empty item (stray comma?)' : `'${item}' is not opt=value`, 'separate options with single commas, each as name=value');
    const name = item.slice(0, eq);
    const value = item.slice(eq + 1);
    if (seen.has(name) && name !== 'hostfwd') throw bad(`option '${name}' given twice`, 'give each option once (only hostfwd repeats)');
    seen.add(name);
    switch (name) {
      case 'model':
        if (!(NIC_MODELS as readonly string[]).includes(value)) throw bad(`unknown model '${value}'`, `use model=${NIC_MODELS.join(' or model=')}`);
        model = value as NicModel;
        break;
      case 'mac':
        if (!/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i.test(value)) throw bad(`mac '${value}' is not six hex bytes`, 'write mac=52:54:00:12:34:57');
        if (Number.parseInt(value.slice(0, 2), 16) & 1) throw bad(`mac '${value}' is a multicast address`, 'the first byte must be even, e.g. 52:54:00:12:34:57');
        mac = value.toLowerCase();
        break;
      case 'listen':
      case 'connect':
        if (type !== 'socket') throw bad(`'${name}' is an option of --nic socket`, 'for port forwarding into a user network write hostfwd=tcp::HOSTPORT-:GUESTPORT');
        if (socket) throw bad('give either listen= or connect=, not both', 'one end listens (listen=:5555), the other connects (connect=127.0.0.1:5555)');
        socket = { mode: name, ...parseHostPort(value, name === 'listen', (w) => bad(`${name}=${value}: ${w}`, `write ${name}=${name === 'listen' ? ':5555 or 127.0.0.1:5555' : '127.0.0.1:5555'}`)) };
        break;
      case 'hostfwd':
        if (type !== 'user') throw bad("'hostfwd' is an option of --nic user", 'write --nic user,hostfwd=tcp::8080-:80');
        hostfwd.push(parseHostForward(value, (w) => bad(`hostfwd=${value}: ${w}`, 'write hostfwd=tcp:[HOSTADDR]:HOSTPORT-:GUESTPORT, e.g. hostfwd=tcp::8080-:80 or hostfwd=tcp:127.0.0.1:2222-:22')));
        break;
      case 'restrict':
        if (type !== 'user') throw bad("'restrict' is an option of --nic user", 'drop it, or use --nic user,restrict=on');
        if (!['on', 'off', 'yes', 'no'].includes(value)) throw bad(`restrict=${value}`, 'write restrict=on or restrict=off');
        restrict = value === 'on' || value === 'yes';
        break;
      default:
        throw bad(`unknown option '${name}'`, type === 'socket' ? 'socket takes listen=, connect=, model=, mac=' : 'user takes hostfwd=, restrict=, model=, mac=');
    }
  }
  const base: NicBase = { source: text, ...(model ? { model } : {}), ...(mac ? { mac } : {}) };
  if (type === 'socket') {
    if (!socket) throw bad('needs listen=ADDR:PORT or connect=ADDR:PORT', 'e.g. --nic socket,listen=:5555 in one boot and --nic socket,connect=127.0.0.1:5555 in the other');
    return { ...base, type, socket };
  }
  return { ...base, type: 'user', user: { hostfwd, restrict: restrict ?? false } };
}

function parsePort(text: string, allowZero: boolean): number | undefined {
  if (!/^\d{1,5}$/.test(text)) return undefined;
  const n = Number(text);
  return n <= 65535 && (allowZero || n > 0) ? n : undefined;
}

function parseHostPort(text: string, emptyHostOk: boolean, bad: (what: string) => Error): { host: string; port: number } {
  const colon = text.lastIndexOf(':');
  if (colon < 0) throw bad('missing :PORT');
  const host = text.slice(0, colon);
  const port = parsePort(text.slice(colon + 1), false);
  if (port === undefined) throw bad(`'${text.slice(colon + 1)}' is not a port (1-65535)`);
  if (host === '' && !emptyHostOk) throw bad('missing the address to connect to');
  if (host !== '' && !/^[0-9A-Za-z.\-]+$/.test(host)) throw bad(`'${host}' is not a host name or IPv4 address`);
  return { host: host === '' ? LOOPBACK : host, port };
}

function parseHostForward(text: string, bad: (what: string) => Error): HostForward {
  // tcp:[HOSTADDR]:HOSTPORT-[GUESTADDR]:GUESTPORT (QEMU allows a guest address; the user network has one guest)
  const m = /^(tcp|udp)?:([^:]*):(\d+)-([^:]*):(\d+)$/.exec(text);
  if (!m) throw bad('not in the form tcp:[HOSTADDR]:HOSTPORT-:GUESTPORT');
  if (m[1] === 'udp') throw bad('only tcp forwards are supported');
  const hostPort = parsePort(m[3]!, true);
  const guestPort = parsePort(m[5]!, false);
  if (hostPort === undefined) throw bad(`host port '${m[3]}' is not 0-65535`);
  if (guestPort === undefined) throw bad(`guest port '${m[5]}' is not 1-65535`);
  if (m[4] !== '' && m[4] !== '10.0.2.15') throw bad(`guest address '${m[4]}': the user network's guest is 10.0.2.15`);
  const hostAddress = m[2] === '' ? LOOPBACK : m[2]!;
  if (!/^[0-9A-Za-z.\-]+$/.test(hostAddress)) throw bad(`'${hostAddress}' is not a host name or IPv4 address`);
  return { protocol: 'tcp', hostAddress, hostPort, guestPort };
}

/** The NIC model a board uses when --nic names none (QEMU: virtio on virt, the board's own NIC on or1k-sim). */
export function defaultNicModel(board: string | undefined): NicModel {
  return board === 'or1k-sim' ? 'ethoc' : 'virtio-net-device';
}

/** QEMU gives the n-th NIC 52:54:00:12:34:56 + n. */
export function defaultMac(index: number): string {
  const last = (0x56 + index) & 0xff;
  return `52:54:00:12:34:${last.toString(16).padStart(2, '0')}`;
}
