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
  return {
    rows: [{ measurement: 'start-up: process start → first guest instruction (dist/)', unit: 'ms', ours: boot.markMs, peer: 'node -e: process start → first user code', peerValue: node.markMs }],
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  run().catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  });
}
