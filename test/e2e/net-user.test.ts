/**
 * The user-mode network with a real guest: the cached or1k Linux + busybox on
 * our virtio-net-device, joined to `UserNet` with Node host sockets. The same
 * console script then runs in qemu-system-or1k -M virt -nic user (the oracle).
 * Loopback only: the host HTTP server listens on 127.0.0.1, forwards bind
 * 127.0.0.1.
 * Run: npx vitest run --project e2e test/e2e/net-user.test.ts
 */
import { execFile, spawn } from 'node:child_process';
import { copyFileSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createServer as createTcpServer } from 'node:net';
import { promisify } from 'node:util';
import { lookup } from 'node:dns';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FileDisk } from '../../emulator/host/file-disk.ts';
import { machineTarget } from '../../emulator/host/machine-target.ts';
import { NodeHostNet } from '../../emulator/host/net/user-host.ts';
import { runMachine } from '../../emulator/host/runner.ts';
import { createMachine } from '../../emulator/machine.ts';
import { UserNet } from '../../emulator/net/user-net.ts';
import { buildNetImage, guestPaths, pingTimes } from './net/net-guest.ts';

const run = promisify(execFile);
const BIG = 10 * 1024 * 1024;
const PAGE = 'hello from the host, via 10.0.2.2\n';
const GUEST_PAGE = 'served by busybox httpd in the guest\n';

let image: string;
let kernel: string;
let server: Server;
let httpPort = 0;
const results: Record<string, string> = {};

async function freePort(): Promise<number> {
  const s = createTcpServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

beforeAll(async () => {
  kernel = guestPaths().kernel;
  image = buildNetImage();
  const big = Buffer.alloc(BIG, 0x5a);
  server = createServer((req, res) => {
    if (req.url === '/big') {
      res.writeHead(200, { 'content-length': BIG });
      res.end(big);
    } else {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end(PAGE);
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  httpPort = (server.address() as { port: number }).port;
});

afterAll(() => {
  server?.close();
  console.log(`user network results:\n${Object.entries(results).map(([k, v]) => `  ${k}: ${v}`).join('\n')}`);
});

const dnsLookup = promisify(lookup);

/** A console driver: sends a line, waits for a pattern in the output that follows. */
interface Console {
  output(): string;
  send(line: string): void;
  waitFor(re: RegExp, ms: number): Promise<string>;
}

/** The script both emulators run. `hostPort` forwards to the guest's port 8080. */
async function guestScript(c: Console, hostPort: number, label: string): Promise<void> {
  await c.waitFor(/rcS-DONE[\s\S]*# $/, 120_000);
  // udhcpc's hook: configure eth0 from the lease and print it.
  c.send(`echo '#!/bin/sh' > /tmp/d.sh; echo 'if [ "$1" = bound ]; then ifconfig $interface $ip netmask $subnet up; route add default gw $router; echo LEASE $ip $subnet $router $dns; fi' >> /tmp/d.sh; chmod +x /tmp/d.sh; echo HOOK-$((40+2))`);
  await c.waitFor(/HOOK-42\n/, 20_000);
  c.send('ifconfig eth0 up; udhcpc -i eth0 -n -q -s /tmp/d.sh');
  const lease = await c.waitFor(/LEASE .*\n[\s\S]*# $/, 60_000);
  expect(lease).toContain('LEASE 10.0.2.15 255.255.255.0 10.0.2.2 10.0.2.3');
  c.send('ping -c 3 10.0.2.2');
  const ping = await c.waitFor(/packets received.*\n/, 60_000);
  expect(ping).toContain('3 packets transmitted, 3 packets received, 0% packet loss');
  results[`${label} ping RTT to 10.0.2.2 (guest ms)`] = pingTimes(ping).join(', ');
  if (label.startsWith('mkrootfs')) {
    // DNS through 10.0.2.3 to the host's resolver (QEMU's forwards to the host's nameserver, which a sandbox may lack).
    // The oracle is the host's own resolver: the guest gets what it answers (a bare chroot without
    // /etc/hosts cannot resolve localhost: then the guest must get NXDOMAIN, not a timeout).
    const host = await dnsLookup('localhost', { family: 4, all: true }).then((a) => a.map((x) => x.address), () => [] as string[]);
    c.send('nslookup localhost 10.0.2.3; echo DNS-$((40+2))');
    const dns = await c.waitFor(/DNS-42\n/, 60_000);
    if (host.length > 0) expect(dns).toMatch(new RegExp(`Name:\\s+localhost\\s*\\nAddress:?\\s+${host[0]!.replace(/\./g, '\\.')}`));
    else expect(dns).toMatch(/NXDOMAIN/);
  }
  c.send(`wget -q -O - http://10.0.2.2:${httpPort}/hello; echo WGET-$((40+2))`);
  const page = await c.waitFor(/WGET-42\n/, 60_000);
  expect(page).toContain(PAGE.trim());
  const t0 = performance.now();
  c.send(`wget -q -O /dev/null http://10.0.2.2:${httpPort}/big && echo BIG-$((40+2))`);
  await c.waitFor(/BIG-42\n/, 300_000);
  const s = (performance.now() - t0) / 1000;
  results[`${label} 10 MB wget host->guest`] = `${(BIG / 1e6 / s).toFixed(2)} MB/s (${s.toFixed(2)} s wall)`;
  c.send(`mkdir -p /tmp/www; echo '${GUEST_PAGE.trim()}' > /tmp/www/index.html; httpd -p 8080 -h /tmp/www; echo HTTPD-$((40+2))`);
  await c.waitFor(/HTTPD-42\n/, 20_000);
  const { stdout } = await run('curl', ['-sS', '--max-time', '60', `http://127.0.0.1:${hostPort}/index.html`]);
  expect(stdout).toBe(GUEST_PAGE);
}

function makeConsole(write: (s: string) => void): Console & { feed(s: string): void } {
  let out = '';
  let mark = 0;
  let waiter: { re: RegExp; resolve: (s: string) => void } | undefined;
  const check = (): void => {
    if (!waiter) return;
    const tail = out.slice(mark);
    const m = waiter.re.exec(tail);
    if (m) {
      const w = waiter;
      waiter = undefined;
      mark += m.index + m[0].length;
      w.resolve(tail.slice(0, m.index + m[0].length));
    }
  };
  return {
    output: () => out,
    feed(s) {
      out += s.replace(/\r/g, '');
      check();
    },
    send(line) {
      write(line + '\n');
    },
    waitFor(re, ms) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`timed out waiting for ${re}; console tail:\n${out.slice(-1500)}`)), ms);
        waiter = { re, resolve: (s) => { clearTimeout(timer); resolve(s); } };
        check();
      });
    },
  };
}

