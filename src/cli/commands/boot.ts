import type { Command } from 'commander';
import type { CommandContext } from '../main.ts';

// Placeholder: the 'boot' command is being written (owner: see its issue).
export function defineBoot(program: Command, ctx: CommandContext): void {
  void program; void ctx;
}
