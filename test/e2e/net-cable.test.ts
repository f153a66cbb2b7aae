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

  it('is deterministic: the same run prints the same transcript', () => {
    const first = pingBetween('virtio-net-device').a.output;
    const second = pingBetween('virtio-net-device').a.output;
    expect(second).toBe(first);
  });
});