describe('user network: a real guest', () => {
  it.each(['virtio-net-device', 'ethoc'])('mkrootfs emulator, %s: udhcpc, ping 10.0.2.2, wget from a host server, httpd answers curl through hostfwd', async (model) => {
    const hostPort = await freePort();
    const net = new UserNet({ host: new NodeHostNet(), hostfwd: [{ hostAddress: '127.0.0.1', hostPort, guestPort: 8080 }] });
    let input = '';
    const con = makeConsole((s) => { input += s; });
    const disk = new FileDisk(image);
    const machine = createMachine({
      kernel: readFileSync(kernel),
      cmdline: 'console=ttyS0 root=/dev/vda rw',
      rootDisk: disk,
      netdevs: { net0: net },
      devices: [`${model},netdev=net0`],
      serial: { write: (b: number) => con.feed(String.fromCharCode(b)) },
    });
    let stop = false;
    const running = runMachine(machineTarget(machine), {
      takeInput: () => {
        const bytes = Buffer.from(input, 'latin1');
        input = '';
        return new Uint8Array(bytes);
      },
      afterSlice: () => stop,
    });
    try {
      await guestScript(con, hostPort, `mkrootfs ${model}`);
      expect(net.attempts.some((a) => a.proto === 'tcp' && a.dst === '10.0.2.2' && a.port === httpPort && a.result === 'connected')).toBe(true);
    } finally {
      stop = true;
      await running;
      net.close();
    }
  });

  it('QEMU oracle: the same script under qemu-system-or1k -M virt -nic user', async () => {
    const hostPort = await freePort();
    const copy = `${image}.qemu`;
    copyFileSync(image, copy);
    const qemu = spawn('qemu-system-or1k', [
      '-M', 'virt', '-cpu', 'any', '-m', '128', '-kernel', kernel, '-append', 'console=ttyS0 root=/dev/vda rw',
      '-drive', `if=none,file=${copy},format=raw,id=hd0`, '-device', 'virtio-blk-device,drive=hd0',
      '-netdev', `user,id=n0,hostfwd=tcp:127.0.0.1:${hostPort}-:8080`, '-device', 'virtio-net-device,netdev=n0',
      '-nographic', '-no-reboot',
    ], { stdio: ['pipe', 'pipe', 'pipe'] });
    const con = makeConsole((s) => qemu.stdin.write(s));
    qemu.stdout.on('data', (d: Buffer) => con.feed(d.toString('latin1')));
    qemu.stderr.on('data', (d: Buffer) => con.feed(d.toString('latin1')));
    try {
      await guestScript(con, hostPort, 'qemu');
    } finally {
      qemu.kill('SIGKILL');
    }
  });
});
