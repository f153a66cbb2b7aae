/**
 * JUnit reports: the renderer, a boot's suite and the CLI's error testcase,
 * each validated by xmllint against the Jenkins/Ant JUnit schema and read back
 * through xmllint's XPath (an independent XML parser).
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { renderJunit, type JunitSuite } from '../../src/report/junit-xml.ts';
import { bootJunitSuite } from '../../src/boot/junit.ts';
import { errorCase, writeJunitFile } from '../../src/cli/junit-file.ts';
import { usageError, MkrootfsError, ExitCode } from '../../src/errors.ts';
import { validateJunitFile, validateJunitText, xpath } from '../helpers/junit-oracle.ts';

const dir = mkdtempSync(join(tmpdir(), 'junit-test-'));
const save = (name: string, xml: string): string => {
  const p = join(dir, name);
  writeFileSync(p, xml);
  return p;
};

describe('renderJunit', () => {
  it('writes text XML 1.0 cannot carry as visible escapes, and the schema accepts it', () => {
    const nasty = 'a&b <c> "q" \'s\' \x1b[31mred\x1b[0m \x00\x07 tab\there \ud800 ok \u00e9\u{1F600}';
    const xml = renderJunit({
      name: 'n', suites: [{
        name: nasty, timeS: 1.5, properties: [['append', nasty]],
        cases: [{ name: nasty, classname: 'c', timeS: 1.5, problem: { kind: 'failure', type: 'T', message: nasty, detail: nasty }, systemOut: `line1\n${nasty}\nlast` }],
      }],
    });
    validateJunitText(xml);
    const p = save('nasty.xml', xml);
    // The parser reads back what was meant: markup characters intact, controls as \xHH text.
    const msg = xpath(p, 'string(//failure/@message)');
    expect(msg).toContain('a&b <c> "q" \'s\' \\x1B[31mred\\x1B[0m \\x00\\x07 tab\there \\uD800 ok \u00e9\u{1F600}');
    expect(xpath(p, 'string(//system-out)')).toMatch(/^line1\n.*\nlast$/s);
  });

  it('counts tests, failures, errors and skips per suite and in total', () => {
    const suite = (n: string): JunitSuite => ({
      name: n, timeS: 3, cases: [
        { name: 'ok', classname: 'c', timeS: 1 },
        { name: 'f', classname: 'c', timeS: 1, problem: { kind: 'failure', type: 'X', message: 'm' } },
        { name: 'e', classname: 'c', timeS: 1, problem: { kind: 'error', type: 'Y', message: 'm' } },
        { name: 's', classname: 'c', timeS: 0, skipped: 'not reached' },
      ],
    });
    const p = save('counts.xml', renderJunit({ name: 'all', suites: [suite('a'), suite('b')] }));
    validateJunitFile(p);
    expect(xpath(p, 'string(/testsuites/@tests)')).toBe('8');
    expect(xpath(p, 'string(/testsuites/@failures)')).toBe('2');
    expect(xpath(p, 'string(/testsuites/@errors)')).toBe('2');
    expect(xpath(p, 'string(/testsuites/@time)')).toBe('6.000');
    expect(xpath(p, 'string(//testsuite[@name="a"]/@skipped)')).toBe('1');
    expect(xpath(p, 'count(//testcase[@name="s"]/skipped)')).toBe('2');
  });
});

describe('bootJunitSuite', () => {
  const tail = ['Run /sbin/init as init process', 'Please press Enter to activate this console. '];

  it('a passing boot: one testcase per step, each timed from the previous match', () => {
    const suite = bootJunitSuite({
      name: 'boot x.img', classname: 'mkrootfs.boot.x.img',
      steps: [{ expect: 'A' }, { expect: 'B', send: 'ls' }, { expect: 'C' }],
      stepTimesNs: [1e9, 1.25e9, 2e9], end: { step: 3, atNs: 2e9 }, consoleTail: tail,
    });
    expect(suite.cases.map((c) => [c.name, c.timeS])).toEqual([
      ['step 1: expect "A"', 1], ['step 2: expect "B", then send "ls"', 0.25], ['step 3: expect "C"', 0.75],
    ]);
    expect(suite.cases.every((c) => c.problem === undefined && c.systemOut === undefined)).toBe(true);
    validateJunitText(renderJunit({ name: 'm', suites: [suite] }));
  });

  it('a failing boot: the active step fails with the console tail, later steps are skipped', () => {
    const suite = bootJunitSuite({
      name: 'boot x.img', classname: 'c',
      steps: [{ expect: 'A' }, { expect: 'login:' }, { send: 'poweroff -f' }],
      stepTimesNs: [1e9], end: { step: 1, atNs: 5e9, problem: { kind: 'failure', type: 'BOOT_TIMEOUT', message: 'boot timed out' } },
      consoleTail: tail,
    });
    expect(suite.cases).toHaveLength(4); // 3 steps + the power-off a trailing send waits for
    expect(suite.cases[1]).toMatchObject({ timeS: 4, problem: { type: 'BOOT_TIMEOUT' }, systemOut: tail.join('\n') });
    expect(suite.cases[2]!.skipped).toMatch(/not reached/);
    expect(suite.cases[3]!.name).toBe('guest powers off after the last send');
    const p = save('fail.xml', renderJunit({ name: 'm', suites: [suite] }));
    validateJunitFile(p);
    expect(xpath(p, 'string(//testcase[failure]/@name)')).toBe('step 2: expect "login:"');
    expect(xpath(p, 'string(//testsuite/@failures)')).toBe('1');
    expect(xpath(p, 'string(//testsuite/@skipped)')).toBe('2');
  });

  it('no steps: the boot is one "guest powers off" case; a panic is an error on it', () => {
    const ok = bootJunitSuite({ name: 'b', classname: 'c', steps: [], stepTimesNs: [], end: { step: 0, atNs: 2e9 }, consoleTail: tail });
    expect(ok.cases).toEqual([{ name: 'guest powers off', classname: 'c', timeS: 2 }]);
    const panic = bootJunitSuite({
      name: 'b', classname: 'c', steps: [], stepTimesNs: [],
      end: { step: 0, atNs: 1e9, problem: { kind: 'error', type: 'BOOT_GUEST_PANIC', message: 'guest panic: Kernel panic - not syncing' } }, consoleTail: tail,
    });
    validateJunitText(renderJunit({ name: 'm', suites: [panic] }));
    expect(panic.cases[0]!.problem!.kind).toBe('error');
  });
});

describe('errorCase and writeJunitFile', () => {
  it('bad input is a failure with its first line as message; other errors are errors', () => {
    const bad = errorCase('build r.yml', 'c', usageError('RECIPE_INVALID', '2 problems in the recipe:\n\nr.yml:3:1: oops', 'fix it'), 0.5);
    expect(bad.problem).toEqual({ kind: 'failure', type: 'RECIPE_INVALID', message: '2 problems in the recipe:', detail: 'r.yml:3:1: oops\nhint: fix it' });
    const io = errorCase('build', 'c', new MkrootfsError({ code: 'IO_ENOSPC', message: 'disk full', exitCode: ExitCode.runtime }), 0);
    expect(io.problem!.kind).toBe('error');
    expect(errorCase('x', 'c', new Error('boom'), 0).problem).toEqual({ kind: 'error', type: 'INTERNAL', message: 'boom' });
  });

  it('writes through a temp file renamed into place (no temp left, directories created)', () => {
    const out = join(dir, 'deep/er/report.xml');
    writeJunitFile(out, [{ name: 's', timeS: 0, cases: [{ name: 't', classname: 'c', timeS: 0 }] }]);
    validateJunitFile(out);
    expect(readdirSync(join(dir, 'deep/er'))).toEqual(['report.xml']);
  });
});
