/**
 * `mkrootfs boot --nic user` as a user runs it: a recipe whose rcS gets a
 * lease with udhcpc and starts busybox httpd, checked by the boot steps
 * `wait-port` and `http` (in-process connections through the user network),
 * twice with identical guest-time results; --json lists the guest's outbound
 * attempts; restrict=on blocks them; a network step without --nic user is a
 * usage error.
 * Run: npx vitest run --project e2e test/e2e/net-user-boot.test.ts
 */
import { execFile, spawn, spawnSync } from 'node:child_process';
import { createServer as createTcpServer } from 'node:net';
import { promisify } from 'node:util';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from './net/net-guest.ts';

const work = mkdtempSync(join(tmpdir(), 'net-user-boot-'));
let recipe: string;

const RECIPE = `include: [${JSON.stringify(join(ROOT, 'recipes/busybox.yml'))}]
image:
  output: web.img
init:
  shell: respawn
  rcS: |
    #!/bin/sh
    mount -a
    printf '#!/bin/sh\\n[ "$1" = bound ] && ifconfig $interface $ip netmask $subnet up && route add default gw $router\\nexit 0\\n' > /tmp/dhcp.sh
    chmod +x /tmp/dhcp.sh
    ifconfig eth0 up
    udhcpc -i eth0 -n -q -s /tmp/dhcp.sh
    mkdir -p /tmp/www && echo "hello from guest httpd" > /tmp/www/index.html
    httpd -p 8080 -h /tmp/www
    wget -q -O /dev/null -T 2 http://192.0.2.1:81/ 2>/dev/null
    echo rcS-DONE
boot:
  timeout: 60
  steps:
    - expect: rcS-DONE
    - wait-port: 8080
      timeout: 20
    - http: { port: 8080, path: /index.html, expect: hello from guest }
      timeout: 20
`;

interface Run { code: number | null; stdout: string; stderr: string }
function mkrootfs(args: string[]): Run {
  const r = spawnSync(process.execPath, [join(ROOT, 'bin/mkrootfs.js'), ...args], { cwd: work, encoding: 'utf8', timeout: 600_000, maxBuffer: 64 << 20 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

beforeAll(() => {
  recipe = join(work, 'web.yml');
  writeFileSync(recipe, RECIPE);
});

describe('mkrootfs boot --nic user', () => {
  it('wait-port and http steps pass, twice at the same guest instants; --json lists outbound attempts', () => {
    const runs = [0, 1].map(() => {
      const r = mkrootfs(['boot', recipe, '--nic', 'user,restrict=on', '--json']);
      expect(r.code, r.stderr).toBe(0);
      return JSON.parse(r.stdout) as { status: string; stepGuestSeconds: number[]; instructions: number; network: { attempts: { proto: string; dst: string; port: number; result: string }[] }[] };
    });
    expect(runs[0]!.status).toBe('ok');
    expect(runs[0]!.stepGuestSeconds).toHaveLength(3);
    expect(runs[1]!.stepGuestSeconds).toEqual(runs[0]!.stepGuestSeconds);
    expect(runs[1]!.instructions).toBe(runs[0]!.instructions);
    expect(runs[1]!.network).toEqual(runs[0]!.network);
    // restrict=on: the guest's wget to 192.0.2.1:81 is blocked, and listed.
    expect(runs[0]!.network[0]!.attempts).toContainEqual(expect.objectContaining({ proto: 'tcp', dst: '192.0.2.1', port: 81, result: 'blocked' }));
  });

  it('an http step that never matches times out (exit 124) naming the last answer', () => {
    const bad = join(work, 'bad.yml');
    writeFileSync(bad, RECIPE.replace('expect: hello from guest }', 'expect: not-there }').replace(/timeout: 20\n$/, 'timeout: 3\n'));
    const r = mkrootfs(['boot', bad, '--nic', 'user']);
    expect(r.code).toBe(124);
    expect(r.stderr).toContain('http GET :8080/index.html');
    expect(r.stderr).toContain('last attempt: HTTP 200');
  });

  it('tshark reads the --net-dump of a boot: DHCP lease options, ARP, TCP and HTTP, no bad checksum or malformed frame', () => {
    const pcap = join(work, 'user.pcap');
    const r = mkrootfs(['boot', recipe, '--nic', 'user', '--net-dump', pcap]);
    expect(r.code, r.stderr).toBe(0);
    const tshark = (args: string[]): string => {
      const t = spawnSync('tshark', ['-r', pcap, '-o', 'ip.check_checksum:TRUE', '-o', 'tcp.check_checksum:TRUE', '-o', 'udp.check_checksum:TRUE', ...args], { encoding: 'utf8' });
      expect(t.status, t.stderr).toBe(0);
      return t.stdout;
    };
    expect(tshark(['-Y', 'dhcp.option.dhcp == 5', '-T', 'fields', '-e', 'dhcp.ip.your', '-e', 'dhcp.option.router', '-e', 'dhcp.option.domain_name_server', '-e', 'dhcp.option.subnet_mask', '-e', 'dhcp.option.ip_address_lease_time']).trim())
      .toBe('10.0.2.15\t10.0.2.2\t10.0.2.3\t255.255.255.0\t86400');
    expect(tshark(['-Y', 'arp.opcode == 2', '-T', 'fields', '-e', 'arp.src.proto_ipv4', '-e', 'arp.src.hw_mac']).trim()).toBe('10.0.2.2\t52:55:0a:00:02:02');
    expect(tshark(['-Y', 'http.request', '-T', 'fields', '-e', 'http.request.uri']).trim()).toBe('/index.html');
    expect(tshark(['-Y', 'http.response.code == 200', '-T', 'fields', '-e', 'ip.src']).trim()).toBe('10.0.2.15');
    const bad = tshark(['-Y', 'ip.checksum.status == 0 || tcp.checksum.status == 0 || udp.checksum.status == 0 || icmp.checksum.status == 0 || _ws.malformed || _ws.expert.severity == error']);
    expect(bad).toBe('');
  });

  it('hostfwd from the command line: curl on the host reaches busybox httpd in the guest', async () => {
    const probe = createTcpServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const port = (probe.address() as { port: number }).port;
    await new Promise((r) => probe.close(r));
    const child = spawn(process.execPath, [join(ROOT, 'bin/mkrootfs.js'), 'boot', recipe, '--realtime', '--timeout', '300', '--expect', 'NEVER-PRINTED',
      '--nic', `user,hostfwd=tcp:127.0.0.1:${port}-:8080`], { cwd: work, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => { out += d.toString('latin1'); });
    try {
      for (let i = 0; i < 1200 && !out.includes('rcS-DONE'); i++) await new Promise((r) => setTimeout(r, 100));
      expect(out).toContain('rcS-DONE');
      const { stdout } = await promisify(execFile)('curl', ['-sS', '--max-time', '60', `http://127.0.0.1:${port}/index.html`]);
      expect(stdout).toBe('hello from guest httpd\n');
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    }
  });

  it('a wait-port step without --nic user is a usage error (exit 2)', () => {
    const r = mkrootfs(['boot', recipe]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--nic user');
  });
});
