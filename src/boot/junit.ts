/**
 * A checked boot as a JUnit test suite: one testcase per boot step, timed in
 * guest seconds from the previous step's match to this one's, plus a
 * "guest powers off" case when success means a clean power-off (no steps, or
 * a last step that sends). The step the boot ended on carries the failure
 * (or, for a guest panic or a broken run, the error) and the console tail;
 * steps never reached are skipped. Pure: the CLI passes the session's result in.
 *
 * Times are guest time, which advances with retired instructions, so the
 * same boot gives the same report byte for byte (unless --realtime ties guest
 * time to the wall clock).
 */
import type { BootStep } from './expect.ts';
import type { JunitCase, JunitProblem, JunitSuite } from '../report/junit-xml.ts';

export interface BootJunitInput {
  /** The suite's name, e.g. "boot out/rootfs.img". */
  name: string;
  /** testcase classname. */
  classname: string;
  steps: readonly BootStep[];
  /** Guest time (ns) at which each completed step matched. */
  stepTimesNs: readonly number[];
  /** Where the boot ended: the step index active then (steps.length: after the last), its guest time, and what went wrong if anything. */
  end: { step: number; atNs: number; problem?: JunitProblem };
  /** The last console lines, attached to the failing case. */
  consoleTail: readonly string[];
  properties?: readonly (readonly [string, string])[];
}

export function bootJunitSuite(input: BootJunitInput): JunitSuite {
  const { steps, stepTimesNs, end } = input;
  const names = steps.map((s, i) => `step ${i + 1}: ${describe(s)}`);
  const last = steps[steps.length - 1];
  if (steps.length === 0 || last?.send !== undefined) names.push(steps.length === 0 ? 'guest powers off' : 'guest powers off after the last send');
  const cases: JunitCase[] = [];
  let prevNs = 0;
  for (const [i, name] of names.entries()) {
    const base = { name, classname: input.classname };
    if (end.problem && i === Math.min(end.step, names.length - 1)) {
      cases.push({ ...base, timeS: (end.atNs - prevNs) / 1e9, problem: end.problem, systemOut: input.consoleTail.join('\n') });
      prevNs = end.atNs;
    } else if (end.problem && i > end.step) {
      cases.push({ ...base, timeS: 0, skipped: `not reached: step ${end.step + 1} did not pass` });
    } else {
      const at = i < steps.length ? stepTimesNs[i] ?? end.atNs : end.atNs;
      cases.push({ ...base, timeS: (at - prevNs) / 1e9 });
      prevNs = at;
    }
  }
  return { name: input.name, timeS: end.atNs / 1e9, properties: input.properties, cases };
}

function describe(s: BootStep): string {
  const parts: string[] = [];
  if (s.expect !== undefined) parts.push(`expect ${JSON.stringify(s.expect)}`);
  if (s.send !== undefined) parts.push(`send ${JSON.stringify(s.send)}`);
  return parts.join(', then ');
}
