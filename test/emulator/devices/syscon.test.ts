import { describe, expect, it } from 'vitest';
import { Syscon, type FinishEvent } from '../../../emulator/devices/syscon.ts';

describe('syscon (sifive_test finisher)', () => {
  function setup() {
    const events: FinishEvent[] = [];
    const dev = new Syscon((e) => events.push(e));
    return { events, dev };
  }

  it('reads 0 (regmap_update_bits read-modify-write)', () => {
    expect(setup().dev.read(0, 4)).toBe(0);
  });

  it('0x5555 powers off, 0x7777 reboots (big-endian 32-bit store as Linux does)', () => {
    const { events, dev } = setup();
    dev.write(0, 4, 0x00005555);
    dev.write(0, 4, 0x00007777);
    expect(events).toEqual([
      { kind: 'poweroff', code: 0, exitStatus: 0 },
      { kind: 'reboot', code: 0, exitStatus: 0 },
    ]);
  });

  it('0x3333 | code << 16 fails with the code (QEMU exit status (code << 1) | 1)', () => {
    const { events, dev } = setup();
    dev.write(0, 4, 0x3333 | (5 << 16));
    expect(events).toEqual([{ kind: 'fail', code: 5, exitStatus: 11 }]);
  });

  it('ignores other values and offsets', () => {
    const { events, dev } = setup();
    dev.write(0, 4, 0x1234);
    dev.write(4, 4, 0x5555);
    dev.write(0, 1, 0x55);
    expect(events).toEqual([]);
  });
});
