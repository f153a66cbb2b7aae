/**
 * User-mode differential tests: C programs from test/emulator/programs/ built
 * with the guest's musl compiler (several optimisation levels and with the
 * optional or1k instructions enabled), run under qemu-or1k (the oracle) and
 * under the emulator's CPU with the Linux user-mode runner. stdout and the
 * exit status must be identical.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { compileUser, makeBuildDir } from '../harness/compile.ts';
import { guestCc } from '../harness/guest-tools.ts';
import { mapLimited } from '../harness/limit.ts';
import { runQemuUser, type ProcResult } from '../harness/qemu.ts';
import { runLinuxUser } from './linux-user.ts';

const PROGRAMS = join(import.meta.dirname, '..', 'programs');
/** gcc flags that make it emit the optional ORBIS32 instructions. */
const OPTIONAL_INSNS = ['-mcmov', '-mror', '-mrori', '-msext', '-msfimm', '-mshftimm'];
const ENV = ['HOME=/root', 'LANG=C', 'TEST_VAR=some value'];

interface Case {
  name: string;
  src: string;
  cflags: string[];
  /** Argument lists to run with (default: one run without arguments). */
  runs?: string[][];
}

const CASES: Case[] = [
  { name: 'flags-O0', src: 'flags.c', cflags: ['-O0'] },
  { name: 'flags-O2', src: 'flags.c', cflags: ['-O2'] },
  { name: 'flags-O2-opt', src: 'flags.c', cflags: ['-O2', ...OPTIONAL_INSNS] },
  { name: 'muldiv-O0', src: 'muldiv.c', cflags: ['-O0'] },
  { name: 'muldiv-O2', src: 'muldiv.c', cflags: ['-O2', ...OPTIONAL_INSNS] },
  { name: 'bitops-O2', src: 'bitops.c', cflags: ['-O2'] },
  { name: 'bitops-O2-opt', src: 'bitops.c', cflags: ['-O2', ...OPTIONAL_INSNS] },
  { name: 'bitops-O0-opt', src: 'bitops.c', cflags: ['-O0', ...OPTIONAL_INSNS] },
  { name: 'shifts-O0', src: 'shifts.c', cflags: ['-O0'] },
  { name: 'shifts-O2-opt', src: 'shifts.c', cflags: ['-O2', ...OPTIONAL_INSNS] },
  { name: 'atomics-O0', src: 'atomics.c', cflags: ['-O0'] },
  { name: 'atomics-O2', src: 'atomics.c', cflags: ['-O2', ...OPTIONAL_INSNS] },
  { name: 'signals-O2', src: 'signals.c', cflags: ['-O2'], runs: [[], ['abort'], ['term'], ['ill']] },
  { name: 'strings-O2', src: 'strings.c', cflags: ['-O2'] },
  { name: 'strings-Os-opt', src: 'strings.c', cflags: ['-Os', ...OPTIONAL_INSNS] },
  { name: 'floats-O2', src: 'floats.c', cflags: ['-O2', '-lm'] },
  { name: 'args-O2', src: 'args.c', cflags: ['-O2'], runs: [[], ['7', 'two words', ''], ['300']] },
  { name: 'malloc-O2', src: 'malloc.c', cflags: ['-O2'] },
  { name: 'insns-O2', src: 'insns.c', cflags: ['-O2'] },
  { name: 'insns-O0', src: 'insns.c', cflags: ['-O0'] },
  { name: 'fuzz-O2', src: 'fuzz.c', cflags: ['-O2'], runs: [[], ['7'], ['31337'], ['0xdeadbeef']] },
];

/** Instructions each build must contain, so the cases cover what they claim. */
const MUST_CONTAIN: Record<string, string[]> = {
  'bitops-O2-opt': ['l.cmov', 'l.extbs', 'l.exths', 'l.slli', 'l.srai', 'l.ror'],
  'flags-O2-opt': ['l.sfgtui', 'l.cmov', 'l.exths'],
  'shifts-O2-opt': ['l.slli', 'l.srli', 'l.srai'],
  'atomics-O2': ['l.lwa', 'l.swa'],
  'muldiv-O2': ['l.mul', 'l.div', 'l.divu', 'l.jal'],
  // GCC 12 computes 64-bit carries with l.sfltu/l.sfgtu, not l.addc (insns.c covers l.addc)
  'flags-O2': ['l.sfltu', 'l.sfgtu', 'l.add', 'l.sub'],
  'insns-O2': ['l.ff1', 'l.fl1', 'l.extbz', 'l.exthz', 'l.rori', 'l.mulu', 'l.addic', 'l.sfgesi', 'l.sfleui'],
};

interface Built {
  elf: string;
  qemu: ProcResult[];
}
const built = new Map<string, Built>();

beforeAll(async () => {
  const cc = await guestCc();
  const out = makeBuildDir('usermode');
  await mapLimited(CASES, 3, async (c) => {
    const elf = await compileUser({ cc, sources: [join(PROGRAMS, c.src)], out: join(out, c.name), cflags: ['-Wall', ...c.cflags], cwd: out });
    const qemu: ProcResult[] = [];
    for (const args of c.runs ?? [[]]) qemu.push(await runQemuUser(elf, args, { cwd: out, env: Object.fromEntries(ENV.map((e) => e.split('=', 2) as [string, string])) }));
    built.set(c.name, { elf, qemu });
  });
});

describe('static musl programs: emulator vs qemu-or1k', () => {
  for (const c of CASES) {
    for (const [i, args] of (c.runs ?? [[]]).entries()) {
      it(`${c.name} ${JSON.stringify(args)}`, () => {
        const b = built.get(c.name)!;
        const want = b.qemu[i]!;
        expect(want.timedOut).toBe(false);
        expect(want.stdout.length, 'the oracle printed something').toBeGreaterThan(0);
        // qemu-or1k hands the guest its environment in reverse order (envlist)
        const got = runLinuxUser(readFileSync(b.elf), { argv: [b.elf, ...args], env: [...ENV].reverse() });
        expect(got.error).toBeUndefined();
        expect(Buffer.from(got.stdout).toString('latin1')).toBe(want.stdout.toString('latin1'));
        expect(got.status, `exit status (qemu stderr: ${want.stderr.trim()})`).toBe(want.status);
      });
    }
  }

  for (const [name, insns] of Object.entries(MUST_CONTAIN)) {
    it(`${name} contains ${insns.join(' ')}`, () => {
      const dis = execFileSync('or1k-elf-objdump', ['-d', built.get(name)!.elf], { encoding: 'utf8', maxBuffer: 64 << 20 });
      for (const m of insns) expect(dis, `${m} emitted`).toMatch(new RegExp(`\\s${m.replace('.', '\\.')}\\s`));
    });
  }
});
