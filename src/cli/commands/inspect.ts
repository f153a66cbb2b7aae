import type { Command } from 'commander';
import type { CommandContext } from '../main.ts';

// Placeholder: the 'inspect' command is being written (owner: see its issue).
export function defineInspect(program: Command, ctx: CommandContext): void {
  void program; void ctx;
}
