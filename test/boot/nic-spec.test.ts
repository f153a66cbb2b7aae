import { describe, expect, it } from 'vitest';
import { MkrootfsError } from '../../src/errors.ts';
import { defaultMac, defaultNicModel, parseNicSpec } from '../../src/boot/nic-spec.ts';
import { createMachine } from '../../emulator/machine.ts';
import { createNetwork, describeNics, nicBackendAvailable, registerNicBackend, unregisterNicBackend } from '../../src/boot/nic-backends.ts';
import { RecordingBackend } from '../emulator/net/fake-backend.ts';
import { spinElf } from '../helpers/or1k-elf.ts';

function error(text: string): MkrootfsError {
  try {
    parseNicSpec(text);
  } catch (e) {
    return e as MkrootfsError;
  }
  throw new Error(`'${text}' parsed`);
}

describe('--nic parsing', () => {
  it('socket: listen on loopback by default, or connect to an address', () => {
    expect(parseNicSpec('socket,listen=:5555')).toEqual({ type: 'socket', source: 'socket,listen=:5555', socket: { mode: 'listen', host: '127.0.0.1', port: 5555 } });
    expect(parseNicSpec('socket,connect=127.0.0.1:5555,model=ethoc,mac=52:54:00:AA:BB:CC')).toEqual({
      type: 'socket', source: 'socket,connect=127.0.0.1:5555,model=ethoc,mac=52:54:00:AA:BB:CC', model: 'ethoc', mac: '52:54:00:aa:bb:cc',
      socket: { mode: 'connect', host: '127.0.0.1', port: 5555 },
    });
    expect(parseNicSpec('socket,listen=0.0.0.0:80').type === 'socket' && parseNicSpec('socket,listen=0.0.0.0:80')).toMatchObject({ socket: { host: '0.0.0.0', port: 80 } });
  });

  it('user: repeatable hostfwd (host address defaults to 127.0.0.1) and restrict', () => {
    const spec = parseNicSpec('user,hostfwd=tcp::8080-:80,hostfwd=tcp:127.0.0.1:2222-:22,restrict=on,model=virtio-net-device');
    expect(spec).toEqual({
      type: 'user', model: 'virtio-net-device', source: 'user,hostfwd=tcp::8080-:80,hostfwd=tcp:127.0.0.1:2222-:22,restrict=on,model=virtio-net-device',
      user: { restrict: true, hostfwd: [
        { protocol: 'tcp', hostAddress: '127.0.0.1', hostPort: 8080, guestPort: 80 },
        { protocol: 'tcp', hostAddress: '127.0.0.1', hostPort: 2222, guestPort: 22 },
      ] },
    });
    expect(parseNicSpec('user')).toMatchObject({ type: 'user', user: { hostfwd: [], restrict: false } });
  });

  it.each([
    ['', /missing the backend type/],
    ['tap,ifname=tap0', /unknown backend type 'tap'/],
    ['socket', /needs listen=ADDR:PORT or connect=ADDR:PORT/],
    ['socket,listen=:5555,connect=127.0.0.1:5555', /either listen= or connect=/],
    ['socket,listen=5555', /listen=5555: missing :PORT/],
    ['socket,connect=:5555', /missing the address to connect to/],
    ['socket,listen=:99999', /'99999' is not a port/],
    ['socket,listen=:5555,model=e1000', /unknown model 'e1000'/],
    ['socket,listen=:5555,mac=01:00:5e:00:00:01', /multicast/],
    ['socket,listen=:5555,mac=52:54:00', /not six hex bytes/],
    ['socket,listen=:5555,hostfwd=tcp::80-:80', /'hostfwd' is an option of --nic user/],
    ['user,listen=:5555', /'listen' is an option of --nic socket/],
    ['user,hostfwd=tcp:8080-:80', /not in the form tcp:\[HOSTADDR\]:HOSTPORT-:GUESTPORT/],
    ['user,hostfwd=udp::53-:53', /only tcp/],
    ['user,hostfwd=tcp::80-:0', /guest port '0'/],
    ['user,restrict=maybe', /restrict=maybe/],
    ['user,model=ethoc,model=ethoc', /option 'model' given twice/],
    ['user,,', /empty item/],
    ['user,bogus=1', /unknown option 'bogus'/],
  ])('rejects %j with a usage error naming the bad part', (text, message) => {
    const e = error(text);
    expect(e).toBeInstanceOf(MkrootfsError);
    expect(e.code).toBe('BOOT_BAD_NIC');
    expect(e.exitCode).toBe(2);
    expect(e.message).toContain(`--nic '${text}'`);
    expect(e.message).toMatch(message);
    expect(e.hint).toBeTruthy();
  });

  it('defaults: virtio-net-device on virt, ethoc on or1k-sim; MACs count up from QEMU\'s 52:54:00:12:34:56', () => {
    expect(defaultNicModel(undefined)).toBe('virtio-net-device');
    expect(defaultNicModel('virt')).toBe('virtio-net-device');
    expect(defaultNicModel('or1k-sim')).toBe('ethoc');
    expect([0, 1, 2].map(defaultMac)).toEqual(['52:54:00:12:34:56', '52:54:00:12:34:57', '52:54:00:12:34:58']);
  });
});

