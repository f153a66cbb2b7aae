/** Build steps: per-step logs, progress lines, and GUEST_STEP_FAILED naming the step with the log tail. */
import { describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runStep, type StepContext } from '../../src/guest/step.ts';
import { withLock } from '../../src/guest/lock.ts';
import { MkrootfsError } from '../../src/errors.ts';

function context(): { ctx: StepContext; lines: string[] } {
  const logs = mkdtempSync(join(tmpdir(), 'guest-step-'));
  const lines: string[] = [];
  let t = 0;
  return { ctx: { logs, env: { PATH: process.env.PATH! }, progress: (l) => lines.push(l), now: () => (t += 1500) }, lines };
}

describe('runStep', () => {
  it('logs each command and its output to <logs>/<step>.log and reports the elapsed time', async () => {
    const { ctx, lines } = context();
    const out = await runStep(ctx, 'demo', async (r) => {
      await r.run('sh', ['-c', 'echo to-stdout; echo to-stderr >&2']);
      return r.capture('sh', ['-c', 'printf captured'], {});
    });
    expect(out).toBe('captured');
    const log = readFileSync(join(ctx.logs, 'demo.log'), 'utf8');
    expect(log).toContain("$ sh -c 'echo to-stdout; echo to-stderr >&2'");
    expect(log).toContain('to-stdout\n');
    expect(log).toContain('to-stderr\n');
    expect(lines).toEqual([`guest: demo ... (log: ${join(ctx.logs, 'demo.log')})`, 'guest: demo done (1.5 s)']);
  });

  it('feeds stdin when asked (make oldconfig answers)', async () => {
    const { ctx } = context();
    const out = await runStep(ctx, 'stdin', (r) => r.capture('sh', ['-c', 'read a; read b; echo "[$a][$b]"'], {}).catch(() => 'x'));
    expect(out).toBe('[][]\n');
    await runStep(ctx, 'stdin2', (r) => r.run('sh', ['-c', 'read a; test "$a" = yes'], { stdin: 'yes\n' }));
  });

  it('fails with GUEST_STEP_FAILED naming the step, the exit status and the last log lines', async () => {
    const { ctx, lines } = context();
    const err = await runStep(ctx, 'kernel-build', (r) =>
      r.run('sh', ['-c', 'for i in $(seq 1 40); do echo "line $i"; done; echo "fatal: it broke" >&2; exit 3'])).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MkrootfsError);
    const e = err as MkrootfsError;
    expect(e.code).toBe('GUEST_STEP_FAILED');
    expect(e.exitCode).toBe(1);
    expect(e.message).toContain('guest build step "kernel-build" failed: sh exited with status 3');
    expect(e.message).toContain('fatal: it broke');
    expect(e.message).toContain('line 40');
    expect(e.message).not.toContain('line 1\n');
    expect(e.data).toMatchObject({ step: 'kernel-build', log: join(ctx.logs, 'kernel-build.log') });
    expect(e.hint).toContain(join(ctx.logs, 'kernel-build.log'));
    expect(lines.at(-1)).toMatch(/^guest: kernel-build FAILED after/);
  });

  it('reports a command that cannot be started', async () => {
    const { ctx } = context();
    const err = await runStep(ctx, 'missing', (r) => r.run('/nonexistent/tool', [])).catch((e: unknown) => e);
    expect((err as MkrootfsError).code).toBe('GUEST_STEP_FAILED');
    expect((err as MkrootfsError).message).toContain('cannot run /nonexistent/tool');
  });
});

describe('withLock', () => {
  it('serialises two builders of one key and removes a stale lock of a dead process', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'guest-lock-'));
    const lock = join(dir, '.lock-k');
    const order: string[] = [];
    const a = withLock(lock, () => {}, async () => { order.push('a1'); await new Promise((r) => setTimeout(r, 300)); order.push('a2'); });
    const b = withLock(lock, () => {}, async () => { order.push('b'); });
    await Promise.all([a, b]);
    expect(order).toEqual(['a1', 'a2', 'b']);
    expect(existsSync(lock)).toBe(false);

    mkdirSync(lock);
    writeFileSync(join(lock, 'pid'), '999999999');
    const notes: string[] = [];
    await withLock(lock, (l) => notes.push(l), async () => { order.push('c'); });
    expect(notes[0]).toContain('stale lock');
    expect(order.at(-1)).toBe('c');
  });
});
