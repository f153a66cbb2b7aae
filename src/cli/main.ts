/**
 * mkrootfs command-line entry point. Each command lives in its own file under
 * ./commands and registers itself on the commander program; this file only
 * wires them and maps errors to exit codes (see ../errors.ts).
 */
import { Command, CommanderError } from 'commander';
import { MkrootfsError, ExitCode } from '../errors.ts';
import { processIo, type CliIo } from './io.ts';

type Define = (program: Command, ctx: CommandContext) => void;

/**
 * Commands load lazily: `mkrootfs boot IMAGE` should not pay for importing the
 * recipe stack, and the top-level help loads them all to list them.
 */
const COMMANDS: Record<string, () => Promise<Define>> = {
  build: async () => (await import('./commands/build.ts')).defineBuild,
  inspect: async () => (await import('./commands/inspect.ts')).defineInspect,
  schema: async () => (await import('./commands/schema.ts')).defineSchema,
  guest: async () => (await import('./commands/guest.ts')).defineGuest,
  boot: async () => (await import('./commands/boot.ts')).defineBoot,
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

  const chosen = argv.find((a) => !a.startsWith('-'));
  const names = chosen !== undefined && chosen in COMMANDS ? [chosen] : Object.keys(COMMANDS);
  for (const name of names) (await COMMANDS[name]!())(program, ctx);

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
