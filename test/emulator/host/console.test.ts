import { describe, expect, it } from 'vitest';
import { EventEmitter } from 'node:events';
import { CONSOLE_HELP, HeadlessConsole, InteractiveConsole, type ProcessHooks } from '../../../emulator/host/console.ts';

class FakeTty extends EventEmitter {
  isTTY = true;
  rawCalls: boolean[] = [];
  paused = true;
  setRawMode(raw: boolean) { this.rawCalls.push(raw); return this; }
  resume() { this.paused = false; return this; }
  pause() { this.paused = true; return this; }
}
class FakeOut {
  chunks: string[] = [];
  write(d: Uint8Array | string) { this.chunks.push(typeof d === 'string' ? d : Buffer.from(d).toString('latin1')); return true; }
  get text() { return this.chunks.join(''); }
}
class FakeProc extends EventEmitter implements ProcessHooks {
  readonly pid = 4242;
  kills: [number, string][] = [];
  kill(pid: number, sig: string) { this.kills.push([pid, sig]); return true; }
  override on(e: string, l: (...a: unknown[]) => void) { return super.on(e, l); }
  override off(e: string, l: (...a: unknown[]) => void) { return super.off(e, l); }
}

function setup() {
  const input = new FakeTty();
  const output = new FakeOut();
  const proc = new FakeProc();
  let quits = 0;
  const c = new InteractiveConsole({ input, output, proc, onQuit: () => { quits++; } });
  return { input, output, proc, c, quits: () => quits };
}

describe('InteractiveConsole', () => {
  it('enters raw mode, passes keys (Ctrl-C included) to the guest, and restores on close', () => {
    const { input, c, proc } = setup();
    expect(input.rawCalls).toEqual([true]);
    input.emit('data', Buffer.from('ls\x03\r'));
    expect(Buffer.from(c.takeInput()).toString('latin1')).toBe('ls\x03\r');
    expect(c.takeInput().length).toBe(0);
    c.close();
    c.close();
    expect(input.rawCalls).toEqual([true, false]);
    expect(input.paused).toBe(true);
    expect(proc.listenerCount('exit') + proc.listenerCount('SIGINT') + proc.listenerCount('SIGTERM')).toBe(0);
  });

  it('Ctrl-A x quits, Ctrl-A h prints help, Ctrl-A Ctrl-A sends Ctrl-A', () => {
    const { input, output, c, quits } = setup();
    input.emit('data', Buffer.from('a\x01h'));
    expect(output.text).toBe(CONSOLE_HELP);
    input.emit('data', Buffer.from('\x01'));
    input.emit('data', Buffer.from('\x01b\x01zc'));
    expect(Buffer.from(c.takeInput()).toString('latin1')).toBe('a\x01bc');
    expect(c.quitRequested).toBe(false);
    input.emit('data', Buffer.from('\x01xignored'));
    expect(c.quitRequested).toBe(true);
    expect(quits()).toBe(1);
    expect(c.takeInput().length).toBe(0);
    c.close();
  });

  it('restores the terminal on process exit and on a signal, then re-raises the signal', () => {
    const a = setup();
    a.proc.emit('exit', 1);
    expect(a.input.rawCalls).toEqual([true, false]);
    const b = setup();
    b.proc.emit('SIGTERM', 'SIGTERM');
    expect(b.input.rawCalls).toEqual([true, false]);
    expect(b.proc.kills).toEqual([[4242, 'SIGTERM']]);
    expect(b.proc.listenerCount('SIGTERM')).toBe(0);
  });

  it('does not touch raw mode when the input is not a TTY', () => {
    const input = new FakeTty();
    input.isTTY = false;
    const c = new InteractiveConsole({ input, output: new FakeOut() });
    c.close();
    expect(input.rawCalls).toEqual([]);
  });
});

describe('HeadlessConsole', () => {
  it('passes output to its sink and queues typed bytes', () => {
    const got: string[] = [];
    const h = new HeadlessConsole((b) => got.push(Buffer.from(b).toString('latin1')));
    h.write(Uint8Array.from([0x68, 0x69]));
    h.type('ls\n');
    h.type(Uint8Array.from([0xff]));
    expect(got).toEqual(['hi']);
    expect(Array.from(h.takeInput())).toEqual([0x6c, 0x73, 0x0a, 0xff]);
    expect(h.takeInput().length).toBe(0);
  });
});
