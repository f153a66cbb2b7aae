/**
 * The human monitor (QEMU's HMP) over a running Machine: parses one command
 * line and runs it, returning the text to show. Pure: no host I/O — the
 * interactive console (emulator/host/console.ts, `Ctrl-A c`) and the
 * headless `boot --monitor-command` both drive it. It never throws: a bad
 * command, path or property prints a QEMU-like message, and an unexpected
 * failure inside a command prints `Error: ...` instead of escaping.
 *
 *   const mon = new Monitor({ machine });
 *   mon.execute('info mtree')             // → { text: 'address-space: ...', quit: false }
 *   mon.execute('qom-get serial irq')     // → { text: '2\n', quit: false }
 *   mon.execute('quit')                   // → { text: '', quit: true }
 *
 * Arguments are separated by blanks; a "double-quoted" or 'single-quoted'
 * argument may contain blanks. A missing argument prints QEMU's
 * `CMD: string expected`, extra ones `CMD: extraneous characters at the end of line`.
 *
 * system_reset resets every device and the CPU and reloads the kernel (as a
 * guest reboot does). A machine the host is running passes `requestReset`,
 * so the reset happens between run slices through the same path as a guest
 * reboot (`finish = reboot`, handled by the runner); a stopped machine (after
 * a headless boot) is reset at once.
 *
 * system_powerdown: QEMU 7.2's or1k `virt` board registers no powerdown
 * notifier (it has no ACPI, GPIO power button or other device that would
 * tell the guest), so there the command only emits a QMP POWERDOWN event and
 * the guest never notices. Ours has no such device either: the command does
 * the same nothing, and says so instead of staying silent.
 */
import type { Machine } from '../machine.ts';
import { infoMtree } from './mtree.ts';
import { qomGet, qomList } from './qom-cmds.ts';
import { infoQtree } from './qtree.ts';

export const MONITOR_PROMPT = '(qemu) ';
export const MONITOR_BANNER = "mkrootfs monitor (QEMU HMP commands) - type 'help' for more information";

export const POWERDOWN_NOTE =
  'system_powerdown: no device on this board handles a power-down request (QEMU 7.2\'s or1k virt registers no ' +
  'powerdown notifier either), so the guest keeps running. Use system_reset, quit, or `poweroff` in the guest.\n';

export interface MonitorReply {
  /** Text to show (lines end with \n; empty when the command prints nothing). */
  text: string;
  /** The user asked to quit the emulator. */
  quit: boolean;
}

export interface MonitorOptions {
  machine: Machine;
  /**
   * How system_reset resets a machine the host is running (between slices);
   * default: reset at once (a stopped machine).
   */
  requestReset?: () => void;
  /** What `info status` reports: true while the host runs the guest (default false: paused). */
  running?: () => boolean;
}

interface Command {
  readonly name: string;
  /** Argument names; a trailing `?` marks an optional one. */
  readonly args: readonly string[];
  /** Usage shown by help, after the name. */
  readonly usage: string;
  readonly help: string;
  readonly run: (mon: Monitor, args: readonly string[]) => string | MonitorReply;
}

const INFO_COMMANDS: readonly Command[] = [
  {
    name: 'mtree', args: ['-o?'], usage: '[-o]', help: 'show the memory tree: RAM and device regions (-o: with their owners)',
    run: (mon, [flag]) => {
      if (flag !== undefined && flag !== '-o') return `info mtree: invalid option '${flag}'\nTry "help info" for more information\n`;
      return infoMtree(mon.machine, { owners: flag === '-o' });
    },
  },
  { name: 'qtree', args: [], usage: '', help: 'show the device tree: buses, devices and their properties', run: (mon) => infoQtree(mon.machine.root) },
  {
    name: 'status', args: [], usage: '', help: 'show the VM status (running|paused|shutdown)',
    run: (mon) => `VM status: ${mon.machine.finish && mon.machine.finish.kind !== 'reboot' ? 'shutdown' : mon.running() ? 'running' : 'paused'}\n`,
  },
  {
    name: 'registers', args: [], usage: '', help: 'show the CPU registers (PC and R00-R31)',
    run: (mon) => {
      const cpu = mon.machine.cpu;
      const hex8 = (v: number): string => (v >>> 0).toString(16).padStart(8, '0');
      let out = `PC=${hex8(cpu.pc)}\n`;
      for (let i = 0; i < 32; i++) out += `R${String(i).padStart(2, '0')}=${hex8(cpu.gpr[i]!)}${i % 4 === 3 ? '\n' : ' '}`;
      return out;
    },
  },
];

