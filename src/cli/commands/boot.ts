/**
 * `mkrootfs boot [RECIPE|IMAGE]`: boots Linux on an image with the bundled
 * or1k emulator — headless with boot checks (CI) or on an interactive console.
 */
import type { Command } from 'commander';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, renameSync, statSync, writeSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { CommandContext } from '../main.ts';
import { info } from '../io.ts';
import { ExitCode, MkrootfsError, usageError } from '../../errors.ts';
import { parseSourceDateEpoch } from '../../source-date-epoch.ts';
import { resolveBootOptions, type BootFlags, type BootOptions, type RecipeBoot } from '../../boot/options.ts';
import type { BootStep } from '../../boot/expect.ts';
import { BootSession, type SessionResult } from '../../boot/session.ts';
import { FileDisk } from '../../../emulator/host/file-disk.ts';
import { HeadlessConsole, InteractiveConsole, type TerminalIn, type TerminalOut } from '../../../emulator/host/console.ts';
import { createBootMachine, type BootMachine } from '../../../emulator/host/machine-target.ts';
import { deviceHelp } from '../../../emulator/machine.ts';
import { QomError } from '../../../emulator/qom/errors.ts';
import { parseDeviceArg } from '../../../emulator/qom/device-spec.ts';
import { ElfError } from '../../../emulator/elf.ts';
import { parseNicSpec } from '../../boot/nic-spec.ts';
import { createNetwork, describeNics, type MachineNetwork, type NicReport } from '../../boot/nic-backends.ts';

const HELP = `
Headless (stdin or stdout not a terminal, or any --expect/--send): the guest
console goes to stdout and to out/boot.log. Interactive (a terminal and no
script): a raw serial console; Ctrl-A x quits, Ctrl-A h helps.

Steps: --expect and --send run in command-line order. An --expect waits for its
text (plain text, or re:REGEX matched within a line); a --send types its text
and Enter (escapes \\n \\r \\t \\e \\xHH \\cX). --fail texts end the boot at once
(exit 3); "Kernel panic" always ends it with exit 4. The boot succeeds when the
last step matched, or — with no steps — when the guest powers off.

Time: guest time is virtual (derived from the instruction count; a dozing CPU
skips to its next timer event), so transcripts and timeouts are reproducible.
--timeout counts guest seconds (default: the recipe's, else 120); a wall-clock
safety net of 10x that plus 60 s stops a stuck emulator. --realtime paces the
guest clock to the wall clock; interactive sessions always run that way (and
have no timeout). A guest reboot restarts the machine in an interactive
session and ends a headless boot (like QEMU -no-reboot).

The image is opened read-only and guest writes are kept in memory unless
--write is given (then they go to the file, fsynced on guest flush).

Network: --nic TYPE[,model=virtio-net-device|ethoc][,mac=MAC][,opt=val...]
(repeatable) adds a NIC (default model virtio-net-device on virt; the n-th
NIC's MAC defaults to 52:54:00:12:34:56 + n) on a backend:
  socket,listen=[ADDR]:PORT | socket,connect=ADDR:PORT
      ethernet frames to another boot or a QEMU guest (-netdev socket framing);
      listen binds 127.0.0.1 unless ADDR is given
  user[,hostfwd=tcp:[HOSTADDR]:HOSTPORT-:GUESTPORT...][,restrict=on|off]
      the built-in user-mode network (when this build has it)
--net-dump FILE writes every frame, both ways, as pcap (guest-time stamps).
While a connection is open, a dozing guest's time follows the wall clock; a
listening boot with no peer yet still skips idle time (its --timeout can pass
before the peer starts: keep it busy, e.g. pinging the peer, or use --realtime).

Exit codes: 0 ok (all steps matched or clean power-off), 2 bad input (before the
guest starts), 3 expectation not met, 4 guest panic, 124 timeout.

Examples:
  $ mkrootfs boot recipes/busybox.yml                     rebuild its image, boot, run its checks
  $ mkrootfs boot out/rootfs.img --expect 'BOOT-OK'       boot an image until the text appears
  $ mkrootfs boot out/rootfs.img --expect '/ # ' --send 'ls /' --expect 'etc'
  $ mkrootfs boot --kernel test.elf                        a bare-metal or1k program, no disk
  $ mkrootfs boot --device help                            list device types
  $ mkrootfs boot a.img --append '... ' --nic socket,listen=:5555 --net-dump a.pcap
  $ mkrootfs boot b.img --nic socket,connect=127.0.0.1:5555,model=ethoc   join the first boot's link`;

