import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { BootScript, decodeSendText, type ScriptSpec } from '../../src/boot/expect.ts';
import { parsePattern, StreamMatcher } from '../../src/boot/pattern.ts';
import { ExitCode } from '../../src/errors.ts';

const spec = (over: Partial<ScriptSpec>): ScriptSpec => ({ steps: [], fail: [], panic: ['Kernel panic'], timeoutS: 100, ...over });
const S = 1e9;

describe('StreamMatcher', () => {
  it('finds text split across any chunking, and reports the end inside the last piece', () => {
    fc.assert(fc.property(fc.string({ unit: 'grapheme-ascii' }), fc.string({ unit: 'grapheme-ascii' }), fc.array(fc.nat(), { maxLength: 6 }),
      (pre, post, cuts) => {
        const needle = 'BOOT-OK';
        const stream = pre.replace(/B/g, 'b') + needle + post;
        const points = [...new Set(cuts.map((c) => c % (stream.length + 1)))].sort((a, b) => a - b);
        const pieces: string[] = [];
        let last = 0;
        for (const p of points) { pieces.push(stream.slice(last, p)); last = p; }
        pieces.push(stream.slice(last));
        const m = new StreamMatcher(parsePattern(needle, 'expect'));
        let consumed = 0;
        for (const piece of pieces) {
          const end = m.feed(piece);
          if (end >= 0) {
            expect(consumed + end).toBe(stream.indexOf(needle) + needle.length);
            return;
          }
          consumed += piece.length;
        }
        throw new Error('not found');
      }));
  });

  it('does not match text that is absent', () => {
    const m = new StreamMatcher(parsePattern('login:', 'expect'));
    expect(m.feed('logi')).toBe(-1);
    expect(m.feed('n;')).toBe(-1);
    expect(m.feed('xlogin')).toBe(-1);
    expect(m.feed(': ')).toBe(1);
  });

  it('re: patterns match within one line, including an open line', () => {
    const m = new StreamMatcher(parsePattern('re:^/ # $', 'expect'));
    expect(m.feed('ls /\nbin  etc\n/ ')).toBe(-1);
    expect(m.feed('# ')).toBe(2);
    const n = new StreamMatcher(parsePattern('re:a.b', 'expect'));
    expect(n.feed('a\nb axb')).toBe(7);
  });

  it('rejects empty and invalid patterns with a usage error', () => {
    expect(() => parsePattern('', 'expect')).toThrow(/empty expect/);
    expect(() => parsePattern('re:(', 'fail')).toThrowError(expect.objectContaining({ exitCode: ExitCode.usage, code: 'BOOT_BAD_PATTERN' }));
  });

  it('matches non-ASCII text against the UTF-8 byte stream', () => {
    const m = new StreamMatcher(parsePattern('héllo', 'expect'));
    expect(m.feed('say h\xc3\xa9llo!')).toBe(10);
  });
});

