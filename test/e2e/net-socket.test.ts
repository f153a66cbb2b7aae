/**
 * Networking across processes, on loopback only: two `mkrootfs boot`
 * processes joined by --nic socket ping each other (virtio-net, then ethoc),
 * one side writing --net-dump, read back by tshark; and our guest pings a
 * guest of qemu-system-or1k -M virt joined with `-netdev socket` (the
 * oracle for our framing, our NIC and our ARP/ICMP frames).
 * Run: npx vitest run --project e2e test/e2e/net-socket.test.ts
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildNetImage, guestPaths, pingTimes, ROOT } from './net/net-guest.ts';

const work = mkdtempSync(join(tmpdir(), 'net-socket-'));
let image: string;
let kernel: string;
const children: ChildProcess[] = [];

beforeAll(() => {
  kernel = guestPaths().kernel;
  image = buildNetImage();
});
afterAll(() => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
});

/** A free loopback port (bound, read, released). */
async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

interface Done { code: number | null; out: string; err: string }

function bootProcess(name: string, ip: string, args: string[]): { child: ChildProcess; done: Promise<Done>; out: () => string } {
  const img = join(work, `${name}.img`);
  copyFileSync(image, img);
  const child = spawn(process.execPath, [join(ROOT, 'bin/boot.js'), img, '--kernel', kernel, '--append', `console=ttyS0 root=/dev/vda rw mkrootfs.ip=${ip}`, '--timeout', '600', ...args], { cwd: work });
  children.push(child);
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => { out += d.toString('latin1'); });
  child.stderr!.on('data', (d: Buffer) => { err += d.toString('latin1'); });
  const done = new Promise<Done>((resolve) => child.on('close', (code) => resolve({ code, out, err })));
  return { child, done, out: () => out };
}

