import { describe, expect, it } from 'vitest';
import { BootScript, type BootNetDriver, type ScriptSpec } from '../../src/boot/expect.ts';
import { ExitCode } from '../../src/errors.ts';

const spec = (over: Partial<ScriptSpec>): ScriptSpec => ({ steps: [], fail: [], panic: ['Kernel panic'], timeoutS: 100, ...over });
const S = 1e9;

/** A driver whose answers the test controls: each call is kept until answered. */
function fakeDriver() {
  const probes: { port: number; done: (open: boolean) => void }[] = [];
  const gets: { port: number; path: string; done: Parameters<BootNetDriver['httpGet']>[2] }[] = [];
  const driver: BootNetDriver = {
    probePort: (port, done) => probes.push({ port, done }),
    httpGet: (port, path, done) => gets.push({ port, path, done }),
  };
  return { driver, probes, gets };
}

describe('boot steps: wait-port and http', () => {
  it('wait-port retries on guest time until the port is open, then types the send', () => {
    const s = new BootScript(spec({ steps: [{ expect: 'READY' }, { waitPort: 8080, send: 'echo up' }, { expect: 'up' }] }));
    const { driver, probes } = fakeDriver();
    s.attachNet(driver);
    s.start(0);
    s.onOutput('READY\n', 1 * S);
    expect(probes).toHaveLength(1);
    expect(probes[0]!.port).toBe(8080);
    probes[0]!.done(false);
    s.poll(1.1 * S);
    expect(probes).toHaveLength(1); // waits for the retry time
    expect(s.nextDeadlineNs()).toBe(1.25 * S);
    s.poll(1.25 * S);
    expect(probes).toHaveLength(2);
    probes[1]!.done(true);
    expect(s.takeInput()).toBe('');
    s.poll(1.3 * S);
    expect(s.takeInput()).toBe('echo up\n');
    expect(s.matchedAtNs[1]).toBe(1.3 * S);
    s.onOutput('up\n', 1.4 * S);
    expect(s.outcome?.kind).toBe('ok');
  });

  it('http passes when the body matches, and a step timeout reports the last answer', () => {
    const s = new BootScript(spec({ steps: [{ http: { port: 80, path: '/x', expect: 'hello' }, timeoutS: 2 }] }));
    const { driver, gets } = fakeDriver();
    s.attachNet(driver);
    s.start(0);
    expect(gets[0]).toMatchObject({ port: 80, path: '/x' });
    gets[0]!.done({ status: 200, body: 'goodbye' });
    s.poll(0.5 * S);
    gets[1]!.done({ error: 'nothing accepts connections on guest port 80' });
    s.poll(2 * S);
    expect(s.outcome?.kind).toBe('step-timeout');
    expect(s.outcome?.exitCode).toBe(ExitCode.timeout);
    expect(s.outcome?.message).toContain('http GET :80/x');
    expect(s.outcome?.message).toContain('last attempt: nothing accepts connections on guest port 80');

    const ok = new BootScript(spec({ steps: [{ http: { port: 80, path: '/', expect: 're:hel+o' } }] }));
    const d2 = fakeDriver();
    ok.attachNet(d2.driver);
    ok.start(0);
    d2.gets[0]!.done({ status: 200, body: 'say hello\n' });
    ok.poll(1);
    expect(ok.outcome?.kind).toBe('ok');
  });

  it('a network step without the user network fails with a message naming --nic user', () => {
    const s = new BootScript(spec({ steps: [{ waitPort: 22 }] }));
    expect(s.needsNet).toBe(true);
    s.start(0);
    expect(s.outcome?.kind).toBe('expect-failed');
    expect(s.outcome?.message).toContain('--nic user');
  });
});
