/**
 * The console transcript of a boot: every byte the guest wrote, kept whole
 * (for `out/boot.log` and `--json`) and as a short window of the last lines
 * (shown when a boot fails). Bytes are held as a latin1 string, one char per
 * byte, so nothing is lost or re-encoded.
 */
export class Transcript {
  private readonly chunks: string[] = [];
  private length = 0;
  private readonly keepLines: number;
  /** Completed lines, newest last, at most `keepLines`. */
  private readonly recent: string[] = [];
  private openLine = '';

  constructor(keepLines = 20) {
    this.keepLines = keepLines;
  }

  append(bytes: string): void {
    if (bytes.length === 0) return;
    this.chunks.push(bytes);
    this.length += bytes.length;
    let start = 0;
    for (;;) {
      const nl = bytes.indexOf('\n', start);
      if (nl < 0) break;
      this.pushLine(this.openLine + bytes.slice(start, nl));
      this.openLine = '';
      start = nl + 1;
    }
    this.openLine += bytes.slice(start);
    if (this.openLine.length > 8192) this.openLine = this.openLine.slice(-8192);
  }

  get byteLength(): number {
    return this.length;
  }

  /** The whole transcript as bytes (one char per byte). */
  text(): string {
    if (this.chunks.length > 1) {
      const all = this.chunks.join('');
      this.chunks.length = 0;
      this.chunks.push(all);
    }
    return this.chunks[0] ?? '';
  }

  /** The last `n` lines (the unfinished one included), without CR/LF, printable. */
  lastLines(n = this.keepLines): string[] {
    const lines = this.openLine.length > 0 ? [...this.recent, this.openLine] : [...this.recent];
    return lines.slice(-n).map(printable);
  }

  private pushLine(line: string): void {
    this.recent.push(line);
    if (this.recent.length > this.keepLines) this.recent.shift();
  }
}

/** Decodes console bytes as UTF-8 for display, dropping CR and escaping other controls. */
export function printable(bytes: string): string {
  const u8 = Uint8Array.from(bytes, (c) => c.charCodeAt(0) & 0xff);
  const s = new TextDecoder('utf-8', { fatal: false }).decode(u8);
  // eslint-disable-next-line no-control-regex
  return s.replace(/\r/g, '').replace(/[\x00-\x08\x0b-\x1f\x7f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}