interface RawFlags {
  kernel?: string;
  append?: string;
  memory?: string;
  fail?: string[];
  timeout?: string;
  write?: boolean;
  device?: string[];
  printMachine?: boolean;
  realtime?: boolean;
  json?: boolean;
  jit?: boolean;
  nic?: string[];
  netDump?: string;
}

const collect = (v: string, prev: string[] | undefined): string[] => [...(prev ?? []), v];

export function defineBoot(program: Command, ctx: CommandContext): void {
  // --expect/--send keep their relative order: record them as commander parses.
  let steps: BootStep[] = [];
  const cmd = program
    .command('boot')
    .description('Boot Linux on an image with the bundled or1k emulator (headless checks or interactive console)')
    .argument('[target]', 'a recipe (.yml: its image, rebuilt first, and its boot: section) or a disk image')
    .option('--kernel <vmlinux>', 'kernel ELF to boot (default: the guest cache\'s); alone: a bare-metal program, no disk')
    .option('--append <args>', 'kernel command line (default "console=ttyS0 root=/dev/vda rw")')
    .option('--memory <size>', 'guest RAM, e.g. 128M (default 128M)')
    .option('--expect <text>', 'wait for TEXT on the console (repeatable, in order)')
    .option('--send <text>', 'type TEXT and Enter into the console (repeatable, in order)')
    .option('--fail <text>', 'fail as soon as TEXT appears (repeatable)', collect)
    .option('--timeout <seconds>', 'guest-time limit for the whole boot (default 120, or the recipe\'s)')
    .option('--write', 'write guest changes to the image file (default: copy-on-write in memory)')
    .option('--device <spec>', 'add a device: TYPE,prop=value,... (repeatable); "help" or TYPE,help lists', collect)
    .option('--nic <spec>', 'add a NIC and its network backend: TYPE[,model=M][,opt=val] (repeatable; see Network below)', collect)
    .option('--net-dump <file>', 'write every network frame to FILE in pcap format')
    .option('--print-machine', 'print the machine (devices, memory map) and exit without booting')
    .option('--realtime', 'pace guest time to the wall clock')
    .option('--no-jit', 'interpret every instruction (no translation of hot code to WebAssembly; same results, slower)')
    .option('--json', 'print the result as JSON on stdout (console then goes to stderr and out/boot.log)')
    .addHelpText('after', HELP)
    .action(async (target: string | undefined, raw: RawFlags) => {
      const ordered = steps;
      steps = [];
      ctx.setExit(await bootCommand(ctx, target, raw, ordered));
    });
  cmd.on('option:expect', (v: string) => { steps.push({ expect: v }); });
  cmd.on('option:send', (v: string) => { steps.push({ send: v }); });
}

