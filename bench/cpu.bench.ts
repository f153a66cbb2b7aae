/**
 * CPU core benchmark: guest MIPS of the or1k interpreter on a CPU-bound
 * static program, side by side with `qemu-or1k` (QEMU user mode, TCG JIT)
 * running the very same ELF.
 *
 * The guest program (C source below, built with or1k-elf-gcc -O2 into
 * out/bench/cpu/) mixes what the kernel boot does most: word and byte loads
 * and stores, compares and branches, shifts, adds, multiplies and calls
 * (a sieve, a bitwise CRC-32, an insertion sort and a string hash). It exits
 * through the Linux `exit` syscall, so qemu-or1k runs it unchanged; our CPU
 * runs it in `linuxUserMode` and stops at that l.sys.
 *
 * MIPS for QEMU = our exact retired-instruction count / QEMU's wall time
 * (minus its start-up time, measured with a 1-round build of the program).
 * Ours is measured twice per run: interpreter only (`cpu.jit = false`) and
 * with translation (the default), each on a fresh CPU, so the translated
 * figure includes all translation and WebAssembly compile time. Both must
 * retire the same instructions with the same exit code.
 * Medians of BENCH_CPU_RUNS runs (default 3); BENCH_JIT_THRESHOLD overrides
 * the translation threshold.
 *
 * Run: `npm run bench -- cpu` or `npx tsx bench/cpu.bench.ts`.
 *
 * A third figure is the WebAssembly interpreter alone (emulator/cpu/jit/interp.ts,
 * translation off): what cold code in a boot runs on. On this program it
 * measured 173 MIPS against the JavaScript interpreter's 88 (same run).
 *
 * Profile of the JavaScript interpreter (`node --cpu-prof`, this program): ~91 % of
 * samples in Cpu.exec, nothing else above 2 %: the cost is the
 * per-instruction dispatch itself (fetch, switch, register-file traffic,
 * pc/delay-slot bookkeeping), about 8 ns per instruction. Translation
 * (emulator/cpu/jit/) removes all of it for hot code: each hot page becomes
 * one WebAssembly function, branches inside the page stay inside it, and
 * V8's optimising tier compiles the loops to machine code.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Cpu, StopReason } from '../emulator/cpu/cpu.ts';
import { SR } from '../emulator/cpu/spr.ts';
import { loadUserElf } from '../emulator/elf.ts';
import { Bus } from '../emulator/memory/bus.ts';
import { Ram } from '../emulator/memory/ram.ts';
import { usePageTiers } from '../emulator/host/page-tiers.ts';
import type { BenchResult } from './summary.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const OUT = join(ROOT, 'out/bench/cpu');

const START_S = `
  .section .text.start, "ax"
  .global _start
_start:
  l.movhi r1, hi(stack_top)
  l.ori   r1, r1, lo(stack_top)
  l.jal   main
  l.nop
  l.or    r3, r11, r11
  l.ori   r11, r0, 93      /* exit */
  l.sys   1
  l.nop
1: l.j 1b
  l.nop
  .section .bss
  .balign 16
  .space 65536
stack_top:
`;

const PROGRAM_C = `
#ifndef ROUNDS
#define ROUNDS 40
#endif
static unsigned char sieve[65536];
static unsigned words[2048];
static char text[4096];

static unsigned crc32(const unsigned char *p, unsigned n) {
  unsigned c = 0xffffffffu;
  for (unsigned i = 0; i < n; i++) {
    c ^= p[i];
    for (int k = 0; k < 8; k++) c = (c >> 1) ^ (0xedb88320u & -(c & 1));
  }
  return ~c;
}

static unsigned primes(void) {
  unsigned n = 0;
  for (unsigned i = 0; i < sizeof sieve; i++) sieve[i] = 1;
  for (unsigned i = 2; i < sizeof sieve; i++) {
    if (!sieve[i]) continue;
    n++;
    for (unsigned j = i + i; j < sizeof sieve; j += i) sieve[j] = 0;
  }
  return n;
}

