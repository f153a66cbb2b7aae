/**
 * mkrootfs command-line entry point. Each command lives in its own file under
 * ./commands and registers itself on the commander program; this file only
 * wires them and maps errors to exit codes (see ../errors.ts).
 */
import { Command, CommanderError } from 'commander';
import { MkrootfsError, ExitCode } from '../errors.ts';
import { processIo, type CliIo } from './io.ts';
import { packageVersion } from './version.ts';
import { annotateError } from './github-annotations.ts';

type Define = (program: Command, ctx: CommandContext) => void;

/**
 * The commands, described as data. A command's module loads only when that
 * command runs (`mkrootfs boot IMAGE` does not pay for the recipe stack), and
 * the top-level help lists them from this table without loading any.
 */
const COMMANDS: Record<string, { summary: string; usage: string; load: () => Promise<Define> }> = {
  build: {
    summary: 'Build an ext2 image or a cpio initramfs from a recipe or from a host directory',
    usage: '[options] [recipe]',
    load: async () => (await import('./commands/build.ts')).defineBuild,
  },
  inspect: {
    summary: 'List a directory or print a file inside an ext2/3/4 image (read with our own reader)',
    usage: '[options] <image> [path]',
    load: async () => (await import('./commands/inspect.ts')).defineInspect,
  },
  schema: {
    summary: 'Print the JSON Schema of recipes (for editor completion and validation)',
    usage: '[options]',
    load: async () => (await import('./commands/schema.ts')).defineSchema,
  },
  guest: {
    summary: 'Build (or find in the cache) the or1k Linux kernel, static busybox and cross-compiler',
    usage: '[options]',
    load: async () => (await import('./commands/guest.ts')).defineGuest,
  },
  boot: {
    summary: 'Boot Linux on an image with the bundled or1k emulator (headless checks or interactive console)',
    usage: '[options] [target]',
    load: async () => (await import('./commands/boot.ts')).defineBoot,
  },
};

export interface CommandContext {
  io: CliIo;
  /** Set by a command's action: the process exit code. */
  setExit(code: number): void;
}

const EXAMPLES = `
Examples:
  $ mkrootfs recipes/busybox.yml                 build the image a recipe describes
  $ mkrootfs build --from-dir ./rootfs -o out/rootfs.img --size 64M
  $ mkrootfs build --from-dir ./rootfs --format cpio -o out/initramfs.cpio   an initramfs instead
  $ mkrootfs inspect out/rootfs.img /etc         list a directory inside an image
  $ mkrootfs guest                               build the or1k Linux kernel and busybox (cached)
  $ mkrootfs boot recipes/busybox.yml            boot the recipe's image on the bundled emulator

Exit codes: 0 ok, 1 runtime error, 2 usage or invalid input, 3 boot expectation not met,
            4 guest panic, 124 boot timeout.`;

export async function main(argv: string[], io: CliIo = processIo()): Promise<number> {
  let exit = 0;
  const ctx: CommandContext = { io, setExit: (c) => { exit = c; } };
  const program = new Command('mkrootfs')
    .description('Build reproducible Linux root filesystem images and prove they boot.')
    .version(packageVersion(), '-V, --version', 'print the version and exit')
    .option('--debug', 'show stack traces on errors')
    .addHelpText('after', EXAMPLES)
    .exitOverride()
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
    });

  // Shorthand: `mkrootfs recipe.yml` means `mkrootfs build recipe.yml`.
  const first = argv.find((a) => !a.startsWith('-'));
  if (first && /\.ya?ml$/i.test(first) && !(first in COMMANDS)) {
    argv = ['build', ...argv];
  }
  if (argv.length === 0) argv = ['--help'];

  let chosen = argv.find((a) => !a.startsWith('-'));
  if (chosen === 'help') chosen = argv.filter((a) => !a.startsWith('-'))[1]; // `mkrootfs help boot`
  if (chosen !== undefined && chosen in COMMANDS) {
    const command = COMMANDS[chosen]!;
    (await command.load())(program, ctx);
    program.commands.find((c) => c.name() === chosen)?.description(command.summary);
  } else {
    // Top-level help or an unknown command: list the commands without loading them.
    for (const [name, command] of Object.entries(COMMANDS)) program.command(name).usage(command.usage).description(command.summary);
  }

  try {
    await program.parseAsync(argv, { from: 'user' });
    return exit;
  } catch (err) {
    return reportError(err, io, argv.includes('--debug'));
  }
}

export function reportError(err: unknown, io: CliIo, debug: boolean): number {
  if (err instanceof CommanderError) {
    if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return 0;
    return ExitCode.usage;
  }
  // In GitHub Actions, also as ::error annotations (at the recipe line when known).
  annotateError(err, io);
  if (err instanceof MkrootfsError) {
    io.stderr.write(`mkrootfs: error [${err.code}]: ${err.message}\n`);
    if (err.hint) io.stderr.write(`  hint: ${err.hint}\n`);
    if (debug && err.stack) io.stderr.write(err.stack + '\n');
    return err.exitCode;
  }
  const e = err as Error;
  io.stderr.write(`mkrootfs: internal error: ${e?.message ?? String(err)}\n`);
  if (debug && e?.stack) io.stderr.write(e.stack + '\n');
  else io.stderr.write('  hint: re-run with --debug for a stack trace, and report it\n');
  return ExitCode.runtime;
}
