/**
 * The host side of a serial port. The UART calls `write` for every byte the
 * guest transmits; the host pushes received bytes into the UART with
 * `Uart16550.input(bytes)` (which takes as many as the receive FIFO accepts,
 * so the host keeps the rest queued and offers them again later).
 */
export interface CharBackend {
  write(byte: number): void;
}

/** The chardev id of the console (QEMU's serial_hd(0)): the machine's `serial` backend, and its device is /chosen/stdout-path. */
export const CONSOLE_CHARDEV = 'serial0';

/** The device end of a serial port: takes host input bytes, returns how many it accepted. */
export interface CharFrontend {
  input(bytes: Uint8Array): number;
  /**
   * True while the guest has asked to be told about received bytes (a
   * 16550's IER receive interrupt: Linux sets it when a program opens the tty,
   * clears it on the last close). Piped host input waits for this, so bytes
   * sent before anyone reads are not dropped by the driver's FIFO resets.
   */
  listening?(): boolean;
}

/** A backend that keeps everything written (tests, headless capture). */
export class BufferCharBackend implements CharBackend {
  private bytes = new Uint8Array(4096);
  private length = 0;

  write(byte: number): void {
    if (this.length === this.bytes.length) {
      const grown = new Uint8Array(this.bytes.length * 2);
      grown.set(this.bytes);
      this.bytes = grown;
    }
    this.bytes[this.length++] = byte & 0xff;
  }

  /** Everything written so far. */
  data(): Uint8Array {
    return this.bytes.slice(0, this.length);
  }

  /** Everything written so far, as Latin-1 text. */
  text(): string {
    let s = '';
    for (let i = 0; i < this.length; i++) s += String.fromCharCode(this.bytes[i]!);
    return s;
  }

  clear(): void {
    this.length = 0;
  }
}
