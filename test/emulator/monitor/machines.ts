/**
 * Real machines for the monitor tests: the virt board built by the device
 * model, running a tiny bare-metal program (no guest kernel needed to look
 * at the qtree, mtree and QOM properties).
 */
import { MemoryBlockBackend } from '../../../emulator/devices/block-backend.ts';
import { createMachine, type Machine } from '../../../emulator/machine.ts';
import { spinElf } from '../../helpers/or1k-elf.ts';

export { spinElf };

/** The default virt machine (128M), no disks. */
export function plainMachine(): Machine {
  return createMachine({ kernel: spinElf() });
}

/** virt with the root disk (hd0 → slot 7) and a second disk `data` on drive d1 (slot 6). */
export function twoDiskMachine(): Machine {
  return createMachine({
    kernel: spinElf(),
    rootDisk: new MemoryBlockBackend(new Uint8Array(1 << 20)),
    drives: { d1: new MemoryBlockBackend(new Uint8Array(64 << 10), { readOnly: true }) },
    devices: ['virtio-blk-device,drive=d1,id=data,serial=SN42'],
  });
}
