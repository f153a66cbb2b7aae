/**
 * JUnit XML reports, the format CI systems read (Jenkins, GitLab, GitHub
 * report actions): `<testsuites>` → `<testsuite>` → `<testcase>`, a testcase
 * failing with `<failure>` (an expectation not met) or `<error>` (something
 * broke), skipped with `<skipped/>`, and its output in `<system-out>`.
 * Element order and attributes follow the schema most consumers accept (the
 * Jenkins/Ant `junit-4.xsd`); the tests validate against it with xmllint.
 *
 * Pure: renders text from data. The caller chooses every value, so the same
 * data gives the same bytes (times included: callers pass guest time where
 * they can).
 */

export interface JunitProblem {
  /** failure: a check did not pass; error: the run broke (panic, bad input, I/O). */
  kind: 'failure' | 'error';
  /** A stable short type, e.g. an error code (BOOT_EXPECT_FAILED). */
  type: string;
  /** One line; consumers show it as the headline. */
  message: string;
  /** Longer text inside the element (hint, details). */
  detail?: string;
}

export interface JunitCase {
  name: string;
  classname: string;
  /** Seconds. */
  timeS: number;
  problem?: JunitProblem;
  /** A reason when the case did not run. */
  skipped?: string;
  /** Output shown with the case (e.g. the console tail of a failed step). */
  systemOut?: string;
}

export interface JunitSuite {
  name: string;
  timeS: number;
  /** name → value, in the order given. */
  properties?: readonly (readonly [string, string])[];
  cases: readonly JunitCase[];
}

export interface JunitReport {
  name: string;
  suites: readonly JunitSuite[];
}

export function renderJunit(report: JunitReport): string {
  const out: string[] = ['<?xml version="1.0" encoding="UTF-8"?>'];
  const all = report.suites.flatMap((s) => s.cases);
  const total = report.suites.reduce((t, s) => t + s.timeS, 0);
  out.push(`<testsuites${attrs([['name', report.name], ['tests', all.length], ['failures', count(all, 'failure')], ['errors', count(all, 'error')], ['time', seconds(total)]])}>`);
  for (const suite of report.suites) {
    const c = suite.cases;
    out.push(`  <testsuite${attrs([
      ['name', suite.name], ['tests', c.length], ['failures', count(c, 'failure')], ['errors', count(c, 'error')],
      ['skipped', c.filter((x) => x.skipped !== undefined).length], ['time', seconds(suite.timeS)],
    ])}>`);
    if (suite.properties && suite.properties.length > 0) {
      out.push('    <properties>');
      for (const [name, value] of suite.properties) out.push(`      <property${attrs([['name', name], ['value', value]])}/>`);
      out.push('    </properties>');
    }
    for (const tc of c) out.push(...renderCase(tc));
    out.push('  </testsuite>');
  }
  out.push('</testsuites>');
  return out.join('\n') + '\n';
}

function renderCase(tc: JunitCase): string[] {
  const open = `    <testcase${attrs([['name', tc.name], ['classname', tc.classname], ['time', seconds(tc.timeS)]])}`;
  const body: string[] = [];
  // The schema's order: skipped, error, failure, system-out.
  // junit-4.xsd: <skipped> has no attributes, its text is the reason.
  if (tc.skipped !== undefined) body.push(`      <skipped>${text(tc.skipped)}</skipped>`);
  if (tc.problem) {
    const p = tc.problem;
    const head = `      <${p.kind}${attrs([['type', p.type], ['message', p.message]])}`;
    body.push(p.detail ? `${head}>${text(p.detail)}</${p.kind}>` : `${head}/>`);
  }
  if (tc.systemOut !== undefined) body.push(`      <system-out>${text(tc.systemOut)}</system-out>`);
  if (body.length === 0) return [`${open}/>`];
  return [`${open}>`, ...body, '    </testcase>'];
}

function count(cases: readonly JunitCase[], kind: JunitProblem['kind']): number {
  return cases.filter((c) => c.problem?.kind === kind).length;
}

/** Seconds with millisecond precision, as most producers write them. */
function seconds(s: number): string {
  return (Number.isFinite(s) && s > 0 ? s : 0).toFixed(3);
}

function attrs(list: readonly (readonly [string, string | number])[]): string {
  return list.map(([k, v]) => ` ${k}="${escape(String(v), true)}"`).join('');
}

function text(s: string): string {
  return escape(s, false);
}

/**
 * Escapes for XML 1.0. Characters XML 1.0 cannot carry at all (C0 controls
 * other than tab, LF and CR — e.g. the ESC of terminal colour codes — and
 * unpaired surrogates) are written as visible `\xHH` / `\uHHHH` text, so a
 * console tail stays readable and the document stays well-formed. In
 * attributes, tab/LF/CR are character references (else parsers fold them to spaces).
 */
export function escape(s: string, attribute: boolean): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        out += s[i]! + s[i + 1]!;
        i++;
        continue;
      }
    }
    switch (c) {
      case 0x26: out += '&amp;'; continue;
      case 0x3c: out += '&lt;'; continue;
      case 0x3e: out += '&gt;'; continue;
      case 0x22: out += attribute ? '&quot;' : '"'; continue;
      case 0x09: case 0x0a: case 0x0d:
        out += attribute ? `&#${c};` : s[i]!;
        continue;
    }
    if (c < 0x20 || c === 0x7f) out += `\\x${c.toString(16).toUpperCase().padStart(2, '0')}`;
    else if ((c >= 0xd800 && c <= 0xdfff) || c === 0xfffe || c === 0xffff) out += `\\u${c.toString(16).toUpperCase()}`;
    else out += s[i]!;
  }
  return out;
}
