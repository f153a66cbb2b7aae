/**
 * `mkrootfs boot [RECIPE|IMAGE]`: boots Linux on an image with the bundled
 * or1k emulator — headless with boot checks (CI) or on an interactive console.
 */
import type { Command } from 'commander';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readSync, renameSync, statSync, writeSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { CommandContext } from '../main.ts';
import { info } from '../io.ts';
import { ExitCode, MkrootfsError, usageError } from '../../errors.ts';
import { parseSourceDateEpoch } from '../../source-date-epoch.ts';
import { resolveBootOptions, type BootFlags, type BootOptions, type RecipeBoot } from '../../boot/options.ts';
import type { BootStep } from '../../boot/expect.ts';
import { BootSession, type SessionResult } from '../../boot/session.ts';
import { FileDisk } from '../../../emulator/host/file-disk.ts';
import { elfFile } from '../../../emulator/host/elf-file.ts';
import { HeadlessConsole, InteractiveConsole, type TerminalIn, type TerminalOut } from '../../../emulator/host/console.ts';
import { createBootMachine, type BootMachine } from '../../../emulator/host/machine-target.ts';
import { deviceHelp } from '../../../emulator/machine.ts';
import { QomError } from '../../../emulator/qom/errors.ts';
import { parseDeviceArg } from '../../../emulator/qom/device-spec.ts';
import { ElfError } from '../../../emulator/elf.ts';
import { primeCpu } from '../../../emulator/cpu/prime.ts';
import { usePageTiers } from '../../../emulator/host/page-tiers.ts';
import { storeModulesInCodeCache, translationCache } from '../code-cache.ts';
import { runningMachineMonitor } from '../../../emulator/monitor/monitor.ts';
import { formatMonitorResults, monitorCommandsApply, runMonitorCommands, type MonitorCommandResult } from '../../boot/monitor-commands.ts';
import type { LoadedToolConfig } from '../config.ts';
import type { SourcePos } from '../../recipe/recipe-error.ts';
import { writeJunitFile, errorCase } from '../junit-file.ts';
import { bootSuite, defaultBootLogPath, PipedInput, recipeStepPositions } from './boot-report.ts';
import { boardHelpText } from '../../../emulator/board/boards.ts';
import { CPU_MODELS } from '../../../emulator/cpu/spr.ts';

/** `--cpu help`. */
function cpuHelpText(): string {
  return ['Available CPUs:', ...Object.values(CPU_MODELS).map((m) => `  ${m.name.padEnd(8)} ${m.description}`)].join('\n') + '\n';
}
import { parseNicSpec } from '../../boot/nic-spec.ts';
import { createNetwork, describeNics, type MachineNetwork, type NicReport } from '../../boot/nic-backends.ts';
import { httpGetFromGuest, probeGuestPort } from '../../../emulator/net/guest-probe.ts';
import type { UserNet } from '../../../emulator/net/user-net.ts';

