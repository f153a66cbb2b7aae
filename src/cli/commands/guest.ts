import type { Command } from 'commander';
import type { CommandContext } from '../main.ts';

// Placeholder: the 'guest' command is being written (owner: see its issue).
export function defineGuest(program: Command, ctx: CommandContext): void {
  void program; void ctx;
}