async function bootCommand(ctx: CommandContext, target: string | undefined, raw: RawFlags, steps: BootStep[]): Promise<number> {
  const { io } = ctx;
  // --device help / TYPE,help: print the registry's help and stop.
  const devices = raw.device ?? [];
  for (const d of devices) {
    const help = machineStep(() => deviceHelp(d));
    if (help !== undefined) {
      io.stdout.write(help.replace(/\n?$/, '\n'));
      return ExitCode.ok;
    }
  }
  const nics = (raw.nic ?? []).map(parseNicSpec);
  const flags: BootFlags = {
    kernel: raw.kernel, append: raw.append, memory: raw.memory, steps, fail: raw.fail ?? [], timeout: raw.timeout,
    write: raw.write === true, devices, realtime: raw.realtime === true, json: raw.json === true, printMachine: raw.printMachine === true,
  };

  let image: string | undefined;
  let recipeBoot: RecipeBoot | undefined;
  if (target !== undefined && /\.ya?ml$/i.test(target)) {
    const loaded = await loadBootRecipe(resolve(io.cwd, target), io);
    image = loaded.image;
    recipeBoot = loaded.boot;
  } else if (target !== undefined) {
    image = resolve(io.cwd, target);
    requireFile(image, 'disk image', 'build one with `mkrootfs RECIPE.yml` or `mkrootfs build`');
  } else if (flags.kernel === undefined) {
    throw usageError('BOOT_NO_TARGET', 'nothing to boot: give a recipe, a disk image, or --kernel', 'e.g. mkrootfs boot recipes/busybox.yml');
  }
  const needGuestKernel = flags.kernel === undefined && recipeBoot?.kernel === undefined;
  const opts = resolveBootOptions({ flags, recipe: recipeBoot, image, guestKernel: needGuestKernel ? await guestKernelPath(io) : undefined });
  if (opts.kernel !== undefined) opts.kernel = resolve(io.cwd, opts.kernel);
  requireFile(opts.kernel, 'kernel', opts.origin.kernel === 'guest cache' ? 'rebuild the guest with `mkrootfs guest`' : 'check the --kernel path');
  const kernel = readFileSync(opts.kernel);

  const interactive = !flags.json && opts.steps.length === 0 && io.stdin.isTTY === true && io.stdout.isTTY === true && !flags.printMachine;

  let disk: FileDisk | undefined;
  if (opts.image !== undefined) {
    try {
      disk = new FileDisk(opts.image, { write: opts.write });
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      throw usageError('BOOT_IMAGE_OPEN', `cannot open disk image ${opts.image}${opts.write ? ' for writing' : ''}: ${e.code ?? e.message}`,
        opts.write ? 'check the file is writable, or drop --write (copy-on-write)' : 'check the path and permissions');
    }
    if (disk.sectorCount === 0) throw usageError('BOOT_IMAGE_EMPTY', `disk image ${opts.image} is smaller than one 512-byte sector`, 'rebuild the image');
  }

  const extraDrives = openExtraDrives(opts.devices, io.cwd, opts.write);

  const logPath = resolve(io.cwd, 'out/boot.log');
  let log: LogFile | undefined;
  let term: InteractiveConsole | undefined;
  let machine: BootMachine | undefined;
  let network: MachineNetwork | undefined;
  // Headless: Ctrl-C / SIGTERM stop the guest between slices, keep out/boot.log, then end the process by that signal.
  let interrupted: NodeJS.Signals | undefined;
  const onSignal = (sig: NodeJS.Signals): void => { interrupted = sig; };
  try {
    // A closed pipe (`boot ... | head`) stops the echo, not the boot: the log still gets everything.
    const echoTo = flags.json ? io.stderr : io.stdout;
    let echoOpen = true;
    const onEchoError = (): void => { echoOpen = false; };
    echoTo.on('error', onEchoError);
    const headless = new HeadlessConsole((b) => { if (echoOpen) echoTo.write(b); });
    const session = new BootSession({
      script: { steps: opts.steps, fail: opts.fail, panic: opts.panic, timeoutS: interactive ? Number.POSITIVE_INFINITY : opts.timeoutS },
      // Interactive sessions follow the wall clock: `sleep 1` takes a second and
      // an idle shell does not spin the host CPU fast-forwarding guest time.
      realtime: opts.realtime || interactive,
      wallTimeoutMs: interactive ? undefined : opts.timeoutS * 10_000 + 60_000,
      echo: (b) => {
        log?.write(b);
        if (term) term.write(b);
        else headless.write(b);
      },
      takeUserInput: () => (term ? term.takeInput() : headless.takeInput()),
      quitRequested: () => (term?.quitRequested ?? false) || interrupted !== undefined,
      rebootResets: interactive,
    });
    network = await createNetwork({
      nics, dumpPath: raw.netDump === undefined ? undefined : resolve(io.cwd, raw.netDump), epochSeconds: rtcEpoch(io.env),
      log: (m) => io.stderr.write(`${m}\n`),
    });
    const net = network;
    machine = machineStep(() => createBootMachine({
      kernel, append: opts.append, memoryBytes: opts.memoryBytes, disk, serial: session.console, devices: [...opts.devices, ...net.devices],
      drives: extraDrives,
      netdevs: net.netdevs,
      rtcEpochSeconds: rtcEpoch(io.env),
      jit: raw.jit !== false,
    }), opts.kernel);
    const bm = machine;
    if (net.dump) net.dump.writer.clock = () => bm.machine.nowNs();
    if (flags.printMachine) {
      io.stdout.write(machine.describe().replace(/\n?$/, '\n'));
      return ExitCode.ok;
    }
    log = new LogFile(logPath);
    if (!flags.json) info(io, describeStart(opts, interactive));
    if (interactive) term = new InteractiveConsole({ input: io.stdin as unknown as TerminalIn, output: io.stdout as unknown as TerminalOut, proc: process });
    if (!interactive) for (const sig of STOP_SIGNALS) process.on(sig, onSignal);
    const startupSeconds = process.uptime(); // process start → guest start (Node, tsx, modules, kernel load, machine)
    const result = await session.run(machine.target);
    term?.close();
    term = undefined;
    log.commit();
    if (interrupted) {
      const lines = result.transcript.lastLines();
      io.stderr.write(`\nboot: stopped by ${interrupted} at guest ${(result.guestNs / 1e9).toFixed(3)} s; last console line(s):\n${lines.map((l) => `  | ${l}`).join('\n')}\n`);
      return ExitCode.runtime;
    }
    return report(ctx, opts, result, logPath, flags.json, disk, startupSeconds, jitReport(machine.machine.cpu), describeNics(machine.machine.root));
  } finally {
    for (const sig of STOP_SIGNALS) process.off(sig, onSignal);
    term?.close();
    log?.commit();
    network?.close();
    disk?.close();
    // Re-raise, so the process ends the way the signal means (exit 128+n).
    if (interrupted) process.kill(process.pid, interrupted);
  }
}

