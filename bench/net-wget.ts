/**
 * Throughput and latency of the user-mode network with a real guest:
 * `npx tsx bench/net-wget.ts IMAGE [--mb=10] [--no-qemu]` boots IMAGE (an image
 * whose rcS prints rcS-DONE and leaves a console shell, e.g. the network e2e
 * tests' image) on virtio-net + `UserNet`, runs `ping -c 5 10.0.2.2` and
 * `wget -O /dev/null` of MB megabytes from a host HTTP server on 127.0.0.1
 * (via 10.0.2.2), then the same under qemu-system-or1k -M virt -netdev user.
 * Prints one JSON line: MB/s (wall clock from typing the command to its
 * marker) and ping RTTs (guest ms) for each.
 */
import { spawn } from 'node:child_process';
import { copyFileSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { FileDisk } from '../emulator/host/file-disk.ts';
import { machineTarget } from '../emulator/host/machine-target.ts';
import { NodeHostNet } from '../emulator/host/net/user-host.ts';
import { runMachine } from '../emulator/host/runner.ts';
import { createMachine } from '../emulator/machine.ts';
import { UserNet } from '../emulator/net/user-net.ts';
import { guestVar } from '../src/guest/vars.ts';

const args = process.argv.slice(2);
const image = args.find((a) => !a.startsWith('--'));
if (!image) throw new Error('usage: net-wget.ts IMAGE [--mb=10] [--no-qemu]');
const mb = Number(args.find((a) => a.startsWith('--mb='))?.slice(5) ?? 10);
const kernelPath = process.env.MKROOTFS_TEST_KERNEL ?? await guestVar('kernel', { env: process.env, build: false });
const size = mb * 1024 * 1024;
const body = Buffer.alloc(size, 0x5a);
const server = createServer((_req, res) => { res.writeHead(200, { 'content-length': size }); res.end(body); });
await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
const port = (server.address() as { port: number }).port;

/** Console driver: feed() output, send() lines, until() a marker. */
function driver(write: (s: string) => void) {
  let out = '';
  let waiter: { re: RegExp; resolve: (s: string) => void } | undefined;
  const check = (): void => {
    const m = waiter && waiter.re.exec(out);
    if (m && waiter) { const w = waiter; waiter = undefined; const s = out.slice(0, m.index + m[0].length); out = out.slice(m.index + m[0].length); w.resolve(s); }
  };
  return {
    feed(s: string) { out += s.replace(/\r/g, ''); check(); },
    send: (line: string) => write(line + '\n'),
    until(re: RegExp): Promise<string> { return new Promise((resolve) => { waiter = { re, resolve }; check(); }); },
  };
}

async function script(c: ReturnType<typeof driver>): Promise<{ mbps: number; rttMs: number[] }> {
  await c.until(/rcS-DONE[\s\S]*# $/);
  c.send('ifconfig eth0 10.0.2.15 netmask 255.255.255.0 up; route add default gw 10.0.2.2; ping -c 5 10.0.2.2; echo PING-$((40+2))');
  const ping = await c.until(/PING-42\n/);
  const rttMs = [...ping.matchAll(/time=([0-9.]+) ms/g)].map((m) => Number(m[1]));
  const t0 = performance.now();
  c.send(`wget -q -O /dev/null http://10.0.2.2:${port}/big && echo BIG-$((40+2))`);
  await c.until(/BIG-42\n/);
  return { mbps: Number((size / 1e6 / ((performance.now() - t0) / 1000)).toFixed(2)), rttMs };
}

async function ours(): Promise<{ mbps: number; rttMs: number[] }> {
  const net = new UserNet({ host: new NodeHostNet() });
  let input = '';
  const c = driver((s) => { input += s; });
  const m = createMachine({
    kernel: new Uint8Array(readFileSync(kernelPath)), cmdline: 'console=ttyS0 root=/dev/vda rw',
    rootDisk: new FileDisk(image!), netdevs: { net0: net }, devices: ['virtio-net-device,netdev=net0'],
    serial: { write: (b: number) => c.feed(String.fromCharCode(b)) },
  });
  let done = false;
  const run = runMachine(machineTarget(m), {
    takeInput: () => { const b = Uint8Array.from(input, (ch) => ch.charCodeAt(0)); input = ''; return b; },
    afterSlice: () => done,
  });
  const r = await script(c);
  done = true;
  await run;
  net.close();
  return r;
}

async function qemu(): Promise<{ mbps: number; rttMs: number[] }> {
  const copy = `${image}.bench-qemu`;
  copyFileSync(image!, copy);
  const q = spawn('qemu-system-or1k', ['-M', 'virt', '-cpu', 'any', '-m', '128', '-kernel', kernelPath, '-append', 'console=ttyS0 root=/dev/vda rw',
    '-drive', `if=none,file=${copy},format=raw,id=hd0`, '-device', 'virtio-blk-device,drive=hd0',
    '-netdev', 'user,id=n0', '-device', 'virtio-net-device,netdev=n0', '-nographic', '-no-reboot'], { stdio: ['pipe', 'pipe', 'inherit'] });
  const c = driver((s) => q.stdin.write(s));
  q.stdout.on('data', (d: Buffer) => c.feed(d.toString('latin1')));
  try {
    return await script(c);
  } finally {
    q.kill('SIGKILL');
  }
}

const result: Record<string, unknown> = { mb, mkrootfs: await ours() };
if (!args.includes('--no-qemu')) result.qemu = await qemu();
server.close();
console.log(JSON.stringify(result));
