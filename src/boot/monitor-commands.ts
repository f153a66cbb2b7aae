/**
 * `boot --monitor-command CMD` (repeatable): monitor commands run in order
 * on the machine once a headless boot has ended well — its steps matched, or
 * the guest powered off. The machine is stopped by then, so `system_reset`
 * resets it at once (a following `info registers` shows the reset CPU) and
 * `quit` skips the commands after it. Pure: returns what to print.
 */
import type { Machine } from '../../emulator/machine.ts';
import { Monitor, MONITOR_PROMPT } from '../../emulator/monitor/monitor.ts';
import type { SessionResult } from './session.ts';

export interface MonitorCommandResult {
  command: string;
  output: string;
}

/** The boot ended in a state worth inspecting: steps done or guest power-off (any exit code). */
export function monitorCommandsApply(outcome: SessionResult['outcome']): boolean {
  return outcome.kind === 'ok' || outcome.kind === 'poweroff-code';
}

export function runMonitorCommands(machine: Machine, commands: readonly string[]): MonitorCommandResult[] {
  const monitor = new Monitor({ machine });
  const results: MonitorCommandResult[] = [];
  for (const command of commands) {
    const reply = monitor.execute(command);
    results.push({ command, output: reply.text });
    if (reply.quit) break;
  }
  return results;
}

/** As QEMU's `-monitor stdio` shows a session: the prompt and command, then its output. */
export function formatMonitorResults(results: readonly MonitorCommandResult[]): string {
  return results.map((r) => `${MONITOR_PROMPT}${r.command}\n${r.output}`).join('');
}
