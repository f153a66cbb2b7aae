/**
 * `mkrootfs schema`: the recipe JSON Schema (for editor completion), or with
 * --markdown the recipe reference (recipes/README.md). Both come from the one
 * zod schema in src/recipe/schema.ts. The package ships the JSON Schema as
 * schema/recipe.schema.json (a test keeps it equal to this output), so the
 * shipped recipes' `$schema` comments work without running anything.
 */
import type { Command } from 'commander';
import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { ioFailure, ioFailureCode, usageError } from '../../errors.ts';
import type { CommandContext } from '../main.ts';
import { recipeJsonSchema } from '../../recipe/schema.ts';
import { recipeReadme } from '../../recipe/docs.ts';

export function defineSchema(program: Command, ctx: CommandContext): void {
  program
    .command('schema')
    .description('print the JSON Schema of recipes (for editor completion and validation)')
    .option('--markdown', 'print the recipe reference as Markdown instead (recipes/README.md)')
    .option('-o, --output <file>', 'write it to FILE instead of stdout')
    .addHelpText('after', `
The package ships this schema as schema/recipe.schema.json (node_modules/mkrootfs/schema/
recipe.schema.json in a project); the shipped recipes point at it with
  # yaml-language-server: $schema=../schema/recipe.schema.json

Examples:
  $ mkrootfs schema -o schema/recipe.schema.json  regenerate the shipped schema (after changing src/recipe/schema.ts)
  $ mkrootfs schema > recipe.schema.json          then in a recipe: # yaml-language-server: $schema=recipe.schema.json
  $ mkrootfs schema --markdown > recipes/README.md`)
    .action(async (opts: { markdown?: boolean; output?: string }) => {
      const text = opts.markdown ? recipeReadme() : JSON.stringify(recipeJsonSchema(), null, 2) + '\n';
      if (opts.output === undefined) ctx.io.stdout.write(text);
      else {
        const path = resolve(ctx.io.cwd, opts.output);
        try {
          await writeFile(path, text);
        } catch (err) {
          throw ioFailureCode(err) ? ioFailure(err, `while writing ${path}`) : usageError('OUTPUT_UNWRITABLE', `cannot write ${path}: ${(err as Error).message}`, 'give -o a path in an existing, writable directory');
        }
      }
      ctx.setExit(0);
    });
}
