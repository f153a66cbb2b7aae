/**
 * Console patterns for boot checks. A pattern is plain text, matched as a
 * substring of the console stream (it may span chunk and line boundaries;
 * carriage returns are dropped first, so `\r\n` from the guest tty reads as
 * `\n`). A pattern written `re:EXPR` is a JavaScript regular expression tested
 * against each console line (the current incomplete line included).
 */
import { usageError } from '../errors.ts';

export interface Pattern {
  /** The pattern as the user wrote it (for messages). */
  readonly source: string;
  readonly kind: 'text' | 're';
  readonly text: string;
  readonly regex: RegExp | undefined;
}

export function parsePattern(source: string, what: string): Pattern {
  if (source.startsWith('re:')) {
    const expr = source.slice(3);
    if (expr.length === 0) throw usageError('BOOT_BAD_PATTERN', `empty regular expression in ${what} "${source}"`, 'write re:EXPR with a non-empty EXPR, or plain text');
    let regex: RegExp;
    try {
      regex = new RegExp(expr);
    } catch (err) {
      throw usageError('BOOT_BAD_PATTERN', `invalid regular expression in ${what} "${source}": ${(err as Error).message}`,
        'fix the expression, or drop the re: prefix to match plain text');
    }
    return { source, kind: 're', text: expr, regex };
  }
  if (source.length === 0) throw usageError('BOOT_BAD_PATTERN', `empty ${what} pattern`, `give ${what} a non-empty text`);
  return { source, kind: 'text', text: utf8ToLatin1(source.replace(/\r/g, '')), regex: undefined };
}

/** UTF-8 bytes of `s`, one char per byte (the form the console byte stream takes). */
export function utf8ToLatin1(s: string): string {
  // eslint-disable-next-line no-control-regex
  if (/^[\x00-\x7f]*$/.test(s)) return s;
  let out = '';
  for (const b of new TextEncoder().encode(s)) out += String.fromCharCode(b);
  return out;
}

/**
 * Incremental matcher for one pattern over a console stream. `feed` takes the
 * next piece of (CR-free) text and returns the index in that piece just after
 * the first match, or -1. After a match the matcher is spent; `reset` re-arms it.
 */
const MAX_LINE = 4096;

export class StreamMatcher {
  readonly pattern: Pattern;
  /** Text carried over from earlier pieces that a match could still start in. */
  private tail = '';

  constructor(pattern: Pattern) {
    this.pattern = pattern;
  }

  reset(): void {
    this.tail = '';
  }

  feed(piece: string): number {
    if (piece.length === 0) return -1;
    const p = this.pattern;
    if (p.kind === 'text') {
      const hay = this.tail + piece;
      const at = hay.indexOf(p.text);
      if (at >= 0) {
        const end = at + p.text.length - this.tail.length;
        this.tail = '';
        return end;
      }
      const keep = p.text.length - 1;
      this.tail = keep > 0 ? hay.slice(Math.max(0, hay.length - keep)) : '';
      return -1;
    }
    // Regular expression: tested against whole lines, the open line included.
    let start = 0;
    const carry = this.tail;
    while (start <= piece.length) {
      const nl = piece.indexOf('\n', start);
      const end = nl < 0 ? piece.length : nl;
      const line = (start === 0 ? carry : '') + piece.slice(start, end);
      const m = p.regex!.exec(line);
      if (m) {
        this.tail = '';
        const lineStartInPiece = start === 0 ? -carry.length : start;
        return Math.max(0, lineStartInPiece + m.index + m[0].length);
      }
      if (nl < 0) {
        // An endless line (no newline) keeps only its last MAX_LINE characters.
        this.tail = line.length > MAX_LINE ? line.slice(line.length - MAX_LINE) : line;
        return -1;
      }
      start = nl + 1;
    }
    this.tail = '';
    return -1;
  }
}