async function waitFor(cond: () => boolean, what: string, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Ping until the peer answers once (ARP resolved, peer up), then N counted pings. */
const pingScript = (peer: string, n: number): string[] => ['--expect', 'rcS-DONE', '--send', `until ping -c 1 -W 1 ${peer} >/dev/null; do :; done; ping -c ${n} ${peer}`, '--expect', `${n} packets received`];
/** After its own pings, stay on the link long enough for the peer's (the marker is computed, so the echoed command line does not match). */
const linger = ['--send', 'sleep 15; echo LINGER-$((40+2))', '--expect', 'LINGER-42'];

async function pingPair(model: string): Promise<{ a: Done; b: Done; pcap: string }> {
  const port = await freePort();
  const pcap = join(work, `${model}.pcap`);
  const a = bootProcess(`a-${model}`, '10.0.0.1', ['--nic', `socket,listen=127.0.0.1:${port},model=${model}`, '--net-dump', pcap, ...pingScript('10.0.0.2', 5), ...linger]);
  await waitFor(() => a.out().includes('Run /sbin/init') || a.child.exitCode !== null, 'the listening boot to start its kernel', 300_000);
  const b = bootProcess(`b-${model}`, '10.0.0.2', ['--nic', `socket,connect=127.0.0.1:${port},model=${model},mac=52:54:00:12:34:57`, ...pingScript('10.0.0.1', 5), ...linger]);
  const [ra, rb] = await Promise.all([a.done, b.done]);
  return { a: ra, b: rb, pcap };
}

function tshark(pcap: string, filter: string, fields: string[]): string[] {
  const r = spawnSync('tshark', ['-r', pcap, '-Y', filter, '-T', 'fields', ...fields.flatMap((f) => ['-e', f])], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`tshark -r ${pcap} failed: ${r.stderr}`);
  return r.stdout.split('\n').filter(Boolean);
}

describe('--nic socket between two mkrootfs boots', () => {
  for (const model of (process.env.NET_MODELS ?? 'virtio-net-device,ethoc').split(',')) {
    it(`${model}: both guests ping each other; the pcap shows ARP and ICMP both ways`, async () => {
      const { a, b, pcap } = await pingPair(model);
      expect(a.code, a.err + a.out.slice(-1500)).toBe(0);
      expect(b.code, b.err + b.out.slice(-1500)).toBe(0);
      expect(a.out).toContain('5 packets transmitted, 5 packets received, 0% packet loss');
      expect(b.out).toContain('5 packets transmitted, 5 packets received, 0% packet loss');
      console.log(`${model} socket ping RTT (ms): a→b ${pingTimes(a.out).join(', ')}; b→a ${pingTimes(b.out).join(', ')}`);
      // ARP: a request from each side's address, answered with the right MAC.
      const arp = tshark(pcap, 'arp', ['arp.opcode', 'arp.src.hw_mac', 'arp.src.proto_ipv4', 'arp.dst.proto_ipv4']);
      expect(arp).toContain('1\t52:54:00:12:34:56\t10.0.0.1\t10.0.0.2');
      expect(arp).toContain('2\t52:54:00:12:34:57\t10.0.0.2\t10.0.0.1');
      // ICMP echo: requests and replies both ways, each request answered.
      const icmp = tshark(pcap, 'icmp', ['ip.src', 'ip.dst', 'icmp.type']);
      const count = (line: string): number => icmp.filter((l) => l === line).length;
      expect(count('10.0.0.1\t10.0.0.2\t8')).toBeGreaterThanOrEqual(6);
      expect(count('10.0.0.2\t10.0.0.1\t0')).toBeGreaterThanOrEqual(6);
      expect(count('10.0.0.2\t10.0.0.1\t8')).toBeGreaterThanOrEqual(6);
      expect(count('10.0.0.1\t10.0.0.2\t0')).toBeGreaterThanOrEqual(6);
      // Timestamps are guest time (SOURCE_DATE_EPOCH unset: from 1970), never the host clock.
      const times = tshark(pcap, 'frame', ['frame.time_epoch']).map(Number);
      expect(Math.max(...times)).toBeLessThan(3600);
      expect(times).toEqual([...times].sort((x, y) => x - y));
    });
  }
});

describe('against QEMU (qemu-system-or1k -M virt -netdev socket)', () => {
  for (const model of (process.env.NET_MODELS ?? 'virtio-net-device,ethoc').split(',')) it(`our guest (${model}, listening) and a QEMU guest (virtio-net, connecting) ping each other`, async () => {
    const port = await freePort();
    const ours = bootProcess(`ours-${model}`, '10.0.0.1', ['--nic', `socket,listen=127.0.0.1:${port},model=${model}`, ...pingScript('10.0.0.3', 5), ...linger]);
    await waitFor(() => ours.out().includes('Run /sbin/init') || ours.child.exitCode !== null, 'our boot to start its kernel', 300_000);
    const copy = join(work, `qemu-${model}.img`);
    copyFileSync(image, copy);
    const qemu = spawn('qemu-system-or1k', [
      '-M', 'virt', '-cpu', 'any', '-m', '128', '-kernel', kernel,
      '-append', 'console=ttyS0 root=/dev/vda rw mkrootfs.ip=10.0.0.3',
      '-drive', `if=none,file=${copy},format=raw,id=hd0`, '-device', 'virtio-blk-device,drive=hd0',
      '-netdev', `socket,id=n0,connect=127.0.0.1:${port}`, '-device', 'virtio-net-device,netdev=n0,mac=52:54:00:12:34:58',
      '-nographic', '-no-reboot',
    ], { cwd: work });
    children.push(qemu);
    let qout = '';
    qemu.stdout!.on('data', (d: Buffer) => { qout += d.toString('latin1'); });
    await waitFor(() => qout.includes('rcS-DONE'), 'the QEMU guest to come up', 300_000);
    qemu.stdin!.write('\nuntil ping -c 1 -W 1 10.0.0.1 >/dev/null; do :; done; ping -c 5 10.0.0.1; echo QEMU-PING-DONE\n');
    const r = await ours.done;
    await waitFor(() => qout.includes('QEMU-PING-DONE') || qemu.exitCode !== null, 'the QEMU guest\'s pings', 120_000);
    qemu.kill('SIGKILL');
    expect(r.code, r.err).toBe(0);
    expect(r.out).toContain('5 packets transmitted, 5 packets received, 0% packet loss');
    expect(qout).toContain('5 packets transmitted, 5 packets received, 0% packet loss');
    console.log(`${model}: ours→QEMU RTT (ms, our guest time): ${pingTimes(r.out).join(', ')}; QEMU→ours (QEMU guest time): ${pingTimes(qout).join(', ')}`);
  });
});