describe('BootScript', () => {
  it('matches expectations in order only', () => {
    const s = new BootScript(spec({ steps: [{ expect: 'two' }, { expect: 'one' }] }));
    s.start(0);
    s.onOutput('one two', 1);
    expect(s.outcome).toBeUndefined();
    s.onOutput(' three', 2);
    expect(s.outcome).toBeUndefined();
    s.onOutput(' one\r\n', 3);
    expect(s.outcome).toMatchObject({ kind: 'ok', exitCode: 0, atNs: 3 });
  });

  it('lets one chunk satisfy several steps, each after the previous match', () => {
    const s = new BootScript(spec({ steps: [{ expect: 'a' }, { expect: 'b' }, { expect: 'a' }] }));
    s.start(0);
    s.onOutput('xaxbx', 1);
    expect(s.outcome).toBeUndefined();
    expect(s.stepsDone).toBe(2);
    s.onOutput('a', 2);
    expect(s.outcome?.kind).toBe('ok');
  });

  it('types the text of a step, with Enter, once its pattern matched', () => {
    const s = new BootScript(spec({ steps: [{ send: 'echo hi' }, { expect: '# ', send: 'ls /' }, { expect: 'bin' }, { send: 'poweroff -f' }] }));
    s.start(0);
    expect(s.takeInput()).toBe('echo hi\n');
    expect(s.takeInput()).toBe('');
    s.onOutput('/ # ', 5);
    expect(s.takeInput()).toBe('ls /\n');
    expect(s.takeInput()).toBe('');
    s.onOutput('ls /\nbin dev\n/ # ', 6);
    expect(s.takeInput()).toBe('poweroff -f\n');
    // A trailing send waits for the guest to halt.
    expect(s.outcome).toBeUndefined();
    expect(s.matchedAtNs).toEqual([0, 5, 6, 6]);
    s.onHalt('poweroff', 0, 9);
    expect(s.outcome).toMatchObject({ kind: 'ok', atNs: 9 });
  });

  it('does not let the echo of a sent command satisfy an expectation typed before the send', () => {
    const s = new BootScript(spec({ steps: [{ expect: '# ', send: 'echo MARK-$((1+1))' }, { expect: 'MARK-2' }] }));
    s.start(0);
    s.onOutput('# ', 1);
    s.onOutput('echo MARK-$((1+1))\n', 2);
    expect(s.outcome).toBeUndefined();
    s.onOutput('MARK-2\n', 3);
    expect(s.outcome?.kind).toBe('ok');
  });

  it('detects a panic as it happens and reports the whole panic line (exit 4)', () => {
    const s = new BootScript(spec({ steps: [{ expect: 'never' }] }));
    s.start(0);
    s.onOutput('[    0.35] Kernel pa', 10);
    s.onOutput('nic - not syncing: No working init found.', 11);
    expect(s.outcome).toBeUndefined();
    s.onOutput('  Try passing init= option\nmore', 12);
    expect(s.outcome).toMatchObject({ kind: 'panic', exitCode: ExitCode.guestPanic, atNs: 12 });
    expect(s.outcome!.message).toBe('guest panic: [    0.35] Kernel panic - not syncing: No working init found.  Try passing init= option');
  });

  it('reports a panic whose line never ends after a grace period', () => {
    const s = new BootScript(spec({}));
    s.start(0);
    s.onOutput('x\nKernel panic - oops', 10);
    s.poll(11);
    expect(s.outcome).toBeUndefined();
    s.poll(10 + 0.3 * S);
    expect(s.outcome).toMatchObject({ kind: 'panic', message: 'guest panic: Kernel panic - oops' });
  });

  it('reports a panic completed in one chunk', () => {
    const s = new BootScript(spec({}));
    s.start(0);
    s.onOutput('a\nb Kernel panic - x\nc', 10);
    expect(s.outcome?.message).toBe('guest panic: b Kernel panic - x');
  });

  it('fails at once on a fail pattern (exit 3), also before any step', () => {
    const s = new BootScript(spec({ steps: [{ expect: 'ok' }], fail: ['Oops'] }));
    s.start(0);
    s.onOutput('Oo', 1);
    s.onOutput('ps: 0000', 2);
    expect(s.outcome).toMatchObject({ kind: 'fail-matched', exitCode: ExitCode.expectFailed, pattern: 'Oops', step: 0 });
  });

  it('within one piece of output, whatever came first decides', () => {
    const ok = new BootScript(spec({ steps: [{ expect: 'DONE' }], fail: ['Oops'] }));
    ok.start(0);
    ok.onOutput('DONE\nOops\n', 1);
    expect(ok.outcome?.kind).toBe('ok');
    const bad = new BootScript(spec({ steps: [{ expect: 'DONE' }], fail: ['Oops'] }));
    bad.start(0);
    bad.onOutput('Oops\nDONE\n', 1);
    expect(bad.outcome?.kind).toBe('fail-matched');
    const panic = new BootScript(spec({ steps: [{ expect: 'DONE' }], fail: ['Oops'] }));
    panic.start(0);
    panic.onOutput('Kernel panic - x\nOops\n', 1);
    expect(panic.outcome?.kind).toBe('panic');
  });

  it('rejects a step with neither expect nor send as a usage error', () => {
    expect(() => new BootScript(spec({ steps: [{ timeoutS: 3 }] }))).toThrowError(expect.objectContaining({ code: 'BOOT_EMPTY_STEP', exitCode: ExitCode.usage }));
  });

  it('times out steps and the whole boot in guest time (exit 124)', () => {
    const s = new BootScript(spec({ steps: [{ expect: 'a' }, { expect: 'b', timeoutS: 2 }] }));
    s.start(0);
    s.onOutput('a', 1 * S);
    s.poll(2.9 * S);
    expect(s.outcome).toBeUndefined();
    s.poll(3 * S);
    expect(s.outcome).toMatchObject({ kind: 'step-timeout', exitCode: ExitCode.timeout, step: 1, pattern: 'b' });
    const t = new BootScript(spec({ steps: [{ expect: 'a' }], timeoutS: 5 }));
    t.start(0);
    t.poll(5 * S);
    expect(t.outcome).toMatchObject({ kind: 'timeout', exitCode: ExitCode.timeout });
    expect(t.outcome!.message).toContain('expect "a"');
    // A step timeout counts from when the step became active, not from reset.
    const u = new BootScript(spec({ steps: [{ expect: 'a' }, { expect: 'b', timeoutS: 1 }] }));
    u.start(0);
    u.onOutput('a', 50 * S);
    u.poll(50.5 * S);
    expect(u.outcome).toBeUndefined();
  });

  it('power-off before the last expectation is exit 3; after it, or with no steps, exit 0', () => {
    const a = new BootScript(spec({ steps: [{ expect: 'x' }] }));
    a.start(0);
    a.onHalt('poweroff', 0, 5);
    expect(a.outcome).toMatchObject({ kind: 'expect-failed', exitCode: ExitCode.expectFailed });
    const b = new BootScript(spec({}));
    b.start(0);
    b.onHalt('poweroff', 0, 5);
    expect(b.outcome).toMatchObject({ kind: 'ok', exitCode: 0 });
    const c = new BootScript(spec({}));
    c.start(0);
    c.onHalt('poweroff', 3, 5);
    expect(c.outcome).toMatchObject({ kind: 'poweroff-code', exitCode: ExitCode.runtime });
  });

  it('a panic pending when the guest halts is still a panic', () => {
    const s = new BootScript(spec({}));
    s.start(0);
    s.onOutput('Kernel panic - not syncing: x', 1);
    s.onHalt('reset', 0, 2);
    expect(s.outcome?.kind).toBe('panic');
  });
});

describe('decodeSendText', () => {
  it('decodes escapes and encodes UTF-8 one char per byte', () => {
    expect(decodeSendText('a\\tb\\n')).toBe('a\tb\n');
    expect(decodeSendText('\\cC\\x41\\\\\\e')).toBe('\x03A\\\x1b');
    expect(decodeSendText('é')).toBe('\xc3\xa9');
    expect(decodeSendText('\\xff')).toBe('\xff');
    expect(decodeSendText('\\q\\x4')).toBe('\\q\\x4');
  });
});
