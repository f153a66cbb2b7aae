/**
 * Boot options: command-line flags over a recipe's `boot:` section over
 * defaults. Pure — file checks and the guest cache lookup are done by the
 * caller, which passes their results in.
 *
 * Merge rules (documented in `mkrootfs boot --help`):
 * - scalars (kernel, append, memory, timeout): the flag wins, then the recipe, then the default;
 * - steps: any `--expect`/`--send` flag replaces the recipe's steps;
 * - fail patterns and devices: the recipe's and the flags' both apply;
 * - realtime: either the flag or the recipe turns it on;
 * - panic patterns: always `Kernel panic` (exit 4 as soon as it shows).
 */
import { usageError } from '../errors.ts';
import type { BootStep } from './expect.ts';
import { BOARDS, DEFAULT_BOARD, findBoard } from '../../emulator/board/boards.ts';
import { CPU_MODELS, cpuModel } from '../../emulator/cpu/spr.ts';

export const DEFAULT_APPEND = 'console=ttyS0 root=/dev/vda rw';
/** Without a disk there is no root device to name. */
export const DEFAULT_APPEND_NO_DISK = 'console=ttyS0';
/**
 * or1k-sim mirrors QEMU: no --append, no command line (/chosen/bootargs "");
 * the kernel finds its console through /chosen/stdout-path.
 */
export const DEFAULT_APPEND_OR1KSIM = '';
export const DEFAULT_MEMORY = 128 * 1024 * 1024;
export const DEFAULT_TIMEOUT_S = 120;
export const DEFAULT_PANIC = ['Kernel panic'] as const;
/** The virt board's RAM starts at 0 and its devices at 0x90000000. */
export const MAX_MEMORY = 2048 * 1024 * 1024;
export const MIN_MEMORY = 16 * 1024 * 1024;

/** The recipe's `boot:` section as this module reads it (a structural subset of the recipe schema). */
export interface RecipeBoot {
  kernel?: string;
  /** Board (`virt`, `or1k-sim`). */
  machine?: string;
  /** CPU model (`or1200`, `any`). */
  cpu?: string;
  /** Initrd file (relative to the recipe's directory is the caller's to resolve). */
  initrd?: string;
  append?: string;
  memory?: string | number;
  timeout?: number;
  expect?: (string | RecipeStep)[];
  fail?: string[];
  steps?: RecipeStep[];
  devices?: string[];
  realtime?: boolean;
}

/** A recipe boot step (schema BootStep). */
export interface RecipeStep {
  expect?: string;
  send?: string;
  timeout?: number;
  'wait-port'?: number;
  http?: { port: number; path?: string; expect: string };
}

export interface BootFlags {
  kernel?: string;
  machine?: string;
  cpu?: string;
  initrd?: string;
  append?: string;
  memory?: string;
  /** `--expect` and `--send` in command-line order. */
  steps: BootStep[];
  fail: string[];
  timeout?: string;
  write: boolean;
  devices: string[];
  realtime: boolean;
  json: boolean;
  printMachine: boolean;
}

export type Origin = 'flag' | 'recipe' | 'default' | 'guest cache';

export interface BootOptions {
  /** Disk image (absent: a bare kernel boot with no disk). */
  image: string | undefined;
  kernel: string;
  /** Board name (board/boards.ts). */
  machine: string;
  /** CPU model; undefined: the board's default. */
  cpu: string | undefined;
  /** Initrd file; undefined: none. */
  initrd: string | undefined;
  append: string;
  memoryBytes: number;
  steps: BootStep[];
  fail: string[];
  panic: string[];
  timeoutS: number;
  write: boolean;
  devices: string[];
  realtime: boolean;
  origin: { kernel: Origin; append: Origin; memory: Origin; steps: Origin; timeout: Origin; initrd: Origin };
}

export interface ResolveInput {
  flags: BootFlags;
  recipe?: RecipeBoot;
  image?: string;
  /** The boot target when it is an initramfs (a cpio recipe's image or a cpio file): the initrd unless --initrd names another. */
  initrd?: string;
  /** The cached guest kernel, if the guest has been built. */
  guestKernel?: string;
}