static unsigned sort(unsigned seed) {
  for (unsigned i = 0; i < 2048; i++) { seed = seed * 1103515245u + 12345u; words[i] = seed >> 8; }
  for (unsigned i = 1; i < 512; i++) {
    unsigned v = words[i]; int j = (int)i - 1;
    while (j >= 0 && words[j] > v) { words[j + 1] = words[j]; j--; }
    words[j + 1] = v;
  }
  return words[0] ^ words[511];
}

static unsigned strhash(unsigned seed) {
  for (unsigned i = 0; i < sizeof text - 1; i++) text[i] = 'a' + (char)((seed + i * 7) % 26);
  text[sizeof text - 1] = 0;
  unsigned h = 5381;
  for (const char *p = text; *p; p++) h = h * 33 + (unsigned char)*p;
  return h;
}

int main(void) {
  unsigned acc = 0;
  for (int r = 0; r < ROUNDS; r++) {
    acc += primes();
    acc ^= crc32(sieve, 8192);
    acc += sort(acc);
    acc ^= strhash(acc);
  }
  return (int)(acc & 0x7f);
}
`;

function sh(cmd: string, args: string[]): void {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.error?.message ?? r.stderr}`);
}

/** Builds the benchmark program (cached by source text). Returns the ELF path. */
export function buildBenchProgram(rounds: number): string {
  mkdirSync(OUT, { recursive: true });
  const elf = join(OUT, `compute-${rounds}.elf`);
  const src = join(OUT, 'compute.c');
  const start = join(OUT, 'start.S');
  const stamp = join(OUT, `compute-${rounds}.src`);
  const key = START_S + PROGRAM_C;
  if (existsSync(elf) && existsSync(stamp) && readFileSync(stamp, 'utf8') === key) return elf;
  writeFileSync(src, PROGRAM_C);
  writeFileSync(start, START_S);
  sh('or1k-elf-gcc', ['-O2', '-nostdlib', '-static', '-ffreestanding', `-DROUNDS=${rounds}`,
    '-Wl,-Ttext=0x2000', '-Wl,-e,_start', '-o', elf, start, src, '-lgcc']);
  writeFileSync(stamp, key);
  return elf;
}

export interface GuestRun {
  instructions: number;
  seconds: number;
  exitCode: number;
  /** Pages translated, and the host time that took (included in `seconds`). */
  translations: number;
  translateMs: number;
  /** Pages compiled again for the optimising tier (emulator/cpu/jit/code-cache.ts PageTier). */
  promoted: number;
}

/** Runs a static user program on our CPU until its exit syscall (`jit` false: interpreter only). */
/** `jit`: true (translation), false (exec() alone), or 'wasm' (the WebAssembly interpreter, no translation). */
export function runOnCpu(elfBytes: Uint8Array, jit: boolean | 'wasm' = true): GuestRun {
  usePageTiers(); // page modules compile as in `mkrootfs boot`
  const ram = new Ram(16 << 20);
  const bus = new Bus({ ram });
  const cpu = new Cpu({ bus });
  cpu.jit = jit !== false && cpu.jit;
  if (jit === 'wasm') cpu.jitTranslate = false;
  if (process.env.BENCH_JIT_THRESHOLD) cpu.jitThreshold = Number(process.env.BENCH_JIT_THRESHOLD);
  const elf = loadUserElf(elfBytes, ram);
  cpu.reset(elf.entry);
  cpu.sr = SR.FO; // user mode, MMUs off (identity)
  cpu.linuxUserMode = true;
  const t0 = performance.now();
  for (;;) {
    // Slices of 1 M instructions, as the machine's runner makes (a hot page is promoted between them: code-cache.ts PageTier).
    const why = cpu.run(1_000_000);
    if (why === StopReason.SYSCALL) break;
    if (why !== StopReason.BUDGET) throw new Error(`guest stopped unexpectedly: reason ${why} at pc 0x${cpu.pc.toString(16)}`);
  }
  const seconds = (performance.now() - t0) / 1000;
  if (cpu.gpr[11] !== 93) throw new Error(`unexpected syscall ${cpu.gpr[11]}`);
  const st = cpu.codeStats;
  return { instructions: cpu.instret, seconds, exitCode: cpu.gpr[3]!, translations: st.translations, translateMs: st.translateMs, promoted: st.promoted };
}

