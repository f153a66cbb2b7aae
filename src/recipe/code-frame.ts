/**
 * Renders a few lines of a source text around a position with a caret under
 * the column, like compilers do:
 *
 *     3 |   - path: /etc/motd
 *   > 4 |     mdoe: "0644"
 *       |     ^
 *
 * Long lines are cut to a window around the column, and line starts are
 * computed once per text, so a large recipe with many problems (or many
 * variable references) costs time linear in its size.
 */

/** Widest source line shown; longer ones show a window around the column. */
const MAX_SHOWN = 120;

let cachedText: string | undefined;
let cachedStarts: number[] = [];

/** Offsets at which the lines of `text` start (cached for the last text asked about). */
function lineStarts(text: string): number[] {
  if (text !== cachedText) {
    const starts = [0];
    for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
    cachedText = text;
    cachedStarts = starts;
  }
  return cachedStarts;
}

/** 1-based line and column of a 0-based offset in `text`. */
export function lineColAt(text: string, offset: number): { line: number; col: number } {
  const end = Math.max(0, Math.min(offset, text.length));
  const starts = lineStarts(text);
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid]! <= end) lo = mid;
    else hi = mid - 1;
  }
  return { line: lo + 1, col: end - starts[lo]! + 1 };
}

export function codeFrame(text: string, line: number, col: number, context = 2): string {
  const starts = lineStarts(text);
  let count = starts.length;
  if (count > 1 && starts[count - 1] === text.length) count--; // a final newline ends the last line
  const lineText = (n: number): string => {
    const end = n < starts.length ? starts[n]! - 1 : text.length;
    return text.slice(starts[n - 1]!, end).replace(/\r$/, '');
  };
  const first = Math.max(1, line - context);
  const last = Math.min(count, line + context);
  const width = String(last).length;
  // One window for every line shown, so that the caret stays under its column.
  const from = col - 1 > MAX_SHOWN - 20 ? col - 1 - (MAX_SHOWN >> 1) : 0;
  const out: string[] = [];
  for (let n = first; n <= last; n++) {
    let src = lineText(n).replace(/\t/g, ' ');
    if (src.length > from + MAX_SHOWN || from > 0) src = `${from > 0 ? '…' : ''}${src.slice(from, from + MAX_SHOWN)}${src.length > from + MAX_SHOWN ? '…' : ''}`;
    const gutter = `${n === line ? '>' : ' '} ${String(n).padStart(width)} | `;
    out.push((gutter + src).trimEnd());
    if (n === line) out.push(`  ${' '.repeat(width)} | ${' '.repeat(Math.max(0, col - 1 - from + (from > 0 ? 1 : 0)))}^`);
  }
  return out.join('\n');
}