const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

interface JitReport {
  enabled: boolean;
  /** Page translations made (re-translations included), guest instructions in them, pages dropped after writes. */
  translations: number;
  translatedInstructions: number;
  invalidations: number;
  /** Host time spent translating and compiling. */
  translateSeconds: number;
}

function jitReport(cpu: { jit: boolean; codeStats: Readonly<{ translations: number; insns: number; invalidations: number; translateMs: number }> }): JitReport {
  const s = cpu.codeStats;
  return { enabled: cpu.jit, translations: s.translations, translatedInstructions: s.insns, invalidations: s.invalidations, translateSeconds: s.translateMs / 1000 };
}

function report(ctx: CommandContext, opts: BootOptions, r: SessionResult, logPath: string, json: boolean, disk: FileDisk | undefined, startupSeconds: number, jit: JitReport, nics: NicReport[] = []): number {
  const { io } = ctx;
  const o = r.outcome;
  const mips = r.run.wallMs > 0 ? r.run.instructions / r.run.wallMs / 1000 : 0;
  if (json) {
    io.stdout.write(JSON.stringify({
      status: o.kind, exitCode: o.exitCode, message: o.message, pattern: o.pattern ?? null,
      stepsCompleted: r.stepTimesNs.length, steps: opts.steps.length,
      stepGuestSeconds: r.stepTimesNs.map((ns) => ns / 1e9),
      guestSeconds: r.guestNs / 1e9, instructions: r.run.instructions, wallSeconds: r.run.wallMs / 1000, startupSeconds,
      image: opts.image ?? null, kernel: opts.kernel, append: opts.append, write: opts.write, log: logPath,
      disk: disk ? { ...disk.stats } : null,
      jit,
      nics,
      lastLines: o.exitCode === 0 ? [] : r.transcript.lastLines(),
    }, null, 2) + '\n');
    return o.exitCode;
  }
  const stats = `guest ${(r.guestNs / 1e9).toFixed(3)} s, ${r.run.instructions} instructions, wall ${(r.run.wallMs / 1000).toFixed(2)} s (${mips.toFixed(1)} MIPS)`;
  if (o.exitCode === ExitCode.ok) {
    info(io, `\nboot: ok — ${o.message} (${stats})`);
    return ExitCode.ok;
  }
  const lines = r.transcript.lastLines();
  io.stderr.write(`\nboot: last ${lines.length} console line(s):\n${lines.map((l) => `  | ${l}`).join('\n')}\n`);
  info(io, `boot: ${stats}`);
  throw new MkrootfsError({
    code: CODE_OF[o.kind], message: o.message, exitCode: o.exitCode,
    hint: `the full console transcript is in ${logPath}`,
    data: { step: o.step, pattern: o.pattern, guestNs: r.guestNs, instructions: r.run.instructions },
  });
}

const CODE_OF: Record<SessionResult['outcome']['kind'], string> = {
  'ok': 'BOOT_OK',
  'expect-failed': 'BOOT_EXPECT_FAILED',
  'fail-matched': 'BOOT_FAIL_PATTERN',
  'panic': 'BOOT_GUEST_PANIC',
  'timeout': 'BOOT_TIMEOUT',
  'step-timeout': 'BOOT_STEP_TIMEOUT',
  'poweroff-code': 'BOOT_GUEST_FAILURE',
};

function describeStart(o: BootOptions, interactive: boolean): string {
  const what = o.image ? `${o.image}${o.write ? ' (read-write)' : ' (copy-on-write)'}` : 'no disk';
  const mode = interactive ? 'interactive console, Ctrl-A x quits' : `headless, ${o.steps.length} step(s), timeout ${o.timeoutS} s guest time`;
  return `boot: ${o.kernel} + ${what}, ${o.memoryBytes >> 20}M, append "${o.append}" — ${mode}${o.realtime && !interactive ? ', realtime' : ''}`;
}

function requireFile(path: string, what: string, hint: string): void {
  let ok = false;
  try {
    ok = statSync(path).isFile();
  } catch {
    ok = false;
  }
  if (!ok) throw usageError('BOOT_FILE_MISSING', `${what} not found: ${path}`, hint, { path });
}