export function resolveBootOptions(input: ResolveInput): BootOptions {
  const { flags, recipe } = input;
  const kernel = pick(flags.kernel, recipe?.kernel, input.guestKernel);
  if (kernel.value === undefined) {
    throw usageError('BOOT_NO_KERNEL', 'no kernel to boot: the guest is not built and no --kernel was given',
      'run `mkrootfs guest` to build the or1k kernel, or pass --kernel path/to/vmlinux');
  }
  const machine = pick(flags.machine, recipe?.machine, DEFAULT_BOARD);
  if (findBoard(machine.value!) === undefined) {
    throw usageError('BOOT_UNKNOWN_MACHINE', `${machine.origin === 'flag' ? '--machine' : 'boot.machine'}: unknown machine "${machine.value}"`,
      `use one of: ${BOARDS.map((b) => b.name).join(', ')} (--machine help lists them)`, { machine: machine.value });
  }
  const cpu = pick(flags.cpu, recipe?.cpu, undefined);
  if (cpu.value !== undefined && cpuModel(cpu.value) === undefined) {
    throw usageError('BOOT_UNKNOWN_CPU', `${cpu.origin === 'flag' ? '--cpu' : 'boot.cpu'}: unknown CPU model "${cpu.value}"`,
      `use one of: ${Object.keys(CPU_MODELS).join(', ')} (--cpu help lists them)`, { cpu: cpu.value });
  }
  const initrd = pick(flags.initrd, input.initrd ?? recipe?.initrd, undefined);
  const orsim = machine.value === 'or1k-sim';
  if (orsim && input.image !== undefined) {
    throw usageError('BOOT_NO_DISK_ON_MACHINE', `the or1k-sim machine has no disk (no virtio), so it cannot boot the image ${input.image}`,
      'boot it on --machine virt, or give the root file system as an initramfs: --initrd FILE.cpio');
  }
  const append = pick(flags.append, recipe?.append, orsim ? DEFAULT_APPEND_OR1KSIM : input.image === undefined ? DEFAULT_APPEND_NO_DISK : DEFAULT_APPEND);
  const memory = pick(flags.memory, recipe?.memory === undefined ? undefined : String(recipe.memory), undefined);
  const memoryBytes = memory.value === undefined ? DEFAULT_MEMORY : parseMemory(memory.value, memory.origin === 'flag' ? '--memory' : 'boot.memory');
  const timeout = pick(flags.timeout, recipe?.timeout === undefined ? undefined : String(recipe.timeout), undefined);
  const timeoutS = timeout.value === undefined ? DEFAULT_TIMEOUT_S : parseSeconds(timeout.value, timeout.origin === 'flag' ? '--timeout' : 'boot.timeout');

  let steps: BootStep[];
  let stepsOrigin: Origin;
  if (flags.steps.length > 0) {
    steps = flags.steps;
    stepsOrigin = 'flag';
  } else if (recipe && (recipe.steps?.length || recipe.expect?.length)) {
    steps = recipeSteps(recipe);
    stepsOrigin = 'recipe';
  } else {
    steps = [];
    stepsOrigin = 'default';
  }
  for (const [i, s] of steps.entries()) {
    if (s.timeoutS !== undefined && !(s.timeoutS > 0)) throw usageError('BOOT_BAD_TIMEOUT', `step ${i + 1}: timeout must be a positive number of seconds`);
  }

  return {
    image: input.image,
    kernel: kernel.value,
    machine: machine.value!,
    cpu: cpu.value,
    initrd: initrd.value,
    append: append.value!,
    memoryBytes,
    steps,
    fail: [...(recipe?.fail ?? []), ...flags.fail],
    panic: [...DEFAULT_PANIC],
    timeoutS,
    write: flags.write,
    devices: [...(recipe?.devices ?? []), ...flags.devices],
    realtime: flags.realtime || recipe?.realtime === true,
    origin: {
      kernel: kernel.origin === 'default' ? 'guest cache' : kernel.origin,
      append: append.origin,
      memory: memory.origin,
      steps: stepsOrigin,
      timeout: timeout.origin,
      initrd: initrd.origin,
    },
  };
}

/** The recipe's `steps` when given, else its `expect` texts as expect-only steps. */
function recipeSteps(r: RecipeBoot): BootStep[] {
  if (r.steps && r.steps.length > 0) return r.steps.map(stepOf);
  return (r.expect ?? []).map((e) => (typeof e === 'string' ? { expect: e } : stepOf(e)));
}

function stepOf(s: RecipeStep): BootStep {
  const step: BootStep = {};
  if (s.send !== undefined) step.send = s.send;
  if (s.expect !== undefined) step.expect = s.expect;
  if (s.timeout !== undefined) step.timeoutS = s.timeout;
  if (s['wait-port'] !== undefined) step.waitPort = s['wait-port'];
  if (s.http !== undefined) step.http = { port: s.http.port, path: s.http.path ?? '/', expect: s.http.expect };
  return step;
}

function pick<T>(flag: T | undefined, recipe: T | undefined, dflt: T | undefined): { value: T | undefined; origin: Origin } {
  if (flag !== undefined) return { value: flag, origin: 'flag' };
  if (recipe !== undefined) return { value: recipe, origin: 'recipe' };
  return { value: dflt, origin: 'default' };
}

/** `128M`, `1G`, `65536K`, `134217728B`; a bare number means MiB (as QEMU's -m). */
export function parseMemory(text: string, what = '--memory'): number {
  const m = /^\s*(\d+)\s*([KMG]i?B?|B)?\s*$/i.exec(text);
  if (!m) throw usageError('BOOT_BAD_MEMORY', `${what}: cannot read "${text}" as a memory size`, 'write a size such as 128M or 1G');
  const n = Number(m[1]);
  const unit = (m[2] ?? 'M').charAt(0).toUpperCase();
  const bytes = unit === 'B' ? n : n * (unit === 'K' ? 1024 : unit === 'M' ? 1024 ** 2 : 1024 ** 3);
  if (bytes < MIN_MEMORY || bytes > MAX_MEMORY || bytes % 8192 !== 0) {
    throw usageError('BOOT_BAD_MEMORY', `${what}: ${text} is outside what the virt board can hold`,
      `give between ${MIN_MEMORY / 1048576}M and ${MAX_MEMORY / 1048576}M, a multiple of 8K (RAM sits below the devices at 0x90000000)`);
  }
  return bytes;
}

export function parseSeconds(text: string, what = '--timeout'): number {
  const v = Number(text);
  if (!Number.isFinite(v) || v <= 0) throw usageError('BOOT_BAD_TIMEOUT', `${what}: "${text}" is not a positive number of seconds`, 'for example --timeout 60');
  return v;
}
