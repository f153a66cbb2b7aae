/**
 * docs/ci.md and docs/github-actions.yml agree, and the workflow does what
 * the docs promise: caches the guest, builds and boots with --junit, uploads
 * the reports and shows them, even when the boot failed.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const workflowText = readFileSync(join(ROOT, 'docs/github-actions.yml'), 'utf8');
const doc = readFileSync(join(ROOT, 'docs/ci.md'), 'utf8');

interface Step { uses?: string; run?: string; if?: string; with?: Record<string, string> }

describe('the documented GitHub Actions workflow', () => {
  const steps = (parse(workflowText) as { jobs: { image: { steps: Step[] } } }).jobs.image.steps;

  it('caches ~/.cache/mkrootfs, builds and boots with --junit, and uploads and shows the reports always', () => {
    const cache = steps.find((s) => s.uses?.startsWith('actions/cache@'));
    expect(cache?.with?.path).toBe('~/.cache/mkrootfs');
    const runs = steps.flatMap((s) => (s.run ? [s.run] : []));
    expect(runs).toContain('npx mkrootfs guest');
    expect(runs.some((r) => /mkrootfs build \S+ --junit reports\//.test(r))).toBe(true);
    expect(runs.some((r) => /mkrootfs boot \S+ --junit reports\//.test(r))).toBe(true);
    const guest = steps.findIndex((s) => s.run === 'npx mkrootfs guest');
    expect(steps.indexOf(cache!)).toBeLessThan(guest);
    for (const action of ['actions/upload-artifact@', 'mikepenz/action-junit-report@']) {
      const s = steps.find((x) => x.uses?.startsWith(action));
      expect(s?.if, action).toBe('always()');
    }
  });

  it('docs/ci.md quotes the workflow as it is, and README links to it', () => {
    const blocks = [...doc.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]!);
    expect(blocks.length).toBeGreaterThan(0);
    for (const b of blocks) expect(workflowText).toContain(b);
    expect(readFileSync(join(ROOT, 'README.md'), 'utf8')).toContain('(docs/ci.md)');
  });
});
