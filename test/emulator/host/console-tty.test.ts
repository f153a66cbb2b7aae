/**
 * The interactive console on a real pseudo-terminal (util-linux `script`):
 * raw mode while it runs, cooked again after Ctrl-A x, and a signal still
 * ends the process (re-raised after the terminal is restored).
 */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const harness = join(dirname(fileURLToPath(import.meta.url)), 'fixtures/console-harness.ts');
const hasScript = spawnSync('script', ['--version']).status === 0;

function inPty(cmd: string, input: string) {
  return spawnSync('script', ['-qfec', cmd, '/dev/null'], { input, encoding: 'latin1', timeout: 60_000 });
}

describe.skipIf(!hasScript)('InteractiveConsole on a pty', () => {
  it('runs in raw mode and restores cooked mode on Ctrl-A x', () => {
    const r = inPty(`node --import tsx ${harness}`, '\x01x');
    expect(r.stdout).toContain('started raw=true');
    expect(r.stdout).toContain('[mkrootfs console] quit');
    expect(r.stdout).toContain('quit raw=false');
  });

  it('re-raises SIGTERM after restoring the terminal (exit 143, shell sees a cooked tty)', () => {
    const r = inPty(`node --import tsx ${harness} signal; echo exit=$?; stty -a | grep -o -- '-\\?icanon '`, '');
    expect(r.stdout).toContain('started raw=true');
    expect(r.stdout).toContain('exit=143');
    expect(r.stdout).toMatch(/(^|[^-])icanon /m);
  });
});
