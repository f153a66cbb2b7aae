/**
 * bootImage: the library's one-call boot check. Boots Linux on a disk image
 * (file-backed, copy-on-write unless `write`) with the bundled or1k emulator,
 * headless, runs the expect/send steps, and returns the outcome with the
 * console. The same pieces as `mkrootfs boot IMAGE`, without the CLI.
 *
 *   const r = await bootImage({ image: 'out/rootfs.img', expect: ['login:'] });
 *   if (!r.ok) console.error(r.message, r.lastLines);
 *
 * Like the CLI, it primes V8 once per process (emulator/cpu/prime.ts) and
 * seeds each boot with what the previous boot of the same kernel in this
 * process translated (src/boot/translations.ts), so boots after the first
 * run hot kernel code translated from the start.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { MkrootfsError, usageError } from '../errors.ts';
import { FileDisk } from '../../emulator/host/file-disk.ts';
import { createBootMachine } from '../../emulator/host/machine-target.ts';
import { primeCpu } from '../../emulator/cpu/prime.ts';
import { usePageTiers } from '../../emulator/host/page-tiers.ts';
import { guestVar } from '../guest/vars.ts';
import type { BootOutcome, BootStep } from './expect.ts';
import { resolveBootOptions } from './options.ts';
import { BootSession } from './session.ts';
import { memoryTranslationCache } from './translations.ts';

export interface BootImageOptions {
  /** Disk image (virtio-blk /dev/vda). Absent: boot the kernel alone. */
  image?: string;
  /** Kernel ELF path or bytes. Default: the cached guest kernel (`mkrootfs guest`; never built here). */
  kernel?: string | Uint8Array;
  /** Kernel command line. Default `console=ttyS0 root=/dev/vda rw` (`console=ttyS0` without a disk). */
  append?: string;
  /** Texts to wait for, in order (shorthand for `{ expect }` steps); plain text, or `re:REGEX`. */
  expect?: string[];
  /** Expect/send steps in order; used after `expect`'s. */
  steps?: BootStep[];
  /** Texts that fail the boot as soon as they appear. */
  fail?: string[];
  /** Guest-time limit in seconds (default 120). */
  timeoutS?: number;
  /** Guest RAM, e.g. `128M` (default 128M). */
  memory?: string;
  /** Write guest changes to the image file (default: kept in memory). */
  write?: boolean;
  /** Extra devices, `TYPE,prop=value` as for `--device`. */
  devices?: string[];
  /** Translate hot guest code to WebAssembly (default true). */
  jit?: boolean;
  /**
   * Seed the boot with what the previous boot of the same kernel in this
   * process translated, and keep this boot's for the next (default true;
   * MKROOTFS_NO_TRANSLATION_CACHE=1 in `env` also turns it off). Never
   * changes what the guest does, only how fast it runs.
   */
  translationCache?: boolean;
  /** RTC time at reset, seconds since 1970 (default 0: reproducible). */
  rtcEpochSeconds?: number;
  /** Receives the guest's console output as it comes. */
  onConsole?: (bytes: Uint8Array) => void;
  /** For the default kernel: the cache root and environment (default ~/.cache/mkrootfs, process.env). */
  cacheDir?: string;
  env?: Record<string, string | undefined>;
}

export interface BootImageResult {
  /** True when every step matched (or, with no steps, the guest powered off cleanly). */
  ok: boolean;
  /** What ended the boot: ok, expect-failed, fail-matched, panic, timeout, step-timeout, poweroff-code. */
  status: BootOutcome['kind'];
  /** The CLI's exit code for this outcome: 0, 3, 4 or 124. */
  exitCode: number;
  message: string;
  /** The whole console output (latin1 text). */
  console: string;
  /** The last console lines, for a failure report. */
  lastLines: string[];
  guestSeconds: number;
  instructions: number;
  wallSeconds: number;
  /** Guest time at which each completed step matched. */
  stepGuestSeconds: number[];
  /**
   * Translated code: pages translated by this boot, pages restored from an
   * earlier boot's translations, and the instructions retired in translated
   * code (the rest of `instructions` ran in the interpreters).
   */
  jit: { enabled: boolean; translations: number; restoredPages: number; retiredTranslated: number };
}

