/**
 * The ext2 rows of the summary, from bench/ext2.bench.ts's `ext2Rows()`
 * (mkrootfs against `mke2fs -t ext2 -d` and `genext2fs -d` per tree and block
 * size). A version of that bench without `ext2Rows` runs as before (its own
 * table) and the summary shows its rows as n/a.
 */
import type { BenchResult, SummaryRow } from './summary.ts';

export interface Ext2Row { tree: string; blockSize: number; oursMs: number; mke2fsMs: number; genext2fsMs: number | null }

const finite = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);

function isExt2Row(r: unknown): r is Ext2Row {
  const o = r as Partial<Ext2Row> | null;
  return typeof o === 'object' && o !== null && typeof o.tree === 'string' && finite(o.blockSize) && typeof o.oursMs === 'number' && typeof o.mke2fsMs === 'number';
}

export function ext2SummaryRows(rows: Ext2Row[]): SummaryRow[] {
  return rows.map((r) => ({
    measurement: `ext2 image, ${r.tree}, ${r.blockSize / 1024} KiB blocks`, unit: 'ms' as const,
    ours: r.oursMs, peer: 'mke2fs -t ext2 -d', peerValue: r.mke2fsMs,
    other: { peer: 'genext2fs -d', value: r.genext2fsMs ?? null },
  }));
}

/** Runs the ext2 bench module `mod` and returns its summary rows. */
export async function ext2Summary(mod: { run?: () => Promise<unknown>; ext2Rows?: unknown }): Promise<BenchResult> {
  if (typeof mod.ext2Rows === 'function') {
    const got = (await (mod.ext2Rows as () => Promise<unknown>)()) as unknown;
    if (!Array.isArray(got) || !got.every(isExt2Row)) throw new Error('bench/ext2.bench.ts: ext2Rows() did not return [{ tree, blockSize, oursMs, mke2fsMs, genext2fsMs }]');
    console.log('| tree | block size | mkrootfs | mke2fs -d | genext2fs -d |');
    console.log('|---|---|---|---|---|');
    const ms = (x: number | null): string => (finite(x) ? `${x.toFixed(1)} ms` : 'n/a');
    for (const r of got) console.log(`| ${r.tree} | ${r.blockSize} | ${ms(r.oursMs)} | ${ms(r.mke2fsMs)} | ${ms(r.genext2fsMs)} |`);
    return { rows: ext2SummaryRows(got) };
  }
  if (typeof mod.run === 'function') await mod.run();
  const na = (bs: number): SummaryRow => ({
    measurement: `ext2 image, ${bs} KiB blocks`, unit: 'ms', ours: null, peer: 'mke2fs -t ext2 -d', peerValue: null,
    other: { peer: 'genext2fs -d', value: null }, note: 'this ext2 bench has no ext2Rows(): see its table above',
  });
  return { rows: [na(4), na(1)] };
}