describe('backends from --nic specs', () => {
  it('a type with no factory is reported as not available (exit 2)', async () => {
    if (nicBackendAvailable('user')) return expect(nicBackendAvailable('user')).toBe(true); // the user network is in this build
    await expect(createNetwork({ nics: [parseNicSpec('user')], epochSeconds: 0, log: () => {} })).rejects.toMatchObject({ code: 'BOOT_NIC_UNAVAILABLE', exitCode: 2 });
  });

  it('a registered factory makes the backend; the NICs get ids nic0.., the default model and counting MACs; close() closes all', async () => {
    const made: RecordingBackend[] = [];
    const before = nicBackendAvailable('user');
    registerNicBackend('user', async () => { const b = new RecordingBackend(); made.push(b); return b; });
    try {
      const net = await createNetwork({ nics: [parseNicSpec('user'), parseNicSpec('user,model=ethoc,mac=02:00:00:00:00:09')], epochSeconds: 0, log: () => {} });
      expect(Object.keys(net.netdevs)).toEqual(['nic0', 'nic1']);
      expect(net.devices).toEqual(['virtio-net-device,netdev=nic0,mac=52:54:00:12:34:56', 'ethoc,netdev=nic1,mac=02:00:00:00:00:09']);
      net.close();
      expect(made.map((b) => b.closed)).toEqual([true, true]);
    } finally {
      if (!before) unregisterNicBackend('user');
    }
  });

  it('a socket connect to a closed port is a usage error with a hint', async () => {
    await expect(createNetwork({ nics: [parseNicSpec('socket,connect=127.0.0.1:1')], epochSeconds: 0, log: () => {} }))
      .rejects.toMatchObject({ code: 'BOOT_NIC_SOCKET', exitCode: 2, message: expect.stringMatching(/cannot connect to 127\.0\.0\.1:1: ECONNREFUSED/) });
  });
});

describe('NICs in boot --json', () => {
  it('lists each NIC with its path, model, netdev, MAC and counters', () => {
    const elf = spinElf(); // the machine is never run
    const m = createMachine({ kernel: elf, memoryBytes: 16 << 20, netdevs: { nic0: new RecordingBackend() }, devices: ['virtio-net-device,netdev=nic0', 'ethoc,mac=02:00:00:00:00:01'] });
    const nics = describeNics(m.root);
    // Tree order: the virtio slot (a board row) before ethoc (placed after the rows).
    expect(nics.map((n) => [n.model, n.netdev, n.mac])).toEqual([['virtio-net-device', 'nic0', '52:54:00:12:34:56'], ['ethoc', null, '02:00:00:00:00:01']]);
    expect(nics[0]!.path).toBe('/machine/sysbus/virtio-mmio.7/device');
    expect(nics[0]!.stats).toMatchObject({ txFrames: 0, rxFrames: 0 });
  });
});