const HELP = `
Headless (stdin or stdout not a terminal, or any --expect, --send or
--monitor-command): the guest console goes to stdout and to a log named after
the image, beside it (out/rootfs.img -> out/rootfs.boot.log; in outputDir
when .mkrootfsrc.yml sets one), or to --log FILE. Interactive (a terminal
and no script): a raw serial console; Ctrl-A x quits, Ctrl-A h helps.

Piped stdin (not a terminal) is typed into the guest console, as with qemu
-nographic: bytes are forwarded as they arrive, from the moment the guest
opens its console (a program reads the tty; earlier bytes wait). --send steps
are typed when their step is reached, after any stdin bytes already waiting.
End of input does not end the boot (steps, a power-off or the timeout do).
Use </dev/null to keep a loop's stdin away from the guest.

Reports: --junit FILE writes a JUnit XML report (one testcase per step, timed
in guest seconds; the failing step carries the message and the console tail;
steps not reached are skipped). With GITHUB_ACTIONS=true failures are also
printed as ::error file=...,line=...:: annotations at the recipe's step line.

Steps: --expect and --send run in command-line order. An --expect waits for its
text (plain text, or re:REGEX matched within a line); a --send types its text
and Enter (escapes \\n \\r \\t \\e \\xHH \\cX). --fail texts end the boot at once
(exit 3); "Kernel panic" always ends it with exit 4. The boot succeeds when the
last step matched, or — with no steps — when the guest powers off.

Clocks: a headless boot uses virtual time: each instruction is one tick of the
guest's 20 MHz clock and a dozing CPU skips to its next timer event, so
transcripts and timeouts are reproducible run to run. --timeout counts guest
seconds (default: the recipe's, else 120); a wall-clock safety net of 10x that
plus 60 s stops a stuck emulator. An interactive session runs free instead:
guest time follows the wall clock (sleep 1 takes a second, date keeps pace),
but the CPU is never held back, as in QEMU without -icount; it has no timeout.
--realtime also follows the wall clock but paces the CPU to its 20 MHz clock
(a headless boot then stays a real-time check, not a reproducible one).
A guest reboot restarts the machine in an interactive
session and ends a headless boot (like QEMU -no-reboot).

The image is opened read-only and guest writes are kept in memory unless
--write is given (then they go to the file, fsynced on guest flush).

Monitor: Ctrl-A c in the interactive console switches to a QEMU-style monitor and
back (help lists its commands: info qtree, info mtree, qom-list, qom-get,
system_reset, system_powerdown, quit). --monitor-command runs one headless
(repeatable, in order) once the boot's steps matched or the guest powered off;
the outputs follow the console transcript on stdout (with --json: "monitor").
The machine is stopped by then: system_reset resets it at once (info registers
then shows the reset CPU) and quit skips the commands after it. A boot that
fails skips them all.

Machines (--machine help lists them): virt (default; QEMU -M virt: disk root on
virtio-blk, syscon power-off, CPU any) and or1k-sim (QEMU -M or1k-sim, the
OpenRISC how-to's machine: four UARTs, no disk, the root file system as an
--initrd initramfs, CPU or1200). On or1k-sim the kernel defaults to the guest
cache's \`make ARCH=openrisc defconfig\` kernel (\${guest.kernelOr1ksim}), the guest's
power-off (l.nop 1) ends the boot like QEMU's exit, and without --append the
command line is empty as in QEMU (the kernel takes its console from the device
tree's stdout-path); a guest reboot hangs there, as in QEMU (no reset device).
--cpu or1200|any sets the configuration registers QEMU's models report
(/proc/cpuinfo: "OpenRISC-13, revision 8" vs "OpenRISC 1000 (1.3-rev0)");
default or1200 on or1k-sim, any on virt. --initrd FILE works on both boards:
it is loaded at the first 8 KiB page after the kernel, /chosen gets
linux,initrd-start/-end and the device tree follows it, as QEMU -initrd does.

Network: --nic TYPE[,model=virtio-net-device|ethoc][,mac=MAC][,opt=val...]
(repeatable) adds a NIC (default model virtio-net-device on virt; the n-th
NIC's MAC defaults to 52:54:00:12:34:56 + n) on a backend:
  socket,listen=[ADDR]:PORT | socket,connect=ADDR:PORT
      ethernet frames to another boot or a QEMU guest (-netdev socket framing);
      listen binds 127.0.0.1 unless ADDR is given
  user[,hostfwd=tcp:[HOSTADDR]:HOSTPORT-:GUESTPORT...][,restrict=on|off]
      the built-in user-mode network (QEMU's -nic user): DHCP gives the guest
      10.0.2.15, gateway 10.0.2.2 (the host's 127.0.0.1 as a destination), DNS
      10.0.2.3 (the host's resolver); outbound TCP/UDP is NATed to host
      sockets; hostfwd listens on HOSTADDR (127.0.0.1 unless given) and
      connects into the guest; restrict=on allows only forwarded traffic.
      Pings reach 10.0.2.2/10.0.2.3 only. --json lists the guest's outbound
      attempts under "network". Recipe boot steps "wait-port: PORT" and
      "http: {port, path, expect}" check guest services through it.
--net-dump FILE writes every frame, both ways, as pcap (guest-time stamps).
While a connection is open, a dozing guest's time follows the wall clock; a
listening boot with no peer yet still skips idle time (its --timeout can pass
before the peer starts: keep it busy, e.g. pinging the peer, or use --realtime).

Translated code is kept: the installed CLI saves the guest code a boot
translated (in ~/.cache/mkrootfs/v8/, beside its own code cache) and the next
boot of the same kernel on the same board runs it from the start, wherever RAM
holds the same words (--json: jit.restoredPages, and jit.retiredTranslated, the
instructions that ran translated); results never depend on it.
MKROOTFS_NO_TRANSLATION_CACHE=1 turns it off.

Exit codes: 0 ok (all steps matched or clean power-off), 2 bad input (before the
guest starts: missing or too large --initrd, unknown --machine/--cpu, ...),
3 expectation not met, 4 guest panic, 124 timeout.

Examples:
  $ mkrootfs boot recipes/busybox.yml                     rebuild its image, boot, run its checks
  $ mkrootfs boot out/rootfs.img --expect 'BOOT-OK'       boot an image until the text appears
  $ mkrootfs boot out/rootfs.img --expect '/ # ' --send 'ls /' --expect 'etc'
  $ printf '\\nuname -a\\npoweroff -f\\n' | mkrootfs boot out/rootfs.img   type into the console
  $ mkrootfs boot recipes/busybox.yml --junit out/boot-junit.xml --log out/boot.log
  $ mkrootfs boot --kernel test.elf                        a bare-metal or1k program, no disk
  $ mkrootfs boot --device help                            list device types
  $ mkrootfs boot out/rootfs.img --expect '/ # ' --monitor-command 'info qtree' --monitor-command system_reset
  $ mkrootfs boot --machine help                           list machines (--cpu help: CPU models)
  $ mkrootfs boot --machine or1k-sim --cpu or1200 --kernel vmlinux --initrd root.cpio \
      --append 'console=ttyS0' --expect 'Run /init'          the how-to's QEMU -M or1k-sim boot
  $ mkrootfs boot --machine or1k-sim --initrd root.cpio --print-machine   its devices and tree
  $ mkrootfs boot out/rootfs.img --cpu or1200 --expect BOOT-OK           virt with an or1200 CPU
  $ mkrootfs boot a.img --append '... ' --nic socket,listen=:5555 --net-dump a.pcap
  $ mkrootfs boot b.img --nic socket,connect=127.0.0.1:5555,model=ethoc   join the first boot's link
  $ mkrootfs boot web.yml --nic user,hostfwd=tcp::8080-:80   curl http://127.0.0.1:8080/ reaches guest port 80`;

