/**
 * `mkrootfs schema`: the recipe JSON Schema (for editor completion), or with
 * --markdown the recipe reference (recipes/README.md). Both come from the one
 * zod schema in src/recipe/schema.ts. The package ships the JSON Schema as
 * schema/recipe.schema.json (a test keeps it equal to this output), so the
 * shipped recipes' `$schema` comments work without running anything.
 */
import type { Command } from 'commander';
import type { CommandContext } from '../main.ts';
import { recipeJsonSchema } from '../../recipe/schema.ts';
import { recipeReadme } from '../../recipe/docs.ts';

export function defineSchema(program: Command, ctx: CommandContext): void {
  program
    .command('schema')
    .description('print the JSON Schema of recipes (for editor completion and validation)')
    .option('--markdown', 'print the recipe reference as Markdown instead (recipes/README.md)')
    .addHelpText('after', `
The package ships this schema as schema/recipe.schema.json (node_modules/mkrootfs/schema/
recipe.schema.json in a project); the shipped recipes point at it with
  # yaml-language-server: $schema=../schema/recipe.schema.json

Examples:
  $ mkrootfs schema > schema/recipe.schema.json   regenerate the shipped schema (after changing src/recipe/schema.ts)
  $ mkrootfs schema > recipe.schema.json          then in a recipe: # yaml-language-server: $schema=recipe.schema.json
  $ mkrootfs schema --markdown > recipes/README.md`)
    .action((opts: { markdown?: boolean }) => {
      ctx.io.stdout.write(opts.markdown ? recipeReadme() : JSON.stringify(recipeJsonSchema(), null, 2) + '\n');
      ctx.setExit(0);
    });
}
