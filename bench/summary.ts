/**
 * The one table `npm run bench` ends with: "mkrootfs vs peers (this run)".
 * Bench modules return their rows as data (`SummaryRow`); bench/run.ts
 * gathers them, prints the table and writes it to out/bench/summary.md and
 * out/bench/summary.json. Rows a module could not measure say why (`note`);
 * rows skipped on purpose (a peer or input missing) are listed under the
 * table. Speed is reported here, never asserted in a test.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cpus, loadavg } from 'node:os';

export interface SummaryRow {
  /** What was measured, e.g. "boot spawn → banner (busybox recipe)". */
  measurement: string;
  /** Our value (ms, or MIPS when unit is 'MIPS'); null when not measured. */
  ours: number | null;
  unit: 'ms' | 'MIPS';
  /** The peer it is compared with ("qemu-system-or1k -M virt", "node -e", ...); '' for none. */
  peer: string;
  peerValue: number | null;
  /** A second peer, as for ext2 (genext2fs next to mke2fs). */
  other?: { peer: string; value: number | null };
  /** Why a value is missing, or what to know about it. */
  note?: string;
}

export interface Skipped { measurement: string; reason: string }

/** Rows and skips a bench module hands back from `run()`. */
export interface BenchResult { rows: SummaryRow[]; skipped?: Skipped[] }

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length === 0 ? Number.NaN : s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

const num = (x: number | null | undefined): x is number => typeof x === 'number' && Number.isFinite(x);

function value(x: number | null | undefined, unit: SummaryRow['unit']): string {
  if (!num(x)) return 'n/a';
  if (unit === 'MIPS') return `${x.toFixed(1)} MIPS`;
  return x >= 10_000 ? `${(x / 1000).toFixed(2)} s` : `${x.toFixed(1)} ms`;
}

/** ours / peer: for times above 1 means slower than the peer; for MIPS above 1 means faster. */
export function ratio(ours: number | null | undefined, peer: number | null | undefined): number | null {
  return num(ours) && num(peer) && peer !== 0 ? ours / peer : null;
}

const ratioText = (r: number | null): string => (r === null ? 'n/a' : `${r.toFixed(2)}x`);

export function formatSummary(rows: SummaryRow[], skipped: Skipped[]): string {
  const cell = (s: string): string => s.replace(/\|/g, '\\|');
  const lines = [
    '## mkrootfs vs peers (this run)',
    '',
    '| measurement | mkrootfs | peer | peer value | ratio | other peer |',
    '|---|---|---|---|---|---|',
    ...rows.map((r) => {
      const other = r.other ? `${r.other.peer}: ${value(r.other.value, r.unit)} (${ratioText(ratio(r.ours, r.other.value))})` : '';
      const ours = value(r.ours, r.unit) + (r.note ? ` (${r.note})` : '');
      return `| ${[r.measurement, ours, r.peer || '—', r.peer ? value(r.peerValue, r.unit) : '—', ratioText(ratio(r.ours, r.peerValue)), other].map(cell).join(' | ')} |`;
    }),
  ];
  if (rows.length === 0) lines.push('| (no rows: the selected benches report none) | | | | | |');
  lines.push('', 'ratio = mkrootfs / peer: for times below 1 is faster than the peer, for MIPS above 1 is. Medians; run counts in each bench\'s own output above.');
  for (const s of skipped) lines.push(`skipped: ${s.measurement}: ${s.reason}`);
  return lines.join('\n');
}

/** Prints the table and writes out/bench/summary.md and summary.json under `root`; returns the paths. */
export function writeSummary(root: string, rows: SummaryRow[], skipped: Skipped[], meta: { filters: string[]; modules: string[]; failed: string[] }): { md: string; json: string; text: string } {
  const dir = join(root, 'out', 'bench');
  mkdirSync(dir, { recursive: true });
  const text = formatSummary(rows, skipped);
  const md = join(dir, 'summary.md');
  const json = join(dir, 'summary.json');
  writeFileSync(md, text + '\n');
  const host = { node: process.version, cpus: cpus().length, cpuModel: cpus()[0]?.model ?? 'unknown', loadavg: loadavg() };
  writeFileSync(json, JSON.stringify({
    host, ...meta,
    rows: rows.map((r) => ({ ...r, ratio: ratio(r.ours, r.peerValue), otherRatio: r.other ? ratio(r.ours, r.other.value) : undefined })),
    skipped,
  }, null, 2) + '\n');
  return { md, json, text };
}
