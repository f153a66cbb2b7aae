/** `--net-dump FILE`: a pcap file on the host, written as frames pass (emulator/net/pcap.ts formats them). */
import { closeSync, openSync, writeSync } from 'node:fs';
import { PcapWriter } from '../../net/pcap.ts';

export class PcapFile {
  readonly writer: PcapWriter;
  private fd: number;

  /** Creates (truncates) `path`; throws the OS error if it cannot. */
  constructor(readonly path: string, options: { epochSeconds?: number } = {}) {
    this.fd = openSync(path, 'w', 0o644);
    this.writer = new PcapWriter({
      epochSeconds: options.epochSeconds,
      sink: (bytes) => {
        if (this.fd < 0) return;
        try {
          writeSync(this.fd, bytes);
        } catch {
          // A full disk stops the dump (as QEMU's filter-dump), never the guest.
          this.close();
        }
      },
    });
  }

  close(): void {
    if (this.fd < 0) return;
    closeSync(this.fd);
    this.fd = -1;
  }
}
