/**
 * Two guests in one process, joined by an in-memory cable (emulator/net/cable.ts):
 * the real Linux drivers (virtio_net, ethoc) on our NIC models ping each other.
 * Deterministic: guest time only, so the transcripts repeat run to run.
 * Run: npx vitest run --project e2e test/e2e/net-cable.test.ts
 */
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { FileDisk } from '../../emulator/host/file-disk.ts';
import { createMachine } from '../../emulator/machine.ts';
import { createCable } from '../../emulator/net/cable.ts';
import { buildNetImage, consoleOf, guestPaths, pingTimes, runLockstep, type Guest } from './net/net-guest.ts';

let image: string;
let kernel: Uint8Array;

beforeAll(() => {
  kernel = readFileSync(guestPaths().kernel);
  image = buildNetImage();
});

function pair(model: string): { a: Guest; b: Guest } {
  const ends = createCable();
  const mk = (i: number): Guest => {
    const g = { output: '', input: '' } as Guest;
    g.machine = createMachine({
      kernel,
      cmdline: `console=ttyS0 root=/dev/vda rw mkrootfs.ip=10.0.0.${i + 1}`,
      rootDisk: new FileDisk(image),
      netdevs: { net0: ends[i]! },
      devices: [`${model},netdev=net0,mac=52:54:00:12:34:5${6 + i}`],
      serial: consoleOf(g),
    });
    return g;
  };
  return { a: mk(0), b: mk(1) };
}

function pingBetween(model: string): { a: Guest; b: Guest } {
  const { a, b } = pair(model);
  runLockstep([a, b], () => a.output.includes('rcS-DONE') && b.output.includes('rcS-DONE'), 30e9);
  expect(a.output).toContain('net: eth0 10.0.0.1 up');
  expect(b.output).toContain('net: eth0 10.0.0.2 up');
  a.input = '\nping -c 3 10.0.0.2; arp -n\n';
  runLockstep([a, b], () => /packets received[\s\S]*52:54:00:12:34:57/.test(a.output), 30e9);
  return { a, b };
}

describe('two guests on a cable', () => {
  it('virtio-net-device: ping 10.0.0.1 -> 10.0.0.2, ARP learns the peer\'s MAC', () => {
    const { a } = pingBetween('virtio-net-device');
    expect(a.output).toContain('3 packets transmitted, 3 packets received, 0% packet loss');
    expect(a.output).toMatch(/10\.0\.0\.2.*52:54:00:12:34:57/);
    const rtt = pingTimes(a.output);
    expect(rtt.length).toBe(3);
    console.log(`virtio-net cable ping RTT (guest ms): ${rtt.join(', ')}`);
  });

  it('ethoc (--device ethoc on virt): Linux finds the PHY, the link comes up, the guests ping', () => {
    const { a, b } = pingBetween('ethoc');
    expect(a.output).toMatch(/ethoc 92000000\.ethoc eth0: Link is Up - 100Mbps\/Full/);
    expect(a.output).toContain('3 packets transmitted, 3 packets received, 0% packet loss');
    expect(b.output).toMatch(/ethoc 92000000\.ethoc eth0: Link is Up/);
    console.log(`ethoc cable ping RTT (guest ms): ${pingTimes(a.output).join(', ')}`);
  });

  for (const model of ['virtio-net-device', 'ethoc']) {
    it(`${model}: a 2 MiB TCP stream (dd | nc) reaches the receiver; throughput in guest and wall time`, () => {
      const { a, b } = pair(model);
      runLockstep([a, b], () => a.output.includes('rcS-DONE') && b.output.includes('rcS-DONE'), 30e9);
      const nic = (g: Guest): { stats: { rxBytes: number; txBytes: number } } =>
        [...g.machine.root.walk()].find((o) => o.typeName === model)!.instance as { stats: { rxBytes: number; txBytes: number } };
      b.input = '\nnc -l -p 5000 >/dev/null\n';
      runLockstep([a, b], () => false, b.machine.nowNs() + 0.5e9);
      const bytes = 2 << 20;
      a.input = `\ndd if=/dev/zero bs=1024 count=${bytes >> 10} 2>/dev/null | nc 10.0.0.2 5000\n`;
      const t0 = a.machine.nowNs();
      const w0 = performance.now();
      const rx0 = nic(b).stats.rxBytes;
      // busybox nc does not close on end of input: done when the payload (plus TCP/IP headers) has arrived.
      runLockstep([a, b], () => nic(b).stats.rxBytes - rx0 >= bytes, t0 + 120e9);
      const guestS = (a.machine.nowNs() - t0) / 1e9;
      const wallS = (performance.now() - w0) / 1000;
      expect(nic(b).stats.rxBytes - rx0).toBeGreaterThanOrEqual(bytes);
      expect(guestS).toBeLessThan(120);
      console.log(`${model} cable TCP: 2 MiB in ${guestS.toFixed(2)} guest s (${(2 / guestS).toFixed(2)} MiB/s), ${wallS.toFixed(1)} wall s (${(2 / wallS).toFixed(2)} MiB/s)`);
    });
  }

  it('is deterministic: the same run prints the same transcript', () => {
    const first = pingBetween('virtio-net-device').a.output;
    const second = pingBetween('virtio-net-device').a.output;
    expect(second).toBe(first);
  });
});
