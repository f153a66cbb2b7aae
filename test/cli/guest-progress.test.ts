/**
 * `mkrootfs guest` progress (src/cli/guest-progress.ts): one line per step
 * start and end without a terminal (CI logs), a live line with the elapsed
 * time and log path on a terminal.
 */
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { guestProgressView } from '../../src/cli/guest-progress.ts';
import type { StepEvent } from '../../src/guest/step.ts';

function sink() {
  const s = new PassThrough();
  let text = '';
  s.on('data', (b: Buffer) => { text += b.toString(); });
  return { s, text: () => text };
}
const ev = (step: string, state: StepEvent['state'], elapsedMs = 0): StepEvent => ({ step, state, elapsedMs, log: `/cache/logs/${step}.log` });

describe('guest progress', () => {
  it('without a terminal: one line per step start (with the log path) and end (with the time)', async () => {
    const out = sink();
    const v = guestProgressView({ stderr: out.s, live: false, now: () => 0 });
    v.line('guest: building k in /cache/.build-k');
    v.step(ev('musl', 'resumed'));
    v.step(ev('kernel-build', 'start'));
    v.step(ev('kernel-build', 'done', 83_250));
    v.step(ev('busybox-build', 'start'));
    v.step(ev('busybox-build', 'failed', 1_000));
    v.close();
    await new Promise((r) => setImmediate(r));
    expect(out.text().split('\n')).toEqual([
      'guest: building k in /cache/.build-k',
      'guest: musl done in an earlier run (kept)',
      'guest: kernel-build ... (log: /cache/logs/kernel-build.log)',
      'guest: kernel-build done (83.3 s)',
      'guest: busybox-build ... (log: /cache/logs/busybox-build.log)',
      'guest: busybox-build FAILED after 1.0 s (log: /cache/logs/busybox-build.log)',
      '',
    ]);
  });

  it('on a terminal: a live line repainted with the elapsed time, replaced by the result', async () => {
    const out = sink();
    let t = 0;
    let tick: (() => void) | undefined;
    let cancelled = 0;
    const v = guestProgressView({ stderr: out.s, live: true, now: () => t, every: (_ms, fn) => { tick = fn; return () => { cancelled++; }; } });
    v.step(ev('kernel-build', 'start'));
    t = 5_000; tick!();
    t = 125_000; tick!();
    v.line('guest: a note');
    v.step(ev('kernel-build', 'done', 125_000));
    v.close();
    await new Promise((r) => setImmediate(r));
    const live = '\r\x1b[Kguest: kernel-build';
    expect(out.text()).toBe(
      `${live} 0s  (log: /cache/logs/kernel-build.log)`
      + `${live} 5s  (log: /cache/logs/kernel-build.log)`
      + `${live} 2m05s  (log: /cache/logs/kernel-build.log)`
      + '\r\x1b[Kguest: a note\n'
      + `${live} 2m05s  (log: /cache/logs/kernel-build.log)`
      + '\r\x1b[Kguest: kernel-build done (125.0 s)\n');
    expect(cancelled).toBe(1);
  });
});
