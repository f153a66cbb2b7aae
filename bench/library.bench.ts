/**
 * The library's boot check: `bootImage` from the built package (dist/), two
 * boots of recipes/busybox.yml's image in one process, as a test suite that
 * boots the same kernel many times does. The second boot is seeded with the
 * first's translations (src/boot/translations.ts); the peer is the same
 * process with `translationCache: false`, as bootImage booted before it
 * kept them. BENCH_RUNS processes of each, interleaved; medians of each
 * boot's run loop (bootImage's wallSeconds). With BENCH_BASELINE=DIR (another
 * built checkout) its bootImage runs the same two boots too, as "before".
 * Run: `npm run bench -- library`.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { prepareBusyboxBoot } from './busybox-boot.ts';
import type { BenchResult } from './summary.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

/** One process: two boots; returns each boot's run loop (ms) and the second's restored pages. */
function twoBoots(p: { image: string; kernel: string; append: string; banner: string }, seeded: boolean, root = ROOT): { first: number; second: number; restored: number } {
  const lib = pathToFileURL(join(root, 'dist/src/index.js')).href;
  const script = `
    const { bootImage } = await import(${JSON.stringify(lib)});
    const o = { image: ${JSON.stringify(p.image)}, kernel: ${JSON.stringify(p.kernel)}, append: ${JSON.stringify(p.append)},
      expect: [${JSON.stringify(p.banner)}], timeoutS: 60, translationCache: ${seeded}, env: { ...process.env, MKROOTFS_NO_TRANSLATION_CACHE: '' } };
    const a = await bootImage(o);
    const b = await bootImage(o);
    if (!a.ok || !b.ok) throw new Error(a.message + ' / ' + b.message);
    process.stdout.write(JSON.stringify({ first: a.wallSeconds * 1000, second: b.wallSeconds * 1000, restored: b.jit?.restoredPages ?? 0 }));`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', maxBuffer: 16 << 20 });
  if (r.status !== 0) throw new Error(`bench/library: a bootImage process failed (exit ${r.status}):\n${r.stderr}`);
  return JSON.parse(r.stdout) as { first: number; second: number; restored: number };
}

export async function run(): Promise<BenchResult> {
  if (!existsSync(join(ROOT, 'dist', 'BUILT'))) throw new Error('bench/library: no dist/ (run `npm run build`)');
  const p = await prepareBusyboxBoot();
  const runs = Number(process.env.BENCH_RUNS ?? 5);
  const seeded: Array<ReturnType<typeof twoBoots>> = [];
  const plain: Array<ReturnType<typeof twoBoots>> = [];
  const before: Array<ReturnType<typeof twoBoots>> = [];
  const baseline = process.env.BENCH_BASELINE;
  for (let i = 0; i < runs; i++) {
    seeded.push(twoBoots(p, true));
    plain.push(twoBoots(p, false));
    if (baseline) before.push(twoBoots(p, true, resolve(baseline)));
  }
  const second = median(seeded.map((s) => s.second));
  const peer = median(plain.map((s) => s.second));
  console.log(`bootImage, two boots per process, ${runs} processes each (medians, run loop to the banner):`);
  console.log(`  first boot:  ${median(seeded.map((s) => s.first)).toFixed(1)} ms (translation cache on), ${median(plain.map((s) => s.first)).toFixed(1)} ms (off)`);
  console.log(`  second boot: ${second.toFixed(1)} ms seeded (restored pages ${seeded.map((s) => s.restored).join(' ')}), ${peer.toFixed(1)} ms not seeded`);
  if (baseline) console.log(`  baseline ${baseline}: first boot ${median(before.map((s) => s.first)).toFixed(1)} ms, second ${median(before.map((s) => s.second)).toFixed(1)} ms`);
  const rows: BenchResult['rows'] = [
    { measurement: 'library bootImage: second boot of a kernel in a process, run loop to the banner', unit: 'ms', ours: second, peer: 'same, translationCache: false', peerValue: peer },
  ];
  if (baseline) {
    rows.push(
      { measurement: 'library bootImage: first boot in a process (before: baseline build)', unit: 'ms', ours: median(seeded.map((s) => s.first)), peer: 'BENCH_BASELINE', peerValue: median(before.map((s) => s.first)) },
      { measurement: 'library bootImage: second boot in a process (before: baseline build)', unit: 'ms', ours: second, peer: 'BENCH_BASELINE', peerValue: median(before.map((s) => s.second)) },
    );
  }
  return { rows };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  run().catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  });
}
