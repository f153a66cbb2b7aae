/**
 * Suggests the closest known word for a misspelt one: Levenshtein distance
 * with adjacent transpositions counted as one edit ("mdoe" → "mode").
 */

export function editDistance(a: string, b: string): number {
  if (a === b) return 0;
  const d: number[][] = [];
  for (let i = 0; i <= a.length; i++) d.push([i]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  }
  return d[a.length]![b.length]!;
}

/** Words longer than this get no suggestion: the distance costs length × length, and typos are short. */
const MAX_WORD = 64;

/** The candidate closest to `word` (case-insensitive), if it is close enough to be a likely typo. Candidates that are not strings (holes in a partly valid recipe) are skipped. */
export function didYouMean(word: string, candidates: Iterable<unknown>): string | undefined {
  if (typeof word !== 'string' || word.length > MAX_WORD) return undefined;
  let best: string | undefined;
  let bestD = Infinity;
  const w = word.toLowerCase();
  for (const c of candidates) {
    if (typeof c !== 'string' || c.length > MAX_WORD) continue;
    const d = editDistance(w, c.toLowerCase());
    if (d < bestD) { best = c; bestD = d; }
  }
  const limit = Math.max(1, Math.floor(word.length / 3));
  return best !== undefined && bestD <= limit ? best : undefined;
}

/** " (did you mean "x"?)"-style hint text, or undefined. */
export function suggestion(word: string, candidates: Iterable<unknown>): string | undefined {
  const s = didYouMean(word, candidates);
  return s === undefined ? undefined : `did you mean "${s}"?`;
}