function timeQemu(elf: string): { seconds: number; exitCode: number } {
  const t0 = performance.now();
  const r = spawnSync('qemu-or1k', [elf]);
  const seconds = (performance.now() - t0) / 1000;
  if (r.error) throw r.error;
  return { seconds, exitCode: r.status ?? -1 };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1]!;
}

export async function run(): Promise<BenchResult> {
  const runs = Number(process.env.BENCH_CPU_RUNS ?? 3);
  const rounds = Number(process.env.BENCH_CPU_ROUNDS ?? 40);
  const elfPath = buildBenchProgram(rounds);
  const tinyPath = buildBenchProgram(1);
  const bytes = new Uint8Array(readFileSync(elfPath));

  // Warm-up (V8's tiers for the emulator itself), then measured runs: each a
  // fresh CPU, so translated runs include all their translation work.
  runOnCpu(new Uint8Array(readFileSync(tinyPath)), false);
  runOnCpu(new Uint8Array(readFileSync(tinyPath)), true);
  runOnCpu(new Uint8Array(readFileSync(tinyPath)), 'wasm');
  const interp: GuestRun[] = [];
  const wasm: GuestRun[] = [];
  const ours: GuestRun[] = [];
  for (let i = 0; i < runs; i++) {
    interp.push(runOnCpu(bytes, false));
    wasm.push(runOnCpu(bytes, 'wasm'));
    ours.push(runOnCpu(bytes, true));
  }
  const insns = ours[0]!.instructions;
  if ([...interp, ...wasm].some((r) => r.instructions !== insns || r.exitCode !== ours[0]!.exitCode)) {
    throw new Error('interpreter and translated runs disagree on the instruction count or exit code');
  }

  let qemuLine = 'qemu-or1k: not installed';
  let qemuMips: number | null = null;
  const probe = spawnSync('qemu-or1k', ['--version']);
  if (!probe.error) {
    const q = [];
    const startup = [];
    for (let i = 0; i < runs; i++) {
      q.push(timeQemu(elfPath));
      startup.push(timeQemu(tinyPath).seconds);
    }
    const qs = median(q.map((x) => x.seconds));
    const st = median(startup);
    const tinyInsns = runOnCpu(new Uint8Array(readFileSync(tinyPath))).instructions;
    const net = Math.max(1e-6, qs - st);
    const qMips = (insns - tinyInsns) / net / 1e6;
    if (q[0]!.exitCode !== ours[0]!.exitCode) {
      throw new Error(`exit codes differ: qemu-or1k ${q[0]!.exitCode}, ours ${ours[0]!.exitCode}`);
    }
    qemuLine = `qemu-or1k  ${qs.toFixed(3)} s wall (start-up ${st.toFixed(3)} s)  ${qMips.toFixed(0)} MIPS`;
    qemuMips = qMips;
  }
  const line = (s: string) => process.stdout.write(s + '\n');
  const report = (name: string, rs: GuestRun[], extra = ''): void => {
    const s = median(rs.map((r) => r.seconds));
    const each = rs.map((r) => (r.instructions / r.seconds / 1e6).toFixed(0)).join(', ');
    line(`${name} ${s.toFixed(3)} s  ${(insns / s / 1e6).toFixed(0)} MIPS  (median of ${runs}; runs: ${each})${extra}`);
  };
  line(`guest program: ${rounds} rounds, ${(insns / 1e6).toFixed(1)} M instructions, exit code ${ours[0]!.exitCode}`);
  report('ours, interpreter  ', interp);
  report('ours, wasm interp. ', wasm);
  const tr = ours[0]!;
  report('ours, translated   ', ours, `; ${tr.translations} page translations (${tr.promoted} promoted to the optimising tier), ${tr.translateMs.toFixed(0)} ms of it translating`);
  line(qemuLine);
  return {
    rows: [{
      measurement: `CPU-bound guest program (${(insns / 1e6).toFixed(0)} M instructions), translated`, unit: 'MIPS',
      ours: insns / median(ours.map((r) => r.seconds)) / 1e6, peer: 'qemu-or1k (user mode, start-up subtracted)', peerValue: qemuMips,
    }],
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await run();
}