interface RawFlags {
  kernel?: string;
  machine?: string;
  cpu?: string;
  initrd?: string;
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
  monitorCommand?: string[];
  log?: string;
  junit?: string;
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
    .option('--machine <name>', 'board: virt (default) or or1k-sim; "help" lists them')
    .option('--cpu <model>', 'CPU model: or1200 or any (default: the board\'s); "help" lists them')
    .option('--initrd <file>', 'load FILE (an initramfs cpio) after the kernel and name it in /chosen, as QEMU -initrd')
    .option('--append <args>', 'kernel command line (default "console=ttyS0 root=/dev/vda rw"; on or1k-sim none, as QEMU)')
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
    .option('--realtime', 'guest time follows the wall clock and the CPU is paced to 20 MHz (interactive sessions follow it unpaced by default)')
    .option('--no-jit', 'run every instruction in the JavaScript reference interpreter (no WebAssembly interpreter or translation of hot code; same results, slower)')
    .option('--monitor-command <cmd>', 'run a monitor command (e.g. "info mtree") after the boot (repeatable, in order)', collect)
    .option('--json', 'print the result as JSON on stdout (console then goes to stderr and the log)')
    .option('--log <file>', 'write the console transcript to FILE (default: IMAGE.boot.log beside the image)')
    .option('--junit <file>', 'write a JUnit XML report of the boot steps to FILE (CI test reports)')
    .addHelpText('after', HELP)
    .action(async (target: string | undefined, raw: RawFlags) => {
      const ordered = steps;
      steps = [];
      ctx.setExit(await bootWithReport(ctx, target, raw, ordered));
    });
  cmd.on('option:expect', (v: string) => { steps.push({ expect: v }); });
  cmd.on('option:send', (v: string) => { steps.push({ send: v }); });
}

