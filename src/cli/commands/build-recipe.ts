/**
 * `mkrootfs build recipe.yml` (and the shorthand `mkrootfs recipe.yml`): the
 * recipe build itself (its options are in recipe-options.ts). `build.ts` loads
 * this module only when it gets a recipe path. Progress goes to stderr (listr2 on a terminal,
 * plain lines otherwise); the result goes to stdout (--json for machines).
 */
import { Listr, ListrLogger, ProcessOutput } from 'listr2';
import { stringify } from 'yaml';
import type { CommandContext } from '../main.ts';
import { usageError } from '../../errors.ts';
import { loadToolConfig } from '../config.ts';
import { parseSets } from './recipe-options.ts';
import { parseImageFormat, type ImageFormat } from '../../image-format.ts';
import { buildSummaryJson, formatBuildSummary } from './build-summary.ts';
import { stdoutImage } from '../stdout-image.ts';
import type { TempPaths } from '../../temp-paths.ts';
import {
  loadRecipe, buildFromRecipe, imageFormat, imageOutputPath, type BuildFromRecipeArgs, type RecipeBuildSummary, type RecipeProgress,
} from '../../pipeline.ts';

const STEP_TITLES: Record<RecipeProgress['step'], string> = {
  load: 'Load recipe',
  compile: 'Compile programs for the guest',
  tree: 'Assemble the file tree',
  write: 'Write the ext2 image',
};

/** The write step's title for each format. */
const WRITE_TITLES: Record<ImageFormat, string> = {
  ext2: STEP_TITLES.write,
  cpio: 'Write the cpio archive (initramfs)',
  'cpio.gz': 'Write the gzip-compressed cpio archive (initramfs)',
};

function stepTitle(p: RecipeProgress): string {
  return p.step === 'write' && p.format ? WRITE_TITLES[p.format] : STEP_TITLES[p.step];
}

export async function runRecipeBuild(recipePath: string, opts: Record<string, unknown>, ctx: CommandContext, temps?: TempPaths): Promise<void> {
  const { io } = ctx;
  const config = await loadToolConfig(io.cwd, io.env.HOME);
  if (opts.owner !== undefined) throw usageError('BUILD_CONFLICT', '--owner applies to --from-dir builds', 'set owner: on the recipe\'s layers instead');
  const num = (v: unknown, flag: string): number | undefined => {
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isFinite(n)) throw usageError('BAD_OPTION', `${flag} ${String(v)} is not a number`, `give ${flag} a number`);
    return n;
  };
  const toStdout = opts.output === '-';
  const args: BuildFromRecipeArgs = {
    recipePath,
    // Image flags override the recipe's image section.
    image: {
      size: opts.size as string | undefined,
      blockSize: num(opts.blockSize, '--block-size') as 1024 | 2048 | 4096 | undefined,
      inodes: num(opts.inodes, '--inodes'),
      label: opts.label as string | undefined,
      reservedPercent: num(opts.reservedPercent, '--reserved-percent'),
    },
    sets: parseSets((opts.set as string[] | undefined) ?? []),
    env: io.env,
    cwd: io.cwd,
    output: toStdout ? '-' : opts.output as string | undefined,
    format: opts.format === undefined ? undefined : parseImageFormat(String(opts.format)),
    outputDir: config.outputDir,
    cacheDir: config.cacheDir,
    temps,
  };

  if (opts.printRecipe) {
    const loaded = await loadRecipe(args);
    // Variables show the values in effect, so the printed recipe builds the same image.
    const { include: _include, ...rest } = loaded.recipe;
    void _include;
    const shown = { ...rest, vars: Object.fromEntries(loaded.vars), image: { ...loaded.recipe.image, format: imageFormat(loaded, args.format), output: imageOutputPath(loaded, args) } };
    io.stdout.write(stringify(shown, { lineWidth: 0 }));
    ctx.setExit(0);
    return;
  }

  if (toStdout) args.stream = stdoutImage(io);
  // listr2 only on a real terminal with a width; plain lines in CI, pipes and 0-column ptys.
  const columns = (io.stderr as { columns?: number }).columns ?? 0;
  const summary = io.stderr.isTTY && columns > 0 && !io.env.CI ? await buildWithListr(args, ctx) : await buildWithLines(args, ctx);
  // With -o - stdout carries the image: the summary goes to stderr.
  const out = toStdout ? io.stderr : io.stdout;
  if (opts.json) out.write(JSON.stringify(buildSummaryJson(summary), null, 2) + '\n');
  else out.write(formatBuildSummary(summary, io.cwd));
  ctx.setExit(0);
}

/** Plain progress lines on stderr (CI, pipes). */
async function buildWithLines(args: BuildFromRecipeArgs, ctx: CommandContext): Promise<RecipeBuildSummary> {
  return buildFromRecipe({
    ...args,
    onProgress: (p) => {
      if (p.state === 'start') ctx.io.stderr.write(`mkrootfs: ${stepTitle(p)}${p.detail ? ` (${p.detail})` : ''}\n`);
    },
  });
}

/** listr2 task list on a terminal: the pipeline's progress events drive the tasks. */
async function buildWithListr(args: BuildFromRecipeArgs, ctx: CommandContext): Promise<RecipeBuildSummary> {
  const steps = Object.keys(STEP_TITLES) as RecipeProgress['step'][];
  const finished = new Map(steps.map((s) => [s, deferred()]));
  const started = new Set<string>();
  const titles = new Map<string, string>();
  const done = new Set<string>();
  let failure: unknown;
  const run = buildFromRecipe({
    ...args,
    onProgress: (p) => {
      if (p.state === 'start') {
        started.add(p.step);
        titles.set(p.step, stepTitle(p));
        // Earlier steps that never started were not needed (e.g. no programs).
        for (const s of steps.slice(0, steps.indexOf(p.step))) if (!started.has(s)) finished.get(s)!.resolve();
      } else {
        done.add(p.step);
        finished.get(p.step)!.resolve();
      }
    },
  }).catch((err: unknown) => { failure = err; throw err; })
    .finally(() => { for (const s of steps) finished.get(s)!.resolve(); });
  const list = new Listr(steps.map((s) => ({
    title: STEP_TITLES[s],
    task: async (_c: unknown, task: { skip(msg?: string): void; title: string }) => {
      await finished.get(s)!.promise;
      const title = titles.get(s);
      if (title !== undefined && title !== STEP_TITLES[s]) task.title = title;
      if (failure !== undefined && started.has(s) && !done.has(s)) throw new Error(STEP_TITLES[s]);
      if (!started.has(s)) task.skip(s === 'compile' ? `${STEP_TITLES[s]}: none` : `${STEP_TITLES[s]}: not reached`);
    },
  })), {
    renderer: 'default',
    exitOnError: true,
    registerSignalListeners: false,
    // Progress belongs on stderr: stdout carries the result.
    rendererOptions: { logger: new ListrLogger({ processOutput: new ProcessOutput(ctx.io.stderr as NodeJS.WriteStream, ctx.io.stderr as NodeJS.WriteStream) }) },
  });
  const shown = list.run().catch(() => undefined);
  try {
    return await run;
  } finally {
    await shown;
  }
}

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => { resolve = r; });
  return { promise, resolve };
}
