import { describe, expect, it } from 'vitest';
import { parseMemory, resolveBootOptions, type BootFlags, DEFAULT_APPEND } from '../../src/boot/options.ts';
import { ExitCode } from '../../src/errors.ts';

const flags = (over: Partial<BootFlags> = {}): BootFlags => ({
  steps: [], fail: [], write: false, devices: [], realtime: false, json: false, printMachine: false, ...over,
});

describe('resolveBootOptions', () => {
  it('uses the defaults: cached kernel, console+root append, 128M, panic watched', () => {
    const o = resolveBootOptions({ flags: flags(), image: 'out/rootfs.img', guestKernel: '/cache/vmlinux' });
    expect(o).toMatchObject({
      image: 'out/rootfs.img', kernel: '/cache/vmlinux', append: DEFAULT_APPEND, memoryBytes: 128 << 20,
      steps: [], fail: [], panic: ['Kernel panic'], timeoutS: 120, write: false,
      origin: { kernel: 'guest cache', append: 'default', memory: 'default', steps: 'default' },
    });
    expect(DEFAULT_APPEND).toBe('console=ttyS0 root=/dev/vda rw');
  });

  it('a bare kernel (no image) gets no root= argument', () => {
    const o = resolveBootOptions({ flags: flags({ kernel: 'k.elf' }) });
    expect(o.append).toBe('console=ttyS0');
    expect(o.origin.kernel).toBe('flag');
  });

  it('machine, cpu and initrd: flag over recipe; or1k-sim defaults to an empty command line and refuses a disk image', () => {
    const d = resolveBootOptions({ flags: flags(), image: 'x.img', guestKernel: 'k' });
    expect(d).toMatchObject({ machine: 'virt', cpu: undefined, initrd: undefined });
    const recipe = { machine: 'or1k-sim', cpu: 'or1200', initrd: '/r/root.cpio' };
    const r = resolveBootOptions({ flags: flags(), recipe, guestKernel: 'k' });
    expect(r).toMatchObject({ machine: 'or1k-sim', cpu: 'or1200', initrd: '/r/root.cpio', append: '', origin: { initrd: 'recipe', append: 'default' } });
    const f = resolveBootOptions({ flags: flags({ machine: 'virt', cpu: 'any', initrd: 'mine.cpio' }), recipe, guestKernel: 'k' });
    expect(f).toMatchObject({ machine: 'virt', cpu: 'any', initrd: 'mine.cpio', append: 'console=ttyS0', origin: { initrd: 'flag' } });
    expect(() => resolveBootOptions({ flags: flags({ machine: 'pc' }), guestKernel: 'k' })).toThrow(expect.objectContaining({ code: 'BOOT_UNKNOWN_MACHINE', exitCode: ExitCode.usage }));
    expect(() => resolveBootOptions({ flags: flags(), recipe: { cpu: 'or1300' }, guestKernel: 'k' })).toThrow(expect.objectContaining({ code: 'BOOT_UNKNOWN_CPU', message: expect.stringContaining('boot.cpu') }));
    expect(() => resolveBootOptions({ flags: flags({ machine: 'or1k-sim' }), image: 'x.img', guestKernel: 'k' })).toThrow(expect.objectContaining({ code: 'BOOT_NO_DISK_ON_MACHINE' }));
  });

  it('flags override the recipe, which overrides the defaults', () => {
    const recipe = { append: 'console=ttyS0 root=/dev/vda ro quiet', memory: '64M', timeout: 30, expect: ['BOOT-OK', { send: 'ls', expect: 'bin', timeout: 5 }], fail: ['Oops'] };
    const a = resolveBootOptions({ flags: flags(), recipe, image: 'x.img', guestKernel: 'k' });
    expect(a).toMatchObject({
      append: 'console=ttyS0 root=/dev/vda ro quiet', memoryBytes: 64 << 20, timeoutS: 30, fail: ['Oops'],
      steps: [{ expect: 'BOOT-OK' }, { send: 'ls', expect: 'bin', timeoutS: 5 }],
      origin: { append: 'recipe', memory: 'recipe', steps: 'recipe', timeout: 'recipe' },
    });
    const b = resolveBootOptions({
      flags: flags({ append: 'x', memory: '256M', timeout: '9', steps: [{ expect: 'login:' }], fail: ['BUG:'] }),
      recipe, image: 'x.img', guestKernel: 'k',
    });
    expect(b).toMatchObject({ append: 'x', memoryBytes: 256 << 20, timeoutS: 9, steps: [{ expect: 'login:' }], fail: ['Oops', 'BUG:'] });
  });

  it('a recipe\'s steps are used instead of its expect list when given', () => {
    const o = resolveBootOptions({ flags: flags(), recipe: { expect: ['ignored'], steps: [{ expect: '# ', send: 'ls' }] }, image: 'x', guestKernel: 'k' });
    expect(o.steps).toEqual([{ expect: '# ', send: 'ls' }]);
  });

  it('no kernel at all is a usage error with a fix', () => {
    expect(() => resolveBootOptions({ flags: flags(), image: 'x.img' })).toThrowError(
      expect.objectContaining({ code: 'BOOT_NO_KERNEL', exitCode: ExitCode.usage, hint: expect.stringContaining('mkrootfs guest') }));
  });

  it('rejects a bad timeout', () => {
    expect(() => resolveBootOptions({ flags: flags({ timeout: '0' }), guestKernel: 'k' })).toThrow(/positive number/);
    expect(() => resolveBootOptions({ flags: flags({ timeout: 'soon' }), guestKernel: 'k' })).toThrow(/--timeout/);
  });
});

describe('parseMemory', () => {
  it('reads sizes the way QEMU -m does', () => {
    expect(parseMemory('128M')).toBe(128 << 20);
    expect(parseMemory('128')).toBe(128 << 20);
    expect(parseMemory('1G')).toBe(1 << 30);
    expect(parseMemory('65536K')).toBe(64 << 20);
    expect(parseMemory('64MiB')).toBe(64 << 20);
  });
  it('rejects sizes the board cannot hold', () => {
    expect(() => parseMemory('4G')).toThrowError(expect.objectContaining({ code: 'BOOT_BAD_MEMORY', exitCode: ExitCode.usage }));
    expect(() => parseMemory('1M')).toThrow(/outside/);
    expect(() => parseMemory('lots')).toThrow(/cannot read/);
  });
});