/** What a finished boot leaves for its --junit report. */
interface BootRecord {
  opts?: BootOptions;
  result?: SessionResult;
  code?: string;
}

/** Runs the boot; with --junit, writes its report whatever the outcome (a boot suite, or the error that stopped it; not when killed by a signal). */
async function bootWithReport(ctx: CommandContext, target: string | undefined, raw: RawFlags, steps: BootStep[]): Promise<number> {
  if (raw.junit === undefined) return bootCommand(ctx, target, raw, steps, {});
  const record: BootRecord = {};
  const junit = resolve(ctx.io.cwd, raw.junit);
  const write = (err?: unknown): void => {
    const suite = record.opts && record.result
      ? bootSuite({ opts: record.opts, result: record.result, code: record.code ?? 'BOOT_OK', cwd: ctx.io.cwd, target })
      : { name: `boot ${target ?? ''}`.trim(), timeS: 0, cases: [errorCase('boot', `mkrootfs.boot.${target ?? 'kernel'}`, err, 0)] };
    writeJunitFile(junit, [suite]);
  };
  let code: number;
  try {
    code = await bootCommand(ctx, target, raw, steps, record);
  } catch (err) {
    write(err);
    throw err;
  }
  // --print-machine and --device help boot nothing: no report.
  if (record.result) write();
  return code;
}

