/**
 * Start-up: process start to the first guest instruction of `mkrootfs boot
 * IMAGE --kernel K --json` against the same clock in `node -e` (what Node
 * alone costs), BENCH_STARTUP_RUNS interleaved runs (default 21); see
 * bench/startup.ts. Run: `npm run bench -- startup`. Needs dist/ (`npm run
 * bench` builds it first) and the guest.
 */
import { prepareBusyboxBoot } from './busybox-boot.ts';
import { startupRows } from './startup.ts';
import type { BenchResult } from './summary.ts';

export async function run(): Promise<BenchResult> {
  const p = await prepareBusyboxBoot();
  const { rows, table } = startupRows(p.image, p.kernel);
  console.log(table);
  const node = rows.find((r) => r.name === 'node -e (first user code)')!;
  const boot = rows.find((r) => r.name.startsWith('mkrootfs boot'))!;
  const cold = rows.find((r) => r.name === 'same, without the code cache')!;
  const peer = { peer: 'node -e: process start → first user code', peerValue: node.markMs };
  return {
    rows: [
      { measurement: 'start-up: process start → first guest instruction (dist/, code cache warm)', unit: 'ms', ours: boot.markMs, ...peer },
      { measurement: 'start-up, without the code cache (first run after install or rebuild)', unit: 'ms', ours: cold.markMs, ...peer },
    ],
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  run().catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  });
}
