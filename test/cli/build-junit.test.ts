/** `build --junit`: the help, and reports of a passing and a failing --from-dir build (in process, no guest). */
import { describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { validateJunitFile, xpath } from '../helpers/junit-oracle.ts';
import { runCli } from '../helpers/cli.ts';

const run = (argv: string[], cwd: string, env: Record<string, string> = {}): Promise<{ code: number; out: string; err: string }> =>
  runCli(argv, cwd, env).then((r) => ({ code: r.code, out: r.stdout, err: r.stderr }));

describe('mkrootfs build --junit', () => {
  const dir = mkdtempSync(join(tmpdir(), 'build-junit-'));
  mkdirSync(join(dir, 'root/etc'), { recursive: true });
  writeFileSync(join(dir, 'root/etc/motd'), 'hi\n');

  it('is in --help with an example', async () => {
    const r = await run(['build', '--help'], dir);
    expect(r.out).toMatch(/--junit <file>/);
    expect(r.out).toMatch(/mkrootfs build recipes\/busybox\.yml --junit out\/build-junit\.xml/);
  });

  it('a passing build is one passing testcase', async () => {
    const r = await run(['build', '--from-dir', 'root', '-o', 'ok.img', '--junit', 'ok.xml'], dir);
    expect(r.code, r.err).toBe(0);
    const p = join(dir, 'ok.xml');
    validateJunitFile(p);
    expect(xpath(p, 'string(//testcase/@name)')).toBe('build --from-dir root');
    expect(xpath(p, 'count(//testcase/*)')).toBe('0');
  });

  it('a failing build is its error, annotated under GITHUB_ACTIONS=true', async () => {
    const r = await run(['build', '--from-dir', 'root', '-o', 'bad.img', '--block-size', '3000', '--junit', 'bad.xml'], dir, { GITHUB_ACTIONS: 'true' });
    expect(r.code).toBe(2);
    const p = join(dir, 'bad.xml');
    validateJunitFile(p);
    const type = xpath(p, 'string(//testcase/failure/@type)');
    expect(type).toMatch(/^[A-Z0-9_]+$/);
    expect(r.err).toContain(`::error title=${type}::`);
  });
});
