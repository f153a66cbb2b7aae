/**
 * Resuming an interrupted guest build (src/guest/cache.ts StepJournal with
 * src/guest/step.ts runStep): unit tests with a fake step runner, and a real
 * process interrupted by SIGINT in the middle of a step (test/guest/fixtures/
 * resume-steps.ts) and run again. The real guest is not rebuilt.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { StepJournal } from '../../src/guest/cache.ts';
import { runStep, type StepContext, type StepEvent } from '../../src/guest/step.ts';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(HERE, '../..');
const SCRIPT = join(HERE, 'fixtures/resume-steps.ts');

/** A build of named fake steps; `failAt` throws inside that step (an interruption). Returns what ran and the events. */
async function fakeBuild(dir: string, key: string, steps: string[], failAt?: string) {
  const journal = StepJournal.open(dir, key);
  const events: StepEvent[] = [];
  const ran: string[] = [];
  const ctx: StepContext = { logs: dir, env: {}, progress: () => {}, now: () => 0, journal, onStep: (e) => events.push(e) };
  const results: unknown[] = [];
  try {
    for (const s of steps) {
      results.push(await runStep(ctx, s, async () => {
        ran.push(s);
        if (s === failAt) throw new Error('interrupted');
        return { made: s };
      }));
    }
  } catch { /* the interruption */ }
  return { ran, events: events.map((e) => `${e.state} ${e.step}`), results, journal };
}

describe('StepJournal and runStep: resume after an interruption', () => {
  it('skips the finished steps (handing back their results), redoes the half-finished one, then runs the rest', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'guest-resume-'));
    const steps = ['kernel-extract', 'kernel-config', 'kernel-build', 'musl', 'busybox-build'];
    const first = await fakeBuild(dir, 'k1', steps, 'kernel-build');
    expect(first.ran).toEqual(['kernel-extract', 'kernel-config', 'kernel-build']);
    expect(first.journal.finished).toEqual(['kernel-extract', 'kernel-config']);

    const second = await fakeBuild(dir, 'k1', steps);
    expect(second.ran).toEqual(['kernel-build', 'musl', 'busybox-build']);
    expect(second.events).toEqual(['resumed kernel-extract', 'resumed kernel-config', 'start kernel-build', 'done kernel-build', 'start musl', 'done musl', 'start busybox-build', 'done busybox-build']);
    expect(second.results).toEqual(steps.map((s) => ({ made: s })));
    expect(second.journal.finished).toEqual(steps);
  });

  it('starts afresh (emptying the directory) for another key, a damaged journal, or when no step finished', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'guest-resume-'));
    await fakeBuild(dir, 'k1', ['a', 'b'], 'b');
    writeFileSync(join(dir, 'leftover'), 'x');
    const other = await fakeBuild(dir, 'k2', ['a', 'b']);
    expect(other.ran).toEqual(['a', 'b']);
    expect(existsSync(join(dir, 'leftover'))).toBe(false);

    writeFileSync(join(dir, 'steps.json'), '{"key": "k2", "steps": [');
    expect((await fakeBuild(dir, 'k2', ['a', 'b'])).ran).toEqual(['a', 'b']);

    await fakeBuild(dir, 'k3', ['a'], 'a');
    writeFileSync(join(dir, 'half-made'), 'x');
    expect((await fakeBuild(dir, 'k3', ['a'])).ran).toEqual(['a']);
    expect(existsSync(join(dir, 'half-made'))).toBe(false);
  });

  it('a record counts only after the same steps: a changed order redoes everything from the first difference', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'guest-resume-'));
    await fakeBuild(dir, 'k1', ['a', 'b', 'c'], 'c');
    // "a" is the same; "x" now comes before "b": b's record no longer counts, and nothing after x is kept.
    const r = await fakeBuild(dir, 'k1', ['a', 'x', 'b', 'c']);
    expect(r.ran).toEqual(['x', 'b', 'c']);
    expect(r.journal.finished).toEqual(['a', 'x', 'b', 'c']);
    // A hand-edited record (its key no longer chains) is not trusted.
    const saved = JSON.parse(readFileSync(join(dir, 'steps.json'), 'utf8'));
    saved.steps[1].key = '0'.repeat(64);
    writeFileSync(join(dir, 'steps.json'), JSON.stringify(saved));
    expect((await fakeBuild(dir, 'k1', ['a', 'x', 'b', 'c'])).ran).toEqual(['x', 'b', 'c']);
  });
});

describe('a real process interrupted by SIGINT in the middle of a step', () => {
  const run = (dir: string, env: Record<string, string> = {}) =>
    spawnSync(process.execPath, ['--import', 'tsx', SCRIPT, dir, 'key-1'], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, ...env } });

  it('the next run resumes at the interrupted step, keeps the finished one, and finishes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'guest-sigint-'));
    // Ctrl-C: the terminal sends SIGINT to the whole process group (node and the step's commands).
    const child = spawn(process.execPath, ['--import', 'tsx', SCRIPT, dir, 'key-1'], { cwd: ROOT, env: { ...process.env, SLOW_SECONDS: '60' }, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (b: Buffer) => { out += b.toString(); });
    const ended = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => child.on('close', (code, signal) => r({ code, signal })));
    for (let i = 0; i < 300 && !existsSync(join(dir, 'slow-started')); i++) await new Promise((r) => setTimeout(r, 50));
    expect(existsSync(join(dir, 'slow-started')), out).toBe(true);
    process.kill(-child.pid!, 'SIGINT');
    const end = await ended;
    expect(end.signal ?? end.code).not.toBe(0);
    expect(out).toContain('start slow');
    expect(out).not.toContain('done slow');
    expect(readFileSync(join(dir, 'slow.out'), 'utf8')).toBe('half');
    expect(JSON.parse(readFileSync(join(dir, 'steps.json'), 'utf8')).steps.map((s: { step: string }) => s.step)).toEqual(['fetch']);

    const again = run(dir);
    expect(again.status, again.stderr).toBe(0);
    expect(again.stdout).toContain('finished before: fetch\n');
    expect(again.stdout).toContain('resumed fetch | guest: fetch done in an earlier run (kept)');
    expect(again.stdout).toMatch(/start slow \| guest: slow \.\.\. \(log: .*slow\.log\)/);
    expect(again.stdout).toMatch(/done slow \| guest: slow done \(\d+\.\d s\)/);
    expect(again.stdout).toContain('all done');
    // fetch ran once (its result came from the journal), slow twice (redone), finish once.
    expect(readFileSync(join(dir, 'runs-fetch'), 'utf8')).toBe('x');
    expect(readFileSync(join(dir, 'runs-slow'), 'utf8')).toBe('xx');
    expect(readFileSync(join(dir, 'runs-finish'), 'utf8')).toBe('x');
    expect(readFileSync(join(dir, 'result'), 'utf8')).toBe('v1');
    expect(readFileSync(join(dir, 'final.out'), 'utf8')).toBe('half done');
    expect(readFileSync(join(dir, 'slow.log'), 'utf8')).toContain('--- slow runs again (an earlier run did not finish it) ---');

    // A third run finds everything done and runs nothing.
    const third = run(dir);
    expect(third.stdout).toContain('finished before: fetch,slow,finish\n');
    expect(third.stdout).not.toContain('start ');
    expect(readFileSync(join(dir, 'runs-slow'), 'utf8')).toBe('xx');
  }, 60_000);
});