const COMMANDS: readonly Command[] = [
  { name: 'help', args: ['command?'], usage: '[cmd]', help: 'show the help (of one command)', run: (mon, [cmd]) => mon.help(cmd) },
  { name: 'info', args: ['item?'], usage: '[subcommand]', help: 'show information about the machine (info alone lists what)', run: (mon) => mon.help('info') },
  { name: 'qom-list', args: ['path?'], usage: 'path', help: 'list the QOM properties of an object (child<> and link<> included)', run: (mon, [path]) => (path === undefined ? '/\n' : qomList(mon.machine.root, path)) },
  { name: 'qom-get', args: ['path', 'property'], usage: 'path property', help: 'print a QOM property (as JSON)', run: (mon, [path, prop]) => qomGet(mon.machine.root, path!, prop!) },
  {
    name: 'system_reset', args: [], usage: '', help: 'reset the machine (every device and the CPU; the kernel is reloaded, as on a guest reboot)',
    run: (mon) => {
      mon.reset();
      return '';
    },
  },
  {
    name: 'system_powerdown', args: [], usage: '',
    help: 'send a power-down request: nothing on this board (nor on QEMU 7.2\'s or1k virt) handles it, so the guest keeps running',
    run: () => POWERDOWN_NOTE,
  },
  { name: 'quit', args: [], usage: '', help: 'quit the emulator', run: () => ({ text: '', quit: true }) },
];

const ALIASES: Readonly<Record<string, string>> = { '?': 'help', q: 'quit' };

/** Splits a command line into words; quotes group blanks (a missing closing quote runs to the end). */
export function splitArgs(line: string): string[] {
  const words: string[] = [];
  let i = 0;
  while (i < line.length) {
    while (i < line.length && /\s/.test(line[i]!)) i++;
    if (i >= line.length) break;
    let word = '';
    while (i < line.length && !/\s/.test(line[i]!)) {
      const c = line[i]!;
      if (c === '"' || c === "'") {
        const end = line.indexOf(c, i + 1);
        const stop = end < 0 ? line.length : end;
        word += line.slice(i + 1, stop);
        i = stop + 1;
      } else {
        word += c;
        i++;
      }
    }
    words.push(word);
  }
  return words;
}

export class Monitor {
  readonly machine: Machine;
  private readonly requestReset: (() => void) | undefined;
  private readonly isRunning: () => boolean;

  constructor(options: MonitorOptions) {
    this.machine = options.machine;
    this.requestReset = options.requestReset;
    this.isRunning = options.running ?? (() => false);
  }

  running(): boolean {
    return this.isRunning();
  }

  reset(): void {
    if (this.requestReset) this.requestReset();
    else this.machine.reset();
  }

  /** Runs one command line. Never throws. */
  execute(line: string): MonitorReply {
    try {
      return this.dispatch(line);
    } catch (err) {
      return { text: `Error: ${err instanceof Error ? err.message : String(err)}\n`, quit: false };
    }
  }

  private dispatch(line: string): MonitorReply {
    const words = splitArgs(line);
    if (words.length === 0) return { text: '', quit: false };
    const name = ALIASES[words[0]!] ?? words[0]!;
    if (name === 'info' && words.length > 1) {
      const sub = INFO_COMMANDS.find((c) => c.name === words[1]);
      if (!sub) return { text: `unknown command: 'info ${words[1]}'\n`, quit: false };
      return this.invoke(sub, `info ${sub.name}`, words.slice(2));
    }
    const cmd = COMMANDS.find((c) => c.name === name);
    if (!cmd) return { text: `unknown command: '${words[0]}'\n`, quit: false };
    return this.invoke(cmd, cmd.name, words.slice(1));
  }

  private invoke(cmd: Command, label: string, args: readonly string[]): MonitorReply {
    const required = cmd.args.filter((a) => !a.endsWith('?')).length;
    const helpRef = label.startsWith('info ') ? 'info' : cmd.name;
    if (args.length < required) return { text: `${label}: string expected\nTry "help ${helpRef}" for more information\n`, quit: false };
    if (args.length > cmd.args.length) return { text: `${label}: extraneous characters at the end of line\nTry "help ${helpRef}" for more information\n`, quit: false };
    const out = cmd.run(this, args);
    return typeof out === 'string' ? { text: out, quit: false } : out;
  }

  /** `help [CMD]`: every command (or one, or the info subcommands) as `name usage -- help`. */
  help(command?: string): string {
    const line = (prefix: string, c: Command): string => `${prefix}${c.name} ${c.usage} -- ${c.help}`;
    const infoLines = INFO_COMMANDS.map((c) => line('info ', c));
    if (command === 'info') return infoLines.join('\n') + '\n';
    if (command !== undefined) {
      const c = COMMANDS.find((x) => x.name === (ALIASES[command] ?? command));
      return c ? line('', c) + '\n' : `unknown command: '${command}'\n`;
    }
    return [...COMMANDS.map((c) => line('', c)), ...infoLines].join('\n') + '\n';
  }
}

/**
 * A monitor over a machine the host is running (the interactive console):
 * system_reset asks for a reboot as the guest's syscon does, and the runner
 * resets the machine between slices (its clock pacing restarts with it).
 */
export function runningMachineMonitor(machine: Machine): Monitor {
  return new Monitor({
    machine,
    running: () => machine.finish === undefined,
    requestReset: () => {
      machine.finish = { kind: 'reboot', code: 0, exitStatus: 0 };
    },
  });
}