async function bootCommand(ctx: CommandContext, target: string | undefined, raw: RawFlags, steps: BootStep[], record: BootRecord): Promise<number> {
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
  if (raw.machine === 'help') {
    io.stdout.write(boardHelpText());
    return ExitCode.ok;
  }
  if (raw.cpu === 'help') {
    io.stdout.write(cpuHelpText());
    return ExitCode.ok;
  }
  const nics = (raw.nic ?? []).map(parseNicSpec);
  const flags: BootFlags = {
    machine: raw.machine, cpu: raw.cpu, initrd: raw.initrd,
    kernel: raw.kernel, append: raw.append, memory: raw.memory, steps, fail: raw.fail ?? [], timeout: raw.timeout,
    write: raw.write === true, devices, realtime: raw.realtime === true, json: raw.json === true, printMachine: raw.printMachine === true,
  };

  let image: string | undefined;
  // The target is an initramfs (a cpio recipe's image, or a cpio file): it boots as --initrd does.
  let targetInitrd: string | undefined;
  let recipeBoot: RecipeBoot | undefined;
  let stepPos: ((step: number) => SourcePos | undefined) | undefined;
  if (target !== undefined && /\.ya?ml$/i.test(target)) {
    const loaded = await loadBootRecipe(resolve(io.cwd, target), io);
    if (loaded.initramfs) targetInitrd = loaded.image;
    else image = loaded.image;
    recipeBoot = loaded.boot;
    stepPos = loaded.stepPos;
  } else if (target !== undefined) {
    const path = resolve(io.cwd, target);
    requireFile(path, 'disk image', 'build one with `mkrootfs RECIPE.yml` or `mkrootfs build`');
    if (looksLikeInitramfs(path)) targetInitrd = path;
    else image = path;
  } else if (flags.kernel === undefined && flags.machine !== 'or1k-sim') {
    throw usageError('BOOT_NO_TARGET', 'nothing to boot: give a recipe, a disk image, or --kernel', 'e.g. mkrootfs boot recipes/busybox.yml');
  }
  const needGuestKernel = flags.kernel === undefined && recipeBoot?.kernel === undefined;
  const orsim = (flags.machine ?? recipeBoot?.machine) === 'or1k-sim';
  const opts = resolveBootOptions({ flags, recipe: recipeBoot, image, initrd: targetInitrd, guestKernel: needGuestKernel ? await guestKernelPath(io, orsim ? 'kernelOr1ksim' : 'kernel') : undefined });
  if (opts.kernel !== undefined) opts.kernel = resolve(io.cwd, opts.kernel);
  requireFile(opts.kernel, 'kernel', opts.origin.kernel === 'guest cache' ? 'rebuild the guest with `mkrootfs guest`' : 'check the --kernel path');
  // Read when the machine loads it: each segment straight into guest RAM.
  const kernel = elfFile(opts.kernel);
  let initrd: Uint8Array | undefined;
  if (opts.initrd !== undefined) {
    opts.initrd = resolve(io.cwd, opts.initrd);
    requireFile(opts.initrd, 'initrd', `check the ${opts.origin.initrd === 'flag' ? '--initrd' : 'boot.initrd'} path (an initramfs: e.g. \`find . | cpio -o -H newc > root.cpio\`)`);
    initrd = readFileSync(opts.initrd);
  }

  const monitorCommands = raw.monitorCommand ?? [];
  const interactive = !flags.json && opts.steps.length === 0 && io.stdin.isTTY === true && io.stdout.isTTY === true && !flags.printMachine && monitorCommands.length === 0;

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

  const logPath = raw.log !== undefined ? resolve(io.cwd, raw.log)
    : defaultBootLogPath({ image: opts.image ?? opts.initrd, kernel: opts.kernel, outputDir: (await toolConfig(io)).outputDir, cwd: io.cwd });
  // Headless: piped stdin is typed into the console (see HELP).
  let piped: PipedInput | undefined;
  let log: LogFile | undefined;
  let term: InteractiveConsole | undefined;
  let machine: BootMachine | undefined;
  let network: MachineNetwork | undefined;
  // Headless: Ctrl-C / SIGTERM stop the guest between slices, keep the log, then end the process by that signal.
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
      // Interactive sessions follow the wall clock (`sleep 1` takes a second, an
      // idle shell does not spin the host CPU) without pacing the CPU: free-running.
      realtime: opts.realtime,
      freeRun: interactive && !opts.realtime,
      wallTimeoutMs: interactive ? undefined : opts.timeoutS * 10_000 + 60_000,
      echo: (b) => {
        log?.write(b);
        if (term) term.write(b);
        else headless.write(b);
      },
      takeUserInput: () => {
        if (term) return term.takeInput();
        // Piped bytes wait until the guest listens on its console (emulator CharFrontend.listening).
        if (piped && machine?.machine.consoleListening()) headless.type(piped.take());
        return headless.takeInput();
      },
      quitRequested: () => (term?.quitRequested ?? false) || interrupted !== undefined,
      rebootResets: interactive,
    });
    network = await createNetwork({
      nics, board: opts.machine, dumpPath: raw.netDump === undefined ? undefined : resolve(io.cwd, raw.netDump), epochSeconds: rtcEpoch(io.env),
      log: (m) => io.stderr.write(`${m}\n`),
    });
    const net = network;
    if (session.script.needsNet) {
      const user = net.user[0];
      if (!user) {
        throw usageError('BOOT_STEP_NEEDS_NET', 'a boot step uses wait-port or http, which reach the guest through the user network',
          'add --nic user (the guest must bring up eth0, e.g. with udhcpc)');
      }
      session.script.attachNet({
        probePort: (port, done) => probeGuestPort(user, port, done),
        httpGet: (port, path, done) => httpGetFromGuest(user, port, path, done),
      });
    }
    // The machine's first run primes V8 (emulator/cpu/prime.ts). Done here,
    // before the machine's RAM is allocated: V8 then collects once for both
    // allocations, not once for each (a full collection each), and start-up
    // below counts it.
    if (!flags.printMachine) primeCpu();
    storeModulesInCodeCache();
    usePageTiers();
    machine = machineStep(() => createBootMachine({
      kernel, append: opts.append, memoryBytes: opts.memoryBytes, disk, serial: session.console, devices: [...opts.devices, ...net.devices],
      machine: opts.machine, cpu: opts.cpu, initrd,
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
    const translations = raw.jit === false ? undefined : translationCache(opts.kernel, opts.machine, io.env);
    translations?.seed(bm.machine.cpu);
    log = openLog(logPath, raw.log !== undefined);
    if (!interactive && io.stdin.isTTY !== true) piped = new PipedInput(io.stdin);
    if (!flags.json) info(io, describeStart(opts, interactive));
    if (interactive) term = new InteractiveConsole({ input: io.stdin as unknown as TerminalIn, output: io.stdout as unknown as TerminalOut, proc: process, monitor: runningMachineMonitor(machine.machine) });
    if (!interactive) for (const sig of STOP_SIGNALS) process.on(sig, onSignal);
    const startupSeconds = process.uptime(); // process start → first guest instruction (Node, modules, kernel load, machine, primer)
    const result = await session.run(machine.target);
    translations?.save(bm.machine.cpu);
    piped?.close();
    piped = undefined;
    term?.close();
    term = undefined;
    log.commit();
    if (interrupted) {
      const lines = result.transcript.lastLines();
      io.stderr.write(`\nboot: stopped by ${interrupted} at guest ${(result.guestNs / 1e9).toFixed(3)} s; last console line(s):\n${lines.map((l) => `  | ${l}`).join('\n')}\n`);
      return ExitCode.runtime;
    }
    let monitor: MonitorCommandResult[] | undefined;
    if (monitorCommands.length > 0) {
      if (monitorCommandsApply(result.outcome)) {
        monitor = runMonitorCommands(machine.machine, monitorCommands);
        if (!flags.json) io.stdout.write(formatMonitorResults(monitor));
      } else io.stderr.write('boot: --monitor-command skipped: the boot did not end well\n');
    }
    Object.assign(record, { opts, result, code: CODE_OF[result.outcome.kind] });
    const stepOrigin = opts.origin.steps === 'recipe' ? stepPos?.(result.outcome.step) : undefined;
    return report(ctx, opts, result, logPath, flags.json, disk, startupSeconds, jitReport(machine.machine.cpu), stepOrigin, monitor, describeNics(machine.machine.root), networkReport(net));
  } finally {
    for (const sig of STOP_SIGNALS) process.off(sig, onSignal);
    piped?.close();
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
  /** Host time spent translating and compiling (restoring included). */
  translateSeconds: number;
  /** Pages whose translation came from the translation cache (an earlier boot of this kernel). */
  restoredPages: number;
  /** Instructions retired in translated code; the rest of `instructions` ran in the interpreters. */
  retiredTranslated: number;
}

function jitReport(cpu: { jit: boolean; translatedRetired: number; codeStats: Readonly<{ translations: number; insns: number; invalidations: number; translateMs: number; restored: number }> }): JitReport {
  const s = cpu.codeStats;
  return {
    enabled: cpu.jit, translations: s.translations, translatedInstructions: s.insns, invalidations: s.invalidations, translateSeconds: s.translateMs / 1000,
    restoredPages: s.restored, retiredTranslated: cpu.translatedRetired,
  };
}

/** The user networks' view for --json: the guest's outbound attempts and the frame counters. */
function networkReport(net: MachineNetwork): { attempts: UserNet['attempts']; stats: UserNet['stats'] }[] | null {
  if (net.user.length === 0) return null;
  return net.user.map((u) => ({ attempts: u.attempts.map((a) => ({ ...a })), stats: { ...u.stats } }));
}

function report(ctx: CommandContext, opts: BootOptions, r: SessionResult, logPath: string, json: boolean, disk: FileDisk | undefined, startupSeconds: number, jit: JitReport, pos?: SourcePos, monitor?: MonitorCommandResult[], nics: NicReport[] = [], network: ReturnType<typeof networkReport> = null): number {
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
      ...(network ? { network } : {}),
      lastLines: o.exitCode === 0 ? [] : r.transcript.lastLines(),
      ...(monitor ? { monitor } : {}),
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
    data: { step: o.step, pattern: o.pattern, guestNs: r.guestNs, instructions: r.run.instructions, ...(pos ? { pos } : {}) },
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
  const what = (o.image ? `${o.image}${o.write ? ' (read-write)' : ' (copy-on-write)'}` : 'no disk') + (o.initrd ? ` + initrd ${o.initrd}` : '');
  const mode = interactive ? 'interactive console, Ctrl-A x quits, Ctrl-A c monitor' : `headless, ${o.steps.length} step(s), timeout ${o.timeoutS} s guest time`;
  return `boot: ${o.machine}${o.cpu ? ` (cpu ${o.cpu})` : ''}: ${o.kernel} + ${what}, ${o.memoryBytes >> 20}M, append "${o.append}" — ${mode}${o.realtime && !interactive ? ', realtime' : ''}`;
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

/** The console log (--log or the default), with a usage error naming the fix when it cannot be created. */
function openLog(path: string, chosen: boolean): LogFile {
  try {
    return new LogFile(path);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw usageError('BOOT_LOG_OPEN', `cannot write the boot log ${path}: ${e.code ?? e.message}`,
      chosen ? 'give --log a writable path' : 'give --log FILE, or set outputDir in .mkrootfsrc.yml', { path });
  }
}

const configs = new WeakMap<CommandContext['io'], Promise<LoadedToolConfig>>();

/** .mkrootfsrc.yml, read once per command (the recipe, the guest kernel and the log path all need it). */
function toolConfig(io: CommandContext['io']): Promise<LoadedToolConfig> {
  let config = configs.get(io);
  if (!config) {
    config = import('../config.ts').then(({ loadToolConfig }) => loadToolConfig(io.cwd, io.env.HOME));
    configs.set(io, config);
  }
  return config;
}

/** The console log, written to a temp file and renamed when the boot ends (whatever the outcome). */
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

/** The guest cache's kernel (virt, or or1ksim_defconfig) if it has been built (never builds it; else undefined). */
async function guestKernelPath(io: CommandContext['io'], which: 'kernel' | 'kernelOr1ksim'): Promise<string | undefined> {
  try {
    const { guestVar } = await import('../../guest/vars.ts');
    const config = await toolConfig(io);
    const k = await guestVar(which, { cacheDir: config.cacheDir, env: io.env, build: false });
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
async function loadBootRecipe(recipePath: string, io: CommandContext['io']): Promise<{ image: string; initramfs: boolean; boot: RecipeBoot | undefined; stepPos: (step: number) => SourcePos | undefined }> {
  requireFile(recipePath, 'recipe', 'check the path');
  // The recipe stack loads only when a recipe is booted (keeps `boot IMAGE` start-up short).
  const { loadRecipe, imageOutputPath, buildFromRecipe, imageFormat } = await import('../../pipeline.ts');
  const { isInitramfs } = await import('../../image-format.ts');
  const config = await toolConfig(io);
  const args = { recipePath, env: io.env, cwd: io.cwd, cacheDir: config.cacheDir };
  const loaded = await loadRecipe(args);
  const image = imageOutputPath(loaded, { cwd: io.cwd, outputDir: config.outputDir });
  info(io, `boot: building ${image} from ${recipePath}`);
  await buildFromRecipe({ ...args, output: image });
  requireFile(image, 'disk image (after building the recipe)', 'check the recipe\'s image.output');
  return { image, initramfs: isInitramfs(imageFormat(loaded)), boot: loaded.recipe.boot, stepPos: recipeStepPositions(loaded) };
}

/** A newc/odc cpio archive ("0707") or gzip data: an initramfs, never a disk image. */
function looksLikeInitramfs(path: string): boolean {
  const head = Buffer.alloc(4);
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    if (readSync(fd, head, 0, 4, 0) < 4) return false;
  } catch {
    return false; // unreadable: the disk open reports it
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
  return head.toString('latin1') === '0707' || (head[0] === 0x1f && head[1] === 0x8b);
}