export async function bootImage(opts: BootImageOptions): Promise<BootImageResult> {
  const steps: BootStep[] = [...(opts.expect ?? []).map((expect) => ({ expect })), ...(opts.steps ?? [])];
  const kernelPath = typeof opts.kernel === 'string' ? opts.kernel
    : opts.kernel === undefined ? await guestVar('kernel', { cacheDir: opts.cacheDir, env: opts.env, build: false }) : '(bytes)';
  const resolved = resolveBootOptions({
    flags: {
      kernel: kernelPath, append: opts.append, memory: opts.memory, steps, fail: opts.fail ?? [],
      timeout: opts.timeoutS === undefined ? undefined : String(opts.timeoutS),
      write: opts.write === true, devices: opts.devices ?? [], realtime: false, json: false, printMachine: false,
    },
    image: opts.image,
  });
  const kernel = opts.kernel instanceof Uint8Array ? opts.kernel : readKernel(kernelPath);
  const env = opts.env ?? process.env;
  const jit = opts.jit !== false;
  const translations = !jit || opts.translationCache === false || env.MKROOTFS_NO_TRANSLATION_CACHE === '1' ? undefined
    // Seeds are checked page by page against the words in RAM, so a kernel given as bytes needs no finer key.
    : memoryTranslationCache(opts.kernel instanceof Uint8Array ? `virt (bytes, ${kernel.length})` : `virt ${resolve(kernelPath)}`);

  let disk: FileDisk | undefined;
  if (resolved.image !== undefined) {
    try {
      disk = new FileDisk(resolved.image, { write: resolved.write });
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      throw usageError('BOOT_IMAGE_OPEN', `cannot open disk image ${resolved.image}: ${e.code ?? e.message}`, 'check the path and permissions', { path: resolved.image });
    }
  }
  const chunks: string[] = [];
  try {
    const session = new BootSession({
      script: { steps: resolved.steps, fail: resolved.fail, panic: resolved.panic, timeoutS: resolved.timeoutS },
      wallTimeoutMs: resolved.timeoutS * 10_000 + 60_000,
      echo: (b) => {
        chunks.push(latin1(b));
        opts.onConsole?.(b);
      },
    });
    primeCpu(); // once per process; before the machine's RAM, as in the CLI
    usePageTiers();
    const machine = createBootMachine({
      kernel, append: resolved.append, memoryBytes: resolved.memoryBytes, disk, serial: session.console,
      devices: resolved.devices, rtcEpochSeconds: opts.rtcEpochSeconds ?? 0, jit,
    });
    const cpu = machine.machine.cpu;
    translations?.seed(cpu);
    const r = await session.run(machine.target);
    translations?.save(cpu);
    const o = r.outcome;
    return {
      ok: o.exitCode === 0, status: o.kind, exitCode: o.exitCode, message: o.message,
      console: chunks.join(''), lastLines: r.transcript.lastLines(),
      guestSeconds: r.guestNs / 1e9, instructions: r.run.instructions, wallSeconds: r.run.wallMs / 1000,
      stepGuestSeconds: r.stepTimesNs.map((ns) => ns / 1e9),
      jit: { enabled: cpu.jit, translations: cpu.codeStats.translations, restoredPages: cpu.codeStats.restored, retiredTranslated: cpu.translatedRetired },
    };
  } finally {
    disk?.close();
  }
}

function readKernel(path: string): Uint8Array {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new MkrootfsError({ code: 'BOOT_FILE_MISSING', message: `kernel not found: ${path}`, hint: 'build the guest with `mkrootfs guest`, or pass kernel', exitCode: 2, cause: err });
  }
}

function latin1(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i++) s += String.fromCharCode(bytes[i]!);
  return s;
}
