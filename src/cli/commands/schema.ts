import type { Command } from 'commander';
import type { CommandContext } from '../main.ts';

// Placeholder: the 'schema' command is being written (owner: see its issue).
export function defineSchema(program: Command, ctx: CommandContext): void {
  void program; void ctx;
}
