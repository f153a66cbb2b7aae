/**
 * `mkrootfs guest`: builds (or finds in the cache) the or1k guest — Linux
 * 6.12 vmlinux, static busybox, musl sysroot and the or1k-linux-musl-gcc
 * wrapper — from Debian packages. Progress goes to stderr, results to stdout.
 */
import type { Command } from 'commander';
import type { CommandContext } from '../main.ts';
import { loadToolConfig } from '../config.ts';
import { resolve } from 'node:path';
import { usageError } from '../../errors.ts';
import { guestProgressView } from '../guest-progress.ts';
import { buildGuest } from '../../guest/index.ts';
import { installCommand, REQUIRED_PACKAGES } from '../../guest/packages.ts';

const HELP = `
The guest is built once per set of inputs (versions of linux-source-6.12,
gcc-or1k-elf, binutils-or1k-elf, the busybox and musl source packages, and the
kernel config fragment / linker script / wrapper in src/guest/assets) and kept
in <cache>/guest/<key>. A cold build takes several minutes; later runs are
instant. Each step's log is kept in <dir>/logs/<step>.log.

Progress (stderr): on a terminal, one live line with the running step, its
elapsed time and its log; otherwise (CI logs, pipes) one line when a step
starts (with its log path) and one when it ends (with its time).

Interrupted (Ctrl-C, a killed CI job) or failed builds resume: every finished
step is recorded in <cache>/guest/.build-<key>/steps.json, and the next run
skips those steps and starts again at the first unfinished one (a
half-finished step is redone; the kernel and busybox builds continue where make
stopped). A build directory belongs to one key, so changed inputs start afresh.

Run as root the first time on a fresh machine: missing Debian packages, the
deb-src entry and the busybox/musl source packages are then installed. As
another user, the command prints what to install and exits 1:
  ${installCommand(REQUIRED_PACKAGES)}

Cache directory: --cache-dir, else cacheDir in .mkrootfsrc.yml, else
$MKROOTFS_CACHE_DIR, else ~/.cache/mkrootfs.

--print writes JSON: { key, dir, kernel, kernelOr1ksim, busybox, cc, sysroot, logs }
(kernel = the virt vmlinux, kernelOr1ksim = the \`make ARCH=openrisc defconfig\`
vmlinux for --machine or1k-sim and an initramfs, null with --no-build when not
built yet; busybox = the "make install" tree, cc = or1k-linux-musl-gcc). Recipes
name them \${guest.kernel}, \${guest.kernelOr1ksim}, \${guest.busybox}, ...

Exit codes: 0 ok, 1 build failed / packages missing / not built with --no-build.

Examples:
  $ sudo mkrootfs guest                        build (or reuse) the guest
  $ mkrootfs guest --print                     paths as JSON, building first if needed
  $ mkrootfs guest --print --no-build          paths as JSON, error if not built
  $ $(mkrootfs guest --print | jq -r .cc) -O2 -o hello hello.c   a static or1k program`;

interface GuestFlags {
  print?: boolean;
  build: boolean;
  cacheDir?: string;
  jobs?: string;
}

export function defineGuest(program: Command, ctx: CommandContext): void {
  program
    .command('guest')
    .description('Build (or find in the cache) the or1k Linux kernel, static busybox and cross-compiler')
    .option('--print', 'print the paths as JSON on stdout')
    .option('--no-build', 'do not build: fail if the guest is not in the cache')
    .option('--cache-dir <dir>', 'cache directory (default ~/.cache/mkrootfs)')
    .option('-j, --jobs <n>', 'parallel make jobs (default: CPUs + 1)')
    .addHelpText('after', HELP)
    .action(async (flags: GuestFlags) => {
      const { io } = ctx;
      const config = await loadToolConfig(io.cwd, io.env.HOME);
      const jobs = flags.jobs === undefined ? undefined : Number(flags.jobs);
      if (jobs !== undefined && !(Number.isInteger(jobs) && jobs > 0)) {
        throw usageError('BAD_JOBS', `--jobs ${flags.jobs} is not a positive integer`, 'for example: --jobs 3');
      }
      // A live line only on a real terminal with a width, and not in CI.
      const columns = (io.stderr as { columns?: number }).columns ?? 0;
      const view = guestProgressView({ stderr: io.stderr, live: io.stderr.isTTY === true && columns > 0 && !io.env.CI, now: () => performance.now() });
      let guest;
      try {
        guest = await buildGuest({
          cacheDir: flags.cacheDir !== undefined ? resolve(io.cwd, flags.cacheDir) : config.cacheDir,
          env: { ...io.env, ...(flags.cacheDir === undefined && config.cacheDir === undefined ? {} : { MKROOTFS_CACHE_DIR: undefined }) },
          build: flags.build,
          jobs,
          progress: (line) => view.line(line),
          onStep: (e) => view.step(e),
        });
      } finally {
        view.close();
      }
      const paths = { key: guest.key, dir: guest.dir, kernel: guest.kernel, kernelOr1ksim: guest.kernelOr1ksim ?? null, busybox: guest.busybox, cc: guest.cc, sysroot: guest.sysroot, logs: guest.logs };
      if (flags.print) {
        io.stdout.write(JSON.stringify(paths, null, 2) + '\n');
      } else {
        io.stdout.write(
          `guest ${guest.key} (${guest.built ? 'built now' : 'cached'}) in ${guest.dir}\n` +
          `  kernel   ${guest.kernel}\n  kernelOr1ksim ${guest.kernelOr1ksim ?? '(not built: run mkrootfs guest)'}\n  busybox  ${guest.busybox}\n  cc       ${guest.cc}\n  sysroot  ${guest.sysroot}\n  logs     ${guest.logs}\n`);
      }
    });
}
