import type { Command } from 'commander';
import type { CommandContext } from '../main.ts';

// Placeholder until the recipes work lands: adds recipe-only options to `build`
// and runs a recipe build. Owned by the recipes issue.
export function addRecipeOptions(cmd: Command): Command {
  return cmd;
}

export async function runRecipeBuild(recipePath: string, opts: Record<string, unknown>, ctx: CommandContext): Promise<void> {
  void opts;
  ctx.io.stderr.write(`mkrootfs: recipe builds are not available yet (${recipePath})\n`);
  ctx.setExit(2);
}
