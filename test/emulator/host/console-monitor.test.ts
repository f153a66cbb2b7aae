/**
 * Ctrl-A c: the interactive console switches between the guest's serial
 * console and the monitor, driven through a fake TTY stream (no terminal),
 * over a real machine — alone, and inside the runner with the guest running.
 */
import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { consoleHelp, CONSOLE_HELP, InteractiveConsole } from '../../../emulator/host/console.ts';
import { machineTarget } from '../../../emulator/host/machine-target.ts';
import { runMachine } from '../../../emulator/host/runner.ts';
import { MONITOR_BANNER, runningMachineMonitor } from '../../../emulator/monitor/monitor.ts';
import { plainMachine } from '../monitor/machines.ts';

class FakeTty extends EventEmitter {
  isTTY = true;
  rawCalls: boolean[] = [];
  setRawMode(raw: boolean) { this.rawCalls.push(raw); return this; }
  resume() { return this; }
  pause() { return this; }
  type(text: string) { this.emit('data', Buffer.from(text, 'latin1')); }
}
class FakeOut {
  text = '';
  write(d: Uint8Array | string) { this.text += typeof d === 'string' ? d : Buffer.from(d).toString('latin1'); return true; }
  /** Output since the last call. */
  private seen = 0;
  fresh(): string { const s = this.text.slice(this.seen); this.seen = this.text.length; return s; }
}

const guestInput = (c: InteractiveConsole): string => Buffer.from(c.takeInput()).toString('latin1');

function setup() {
  const machine = plainMachine();
  const input = new FakeTty();
  const output = new FakeOut();
  let quits = 0;
  const c = new InteractiveConsole({ input, output, monitor: runningMachineMonitor(machine), onQuit: () => { quits++; } });
  return { machine, input, output, c, quits: () => quits };
}

describe('InteractiveConsole with a monitor', () => {
  it('Ctrl-A c switches to the monitor (banner once, prompt), runs commands with line editing, Ctrl-A c switches back', () => {
    const { input, output, c, quits } = setup();
    input.type('ab');
    expect(guestInput(c)).toBe('ab');
    input.type('\x01c');
    expect(c.inMonitor).toBe(true);
    expect(output.fresh()).toBe(`\r\n${MONITOR_BANNER}\r\n(qemu) `);
    // Backspace edits the line; the keys never reach the guest.
    input.type('info statuss\x7f\r');
    expect(output.fresh()).toBe('info statuss\b \b\r\nVM status: running\r\n(qemu) ');
    expect(guestInput(c)).toBe('');
    // Arrow keys (escape sequences) are ignored; \r\n runs the line once.
    input.type('\x1b[Aqom-get serial irq\x1bOB\r\n');
    expect(output.fresh()).toBe('qom-get serial irq\r\n2\r\n(qemu) ');
    // Ctrl-C drops the line.
    input.type('qom-list /\x03');
    expect(output.fresh()).toBe('qom-list /^C\r\n(qemu) ');
    // Multi-line output gets CRLF for the raw terminal.
    input.type('qom-list /\r');
    expect(output.fresh()).toBe('qom-list /\r\ntype (string)\r\nmachine (child<virt-machine>)\r\n(qemu) ');
    // Guest output still reaches the terminal while the monitor is shown (QEMU's mux does the same).
    c.write(Buffer.from('guest says hi'));
    expect(output.fresh()).toBe('guest says hi');
    input.type('\x01h');
    expect(output.fresh()).toBe(consoleHelp(true));
    expect(consoleHelp(true)).toContain('Ctrl-A c  switch between the console and the monitor');
    input.type('half a li');
    input.type('\x01c');
    expect(c.inMonitor).toBe(false);
    expect(output.fresh()).toBe('half a li\r\n');
    input.type('ls\r\x01\x01');
    expect(guestInput(c)).toBe('ls\r\x01');
    // Back again: no banner the second time, the unfinished line is shown and kept.
    input.type('\x01c');
    expect(output.fresh()).toBe('\r\n(qemu) half a li');
    input.type('\x7f'.repeat(9) + 'quit\r');
    expect(c.quitRequested).toBe(true);
    expect(quits()).toBe(1);
    expect(output.fresh()).toContain('\r\n[mkrootfs console] quit\r\n');
    c.close();
  });

  it('Ctrl-A x quits from the monitor as well', () => {
    const { input, c, quits } = setup();
    input.type('\x01cinfo qt\x01x');
    expect(c.quitRequested).toBe(true);
    expect(quits()).toBe(1);
    c.close();
  });

  it('without a monitor Ctrl-A c is dropped, as before, and the help does not offer it', () => {
    const input = new FakeTty();
    const output = new FakeOut();
    const c = new InteractiveConsole({ input, output });
    input.type('\x01cx\x01h');
    expect(c.inMonitor).toBe(false);
    expect(guestInput(c)).toBe('x');
    expect(output.text).toBe(CONSOLE_HELP);
    expect(CONSOLE_HELP).not.toContain('Ctrl-A c');
    c.close();
  });

  it('in the run loop: the guest keeps running while the monitor is shown; system_reset reboots it; Ctrl-A x ends the run', async () => {
    const { machine, input, output, c } = setup();
    // Keys arrive between slices, as a terminal's would between event-loop turns.
    const script = ['\x01c', 'info status\r', '', 'info registers\r', 'system_reset\r', '', 'info status\r', '\x01c', 'echo\r', '\x01x'];
    const timeAt: number[] = [];
    let slice = 0;
    const result = await runMachine(machineTarget(machine), {
      takeInput: () => c.takeInput(),
      afterSlice: (nowNs) => {
        timeAt.push(nowNs);
        const keys = script[slice++];
        if (keys) input.type(keys);
        return c.quitRequested;
      },
    }, { rebootResets: true, sliceInstructions: 10_000 });
    expect(result.end).toBe('stopped');
    expect(slice).toBe(script.length);
    // Guest time moved on through the slices spent in the monitor (before the reset at slice 5)...
    expect(timeAt[1]!).toBeGreaterThan(timeAt[0]!);
    expect(timeAt[4]!).toBeGreaterThan(timeAt[3]!);
    // ...and started over after system_reset, which the runner carried out.
    expect(timeAt[5]!).toBeLessThan(timeAt[4]!);
    expect(machine.finish).toBeUndefined();
    expect(output.text).toMatch(/info status\r\nVM status: running\r\n\(qemu\) info registers\r\nPC=0000010[04]\r\n/);
    expect(output.text).toContain('system_reset\r\n(qemu) ');
    expect(output.text).toContain('\r\n[mkrootfs console] quit\r\n');
    c.close();
  });
});
