/**
 * busybox applets from the guest's static busybox binary, run under
 * qemu-or1k (the oracle) and under the emulator's user-mode runner with the
 * same arguments, stdin and files: stdout and the exit status must match.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { makeBuildDir } from '../harness/compile.ts';
import { guestBusybox } from '../harness/guest-tools.ts';
import { runQemuUser, type ProcResult } from '../harness/qemu.ts';
import { runLinuxUser } from './linux-user.ts';

const enc = new TextEncoder();
/** 200 KiB of deterministic bytes for the hash applets. */
const BIG = Uint8Array.from({ length: 200 * 1024 }, (_, i) => (i * 2654435761) >>> 24);
const FILES: Record<string, Uint8Array> = {
  'a.txt': enc.encode('hello world\nline two\nthird line here\n'),
  'words.txt': enc.encode('pear\napple\nfig\napple\nbanana\nfig\nkiwi\n'),
  'big.bin': BIG,
};
const LINES = enc.encode('b\na\nc\na\n10\n9\n100\n');

interface Case {
  args: string[];
  stdin?: Uint8Array;
}

const CASES: Case[] = [
  { args: ['echo', 'hello', 'world'] },
  { args: ['echo', '-e', 'a\\tb\\n\\x41\\0101'] },
  { args: ['expr', '3', '*', '7'] },
  { args: ['expr', 'length', 'abcdef', '+', '100000', '*', '3'] },
  { args: ['expr', '7', '%', '0'] },
  { args: ['seq', '1', '3', '20'] },
  { args: ['seq', '-s', ',', '-w', '8', '-1', '-3'] },
  { args: ['printf', '%s-%05d-%x-%.3f-%e\\n', 'x', '42', '255', '3.14159', '12345.678'] },
  { args: ['sha256sum', 'a.txt', 'big.bin'] },
  { args: ['md5sum', 'big.bin'] },
  { args: ['sha1sum', 'a.txt'] },
  { args: ['sha512sum', 'big.bin'] },
  { args: ['sort'], stdin: LINES },
  { args: ['sort', '-n', '-r'], stdin: LINES },
  { args: ['sort', '-u', 'words.txt'] },
  { args: ['uniq', '-c'], stdin: enc.encode('a\na\nb\nc\nc\nc\n') },
  { args: ['wc', 'a.txt', 'words.txt'] },
  { args: ['cat', 'a.txt'] },
  { args: ['cat', 'missing.txt'] },
  { args: ['head', '-n', '2', 'words.txt'] },
  { args: ['tail', '-n', '2', 'words.txt'] },
  { args: ['tr', 'a-z', 'A-Z'], stdin: enc.encode('Hello, World\n') },
  { args: ['sed', '-e', 's/o/0/g', '-e', '2d', 'a.txt'] },
  { args: ['cut', '-d', ' ', '-f', '2', 'a.txt'] },
  { args: ['rev', 'a.txt'] },
  { args: ['grep', '-n', 'line', 'a.txt'] },
  { args: ['grep', '-c', 'zzz', 'a.txt'] },
  { args: ['awk', 'BEGIN { s = 0; for (i = 1; i <= 100; i++) s += i * i; printf "%d %.6f %.10g %s\\n", s, s / 7, sqrt(2), 2^40 }'] },
  { args: ['awk', '{ n += length($0); w += NF } END { print NR, w, n }', 'a.txt'] },
  { args: ['factor', '360', '1000000007', '4294967297', '600851475143'] },
  { args: ['dc', '-e', '2 30 ^ p 7 3 / p 10 k 1 3 / p'] },
  { args: ['basename', '/a/b/c.txt', '.txt'] },
  { args: ['od', '-A', 'x', '-t', 'x1z', 'a.txt'] },
  { args: ['base64', 'a.txt'] },
  { args: ['true'] },
  { args: ['false'] },
  { args: ['test', '3', '-gt', '2'] },
  { args: ['date', '-u', '-d', '@1234567890'] },
  { args: ['date', '-u', '-d', '@4000000000', '+%Y-%m-%d %H:%M:%S %j %a'] },
  { args: ['bc'], stdin: enc.encode('2^100\nscale=30\n1/7\nsqrt(2)\n') },
  { args: ['sh', '-s'], stdin: enc.encode(
    'f() { echo "f:$1:$#"; }\nf a b\ni=0; while [ $i -lt 5 ]; do i=$((i+1)); case $i in 2) echo two;; *) echo "n$i";; esac; done\n' +
    's=abcdef; echo ${#s} ${s#ab} ${s%%ef}\nset -- x y z; echo $2 $#\nread line; echo "read:$line"\nexit 4\nthis line is read\n') },
  { args: ['sh', '-c', 'x=5; y=$((x * 7 + 1)); for i in 1 2 3; do echo "$i:$y"; done; exit 3'] },
];

let busybox = '';
const oracle = new Map<number, ProcResult>();
let dir = '';

beforeAll(async () => {
  busybox = await guestBusybox();
  dir = makeBuildDir('busybox');
  mkdirSync(dir, { recursive: true });
  for (const [name, data] of Object.entries(FILES)) writeFileSync(join(dir, name), data);
  // sequential: the machine has two cores shared with the rest of the suite
  for (const [i, c] of CASES.entries()) oracle.set(i, await runQemuUser(busybox, c.args, { cwd: dir, stdin: c.stdin, env: {} }));
});

describe('busybox applets: emulator vs qemu-or1k', () => {
  for (const [i, c] of CASES.entries()) {
    it(`busybox ${c.args.join(' ')}`, () => {
      const want = oracle.get(i)!;
      expect(want.timedOut).toBe(false);
      const got = runLinuxUser(readFileSync(busybox), {
        argv: [busybox, ...c.args],
        stdin: c.stdin,
        files: new Map(Object.entries(FILES)),
      });
      expect(got.error).toBeUndefined();
      expect(Buffer.from(got.stdout).toString('latin1')).toBe(want.stdout.toString('latin1'));
      expect(got.status, `exit status (qemu stderr: ${want.stderr.trim()}; ours: ${Buffer.from(got.stderr).toString('latin1').trim()})`).toBe(want.status);
    });
  }

  it('the oracle ran the applets for real (sanity)', () => {
    expect(oracle.get(0)!.stdout.toString()).toBe('hello world\n');
    expect(oracle.get(2)!.stdout.toString()).toBe('21\n');
  });
});
