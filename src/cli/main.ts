/**
 * mkrootfs command-line entry point. Each command lives in its own file under
 * ./commands and registers itself on the commander program; this file only
 * wires them and maps errors to exit codes (see ../errors.ts).
 */
import { Command, CommanderError } from 'commander';
import { MkrootfsError, ExitCode } from '../errors.ts';
import { processIo, type CliIo } from './io.ts';
import { defineBuild } from './commands/build.ts';
import { defineInspect } from './commands/inspect.ts';
import { defineSchema } from './commands/schema.ts';
import { defineGuest } from './commands/guest.ts';
import { defineBoot } from './commands/boot.ts';

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
  defineBuild(program, ctx);
  defineInspect(program, ctx);
  defineSchema(program, ctx);
  defineGuest(program, ctx);
  defineBoot(program, ctx);

  // Shorthand: `mkrootfs recipe.yml` means `mkrootfs build recipe.yml`.
  const first = argv.find((a) => !a.startsWith('-'));
  if (first && /\.ya?ml$/i.test(first) && !program.commands.some((c) => c.name() === first)) {
    argv = ['build', ...argv];
  }
  if (argv.length === 0) argv = ['--help'];

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
