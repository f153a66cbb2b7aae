/**
 * Buildroot "makedevs" device tables:
 *
 *   <name> <type> <mode> <uid> <gid> <major> <minor> <start> <inc> <count>
 *
 * type: f (an existing regular file: set mode/owner), d (directory),
 * c (char device), b (block device), p (fifo), r (directory and everything
 * below it: set mode/owner recursively). `-` for unused fields. With a count,
 * `count` nodes are made: name + (start + i), minor + i * inc.
 * `#` starts a comment line. Mode is octal.
 */
import type { RecipeIssue } from './recipe-error.ts';
import { posAt } from './recipe-error.ts';

export type DeviceTableType = 'f' | 'd' | 'c' | 'b' | 'p' | 'r';

export interface DeviceTableEntry {
  path: string;
  type: DeviceTableType;
  mode: number;
  uid: number;
  gid: number;
  major: number;
  minor: number;
  /** 1-based line of the table row that made it. */
  line: number;
}

const TYPES = new Set(['f', 'd', 'c', 'b', 'p', 'r']);
/** More nodes than this from one row is almost certainly a typo. */
const MAX_COUNT = 65536;

/** Parses a device table; `file` names it in problems. Rows expand into one entry per node. */
export function parseDeviceTable(file: string, text: string): { entries: DeviceTableEntry[]; issues: RecipeIssue[] } {
  const entries: DeviceTableEntry[] = [];
  const issues: RecipeIssue[] = [];
  let offset = 0;
  const lines = text.split('\n');
  lines.forEach((rawLine, index) => {
    const lineStart = offset;
    offset += rawLine.length + 1;
    const line = rawLine.replace(/\r$/, '');
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#')) return;
    const fields: { text: string; at: number }[] = [];
    for (const m of line.matchAll(/\S+/g)) fields.push({ text: m[0], at: m.index });
    const problem = (fieldIndex: number, message: string, hint: string): void => {
      const f = fields[Math.min(fieldIndex, fields.length - 1)]!;
      issues.push({ code: 'DEVICE_TABLE_INVALID', message, hint, pos: posAt(file, text, lineStart + f.at) });
    };
    if (fields.length !== 10) {
      problem(Math.min(fields.length, 9), `a device table row has 10 fields, this one has ${fields.length}`,
        'write <name> <type> <mode> <uid> <gid> <major> <minor> <start> <inc> <count>, with - for unused fields');
      return;
    }
    const [name, type, modeF] = fields.map((f) => f.text) as [string, string, string];
    if (!name.startsWith('/')) { problem(0, `device table name ${name} is not an absolute path`, 'start the name with /'); return; }
    if (!TYPES.has(type)) { problem(1, `unknown device table type "${type}"`, 'use f, d, c, b, p or r'); return; }
    if (!/^[0-7]{1,4}$/.test(modeF)) { problem(2, `mode ${modeF} is not octal`, 'write the mode in octal, e.g. 644'); return; }
    const num = (i: number, what: string): number | undefined => {
      const t = fields[i]!.text;
      if (t === '-') return 0;
      if (!/^\d+$/.test(t)) { problem(i, `${what} "${t}" is not a number`, `write a decimal number or - for ${what}`); return undefined; }
      return Number(t);
    };
    const uid = num(3, 'uid'), gid = num(4, 'gid'), major = num(5, 'major'), minor = num(6, 'minor');
    const start = num(7, 'start'), inc = num(8, 'inc'), count = num(9, 'count');
    if ([uid, gid, major, minor, start, inc, count].some((v) => v === undefined)) return;
    const isDev = type === 'c' || type === 'b';
    if (isDev && (fields[5]!.text === '-' || fields[6]!.text === '-')) {
      problem(5, `device ${name} needs major and minor numbers`, 'fill in the major and minor fields'); return;
    }
    if (count! > MAX_COUNT) { problem(9, `count ${count} is too large`, `at most ${MAX_COUNT} nodes per row`); return; }
    if (count! > 0 && !isDev && type !== 'p') { problem(9, `a count only makes sense for c, b and p rows`, 'use - for start, inc and count'); return; }
    const base = { type: type as DeviceTableType, mode: parseInt(modeF, 8), uid: uid!, gid: gid!, major: major!, line: index + 1 };
    if (count! > 0) {
      for (let i = 0; i < count!; i++) {
        entries.push({ ...base, path: `${name}${start! + i}`, minor: minor! + i * inc! });
      }
    } else {
      entries.push({ ...base, path: name, minor: minor! });
    }
  });
  return { entries, issues };
}
