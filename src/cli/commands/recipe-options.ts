/**
 * The recipe-only options of `mkrootfs build` and their parsing. Kept apart
 * from build-recipe.ts so that defining the command loads nothing heavy: the
 * recipe stack (zod, listr2, the pipeline) loads only when a recipe is built.
 */
import type { Command } from 'commander';
import { usageError } from '../../errors.ts';

export function addRecipeOptions(cmd: Command): Command {
  const has = (flag: string): boolean => cmd.options.some((o) => o.long === flag);
  cmd.option('--set <name=value>', 'set a recipe variable (repeatable); overrides its env and default', collect, [] as string[]);
  if (!has('--output')) cmd.option('-o, --output <path>', 'image path (overrides the recipe\'s image.output)');
  cmd.option('--print-recipe', 'print the resolved recipe (includes merged, variables substituted, defaults filled) as YAML and stop');
  if (!has('--json')) cmd.option('--json', 'print a machine-readable summary (output path, sha256, size, block and inode counts)');
  return cmd;
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** `--set a=1 --set b=2` → { a: '1', b: '2' }. */
export function parseSets(values: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const v of values) {
    const eq = v.indexOf('=');
    if (eq <= 0) throw usageError('BAD_SET', `--set ${v}: expected name=value`, 'write --set name=value');
    out[v.slice(0, eq)] = v.slice(eq + 1);
  }
  return out;
}