/** Runs a machine-construction step, turning device-model errors into usage errors (exit 2). */
function machineStep<T>(fn: () => T, kernelPath?: string): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof ElfError) {
      throw usageError(`BOOT_${err.code}`, `kernel ${kernelPath ?? ''}: ${err.message}`, 'give an or1k (OpenRISC, big-endian, 32-bit) ELF such as the guest\'s vmlinux', { path: kernelPath });
    }
    if (err instanceof QomError) {
      throw usageError(`BOOT_${err.code.toUpperCase().replace(/-/g, '_')}`, err.message, err.hint ?? 'see `mkrootfs boot --device help`', err.data);
    }
    throw err;
  }
}

/** The RTC's time at reset: SOURCE_DATE_EPOCH when set (src/source-date-epoch.ts), else 0 (never the host clock: boots stay reproducible). */
function rtcEpoch(env: Record<string, string | undefined>): number {
  return parseSourceDateEpoch(env) ?? 0;
}

/** out/boot.log, written to a temp file and renamed when the boot ends (whatever the outcome). */
class LogFile {
  private fd: number;
  private readonly tmp: string;
  private readonly path: string;
  constructor(path: string) {
    this.path = path;
    this.tmp = `${path}.${process.pid}.tmp`;
    mkdirSync(dirname(path), { recursive: true });
    this.fd = openSync(this.tmp, 'w');
  }
  write(b: Uint8Array): void {
    if (this.fd >= 0) writeSync(this.fd, b);
  }
  commit(): void {
    if (this.fd < 0) return;
    closeSync(this.fd);
    this.fd = -1;
    if (existsSync(this.tmp)) renameSync(this.tmp, this.path);
  }
}

/** The guest cache's kernel if the guest has been built (never builds it; else undefined). */
async function guestKernelPath(io: CommandContext['io']): Promise<string | undefined> {
  try {
    const { loadToolConfig } = await import('../config.ts');
    const { guestVar } = await import('../../guest/vars.ts');
    const config = await loadToolConfig(io.cwd, io.env.HOME);
    const k = await guestVar('kernel', { cacheDir: config.cacheDir, env: io.env, build: false });
    return existsSync(k) ? k : undefined;
  } catch {
    return undefined;
  }
}

/**
 * `--device virtio-blk-device,drive=data.img`: a drive value that is not the
 * image's id (hd0) and names an existing file is that disk file, opened like the image (copy-on-write
 * unless --write). The machine then places the device on the next free slot.
 */
function openExtraDrives(devices: readonly string[], cwd: string, write: boolean): Record<string, FileDisk> {
  const drives: Record<string, FileDisk> = {};
  for (const text of devices) {
    let arg;
    try { arg = parseDeviceArg(text); } catch { continue; } // reported with its hint when the machine is built
    if (arg.kind !== 'device') continue;
    const drive = arg.spec.props.find(([name]) => name === 'drive')?.[1];
    if (drive === undefined || drive === 'hd0' || drive in drives) continue;
    const path = resolve(cwd, drive);
    if (!existsSync(path)) continue; // not a file: an unknown drive id, reported by the machine with its hint
    try {
      drives[drive] = new FileDisk(path, { write });
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      throw usageError('BOOT_IMAGE_OPEN', `cannot open disk image ${path}${write ? ' for writing' : ''}: ${e.code ?? e.message}`, 'check the path and permissions');
    }
  }
  return drives;
}

/**
 * A recipe's image path and its boot: section. The image is always rebuilt
 * from the recipe first (it is cheap and deterministic), so a boot never runs
 * a stale image — or another recipe's image at the same output path. Boot the
 * IMAGE path instead to keep what an earlier `--write` boot changed.
 */
async function loadBootRecipe(recipePath: string, io: CommandContext['io']): Promise<{ image: string; boot: RecipeBoot | undefined }> {
  requireFile(recipePath, 'recipe', 'check the path');
  // The recipe stack loads only when a recipe is booted (keeps `boot IMAGE` start-up short).
  const { loadToolConfig } = await import('../config.ts');
  const { loadRecipe, imageOutputPath, buildFromRecipe } = await import('../../pipeline.ts');
  const config = await loadToolConfig(io.cwd, io.env.HOME);
  const args = { recipePath, env: io.env, cwd: io.cwd, cacheDir: config.cacheDir };
  const loaded = await loadRecipe(args);
  const image = imageOutputPath(loaded, { cwd: io.cwd, outputDir: config.outputDir });
  info(io, `boot: building ${image} from ${recipePath}`);
  await buildFromRecipe({ ...args, output: image });
  requireFile(image, 'disk image (after building the recipe)', 'check the recipe\'s image.output');
  return { image, boot: loaded.recipe.boot };
}
