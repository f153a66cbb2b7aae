/**
 * Configuration errors of the device model, found before the guest starts.
 * A plain Error subclass with a stable `code` (the emulator must not import
 * src/errors.ts; the CLI maps these to MkrootfsError, exit code 2).
 */
export type QomErrorCode =
  | 'bad-device-spec'
  | 'unknown-type'
  | 'abstract-type'
  | 'not-user-creatable'
  | 'unknown-property'
  | 'bad-property-value'
  | 'missing-property'
  | 'read-only-property'
  | 'duplicate-id'
  | 'missing-link-target'
  | 'link-in-use'
  | 'bad-cast'
  | 'bus-full'
  | 'no-free-bus'
  | 'irq-clash'
  | 'region-clash'
  | 'unknown-cpu'
  | 'initrd-too-big';

export class QomError extends Error {
  readonly code: QomErrorCode;
  readonly hint: string | undefined;
  readonly data: Record<string, unknown>;

  constructor(code: QomErrorCode, message: string, options: { hint?: string; data?: Record<string, unknown> } = {}) {
    super(message);
    this.name = 'QomError';
    this.code = code;
    this.hint = options.hint;
    this.data = options.data ?? {};
  }
}

/** Levenshtein distance (small strings: property and type names). */
export function editDistance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0]!;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = prev[j]!;
      prev[j] = Math.min(prev[j]! + 1, prev[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return prev[b.length]!;
}

/** The closest candidate, if close enough to be a likely typo. */
export function didYouMean(name: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of candidates) {
    const d = c.startsWith(name) || name.startsWith(c) ? Math.min(1, editDistance(name, c)) : editDistance(name, c);
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  const limit = Math.max(2, Math.floor(name.length / 3));
  return bestDistance <= limit ? best : undefined;
}
