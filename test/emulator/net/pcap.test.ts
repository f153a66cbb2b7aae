/** pcap output (QEMU filter-dump's format) read back by tshark, the independent oracle. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DumpBackend, PcapWriter, pcapFileHeader } from '../../../emulator/net/pcap.ts';
import { RecordingBackend } from './fake-backend.ts';

/** An ARP request from 10.0.0.1 (52:54:00:12:34:56) for 10.0.0.2. */
function arpRequest(): Uint8Array {
  return Uint8Array.from([
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x52, 0x54, 0x00, 0x12, 0x34, 0x56, 0x08, 0x06,
    0x00, 0x01, 0x08, 0x00, 6, 4, 0x00, 0x01,
    0x52, 0x54, 0x00, 0x12, 0x34, 0x56, 10, 0, 0, 1,
    0, 0, 0, 0, 0, 0, 10, 0, 0, 2,
  ]);
}

describe('pcap dump', () => {
  it('has QEMU filter-dump\'s header: magic a1b2c3d4 (little-endian file), v2.4, snaplen 65536, ethernet', () => {
    expect(Array.from(pcapFileHeader())).toEqual([0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1, 0, 0, 0]);
  });

  it('records both directions with guest-time timestamps; tshark reads the frames back', () => {
    const chunks: Uint8Array[] = [];
    let now = 1_500_000_123; // ns
    const writer = new PcapWriter({ sink: (b) => chunks.push(b.slice()), clock: () => now, epochSeconds: 1_700_000_000 });
    const inner = new RecordingBackend();
    const dump = new DumpBackend(inner, writer);
    const got: Uint8Array[] = [];
    dump.attach({ canReceive: () => true, receive: (f) => { got.push(f); return true; } });
    dump.send(arpRequest());
    now = 2_000_000_000;
    const reply = arpRequest();
    reply.set([0x52, 0x54, 0x00, 0x12, 0x34, 0x56, 0x52, 0x54, 0x00, 0x12, 0x34, 0x57], 0);
    reply[21] = 2;
    reply.set([0x52, 0x54, 0x00, 0x12, 0x34, 0x57, 10, 0, 0, 2, 0x52, 0x54, 0x00, 0x12, 0x34, 0x56, 10, 0, 0, 1], 22);
    inner.deliver(reply);
    expect(inner.sent.length).toBe(1);
    expect(got.length).toBe(1);
    expect(writer.frames).toBe(2);
    const file = join(mkdtempSync(join(tmpdir(), 'pcap-')), 'x.pcap');
    writeFileSync(file, Buffer.concat(chunks));
    const r = spawnSync('tshark', ['-r', file, '-T', 'fields', '-e', 'frame.time_epoch', '-e', 'eth.src', '-e', 'arp.opcode', '-e', 'arp.src.proto_ipv4', '-e', 'arp.dst.proto_ipv4'], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.trim().split('\n')).toEqual([
      '1700000001.500000000\t52:54:00:12:34:56\t1\t10.0.0.1\t10.0.0.2',
      '1700000002.000000000\t52:54:00:12:34:57\t2\t10.0.0.2\t10.0.0.1',
    ]);
  });
});
