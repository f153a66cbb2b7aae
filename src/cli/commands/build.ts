import type { Command } from 'commander';
import type { CommandContext } from '../main.ts';

// Placeholder: the 'build' command is being written (owner: see its issue).
export function defineBuild(program: Command, ctx: CommandContext): void {
  void program; void ctx;
}
