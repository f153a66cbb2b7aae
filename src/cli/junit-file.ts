/**
 * `--junit FILE` for the CLI: writes a JUnit report (src/report/junit-xml.ts)
 * to a temp file beside FILE and renames it into place, so a CI step that
 * reads the report never sees half of one. Also turns an error that ended a
 * command into a failing testcase: bad input (exit 2, e.g. a recipe problem)
 * is a `failure`, anything else an `error`.
 */
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { ExitCode, MkrootfsError, usageError } from '../errors.ts';
import { renderJunit, type JunitCase, type JunitSuite } from '../report/junit-xml.ts';

export function writeJunitFile(path: string, suites: JunitSuite[], name = 'mkrootfs'): void {
  const tmp = join(dirname(path), `.${basename(path)}.tmp-${process.pid}`);
  try {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(tmp, renderJunit({ name, suites }));
    renameSync(tmp, path);
  } catch (err) {
    rmSync(tmp, { force: true });
    const e = err as NodeJS.ErrnoException;
    throw usageError('JUNIT_WRITE', `cannot write the JUnit report ${path}: ${e.code ?? e.message}`, 'give --junit a path in a writable directory', { path });
  }
}

/** A testcase for a command that ended with `err` (message: the error's first line; detail: the rest and the hint). */
export function errorCase(name: string, classname: string, err: unknown, timeS: number): JunitCase {
  if (err instanceof MkrootfsError) {
    const [first = err.code, ...rest] = err.message.split('\n');
    const detail = [...rest, ...(err.hint ? [`hint: ${err.hint}`] : [])].join('\n').trim();
    return {
      name, classname, timeS,
      problem: { kind: err.exitCode === ExitCode.usage ? 'failure' : 'error', type: err.code, message: first, ...(detail ? { detail } : {}) },
    };
  }
  const e = err as Error;
  return { name, classname, timeS, problem: { kind: 'error', type: 'INTERNAL', message: e?.message ?? String(err) } };
}

/**
 * Runs a command as one JUnit testcase (`build --junit`): passes when `run`
 * resolves, fails with the error that ends it (then rethrown). Its time is
 * wall-clock seconds, the one part of such a report that differs between runs.
 */
export async function withJunitReport(report: { path: string | undefined; suite: string; testcase: string; classname: string }, run: () => Promise<void>): Promise<void> {
  if (report.path === undefined) return run();
  const path = report.path;
  const started = performance.now();
  const seconds = (): number => (performance.now() - started) / 1000;
  try {
    await run();
  } catch (err) {
    const tc = errorCase(report.testcase, report.classname, err, seconds());
    writeJunitFile(path, [{ name: report.suite, timeS: tc.timeS, cases: [tc] }]);
    throw err;
  }
  const timeS = seconds();
  writeJunitFile(path, [{ name: report.suite, timeS, cases: [{ name: report.testcase, classname: report.classname, timeS }] }]);
}
