/**
 * Re-run one differential case by hand and print both transcripts' diff:
 *
 *   npx tsx test/emulator/harness/compare.ts baremetal t-dtlb.c
 *   npx tsx test/emulator/harness/compare.ts user ./prog arg1 arg2
 *
 * `baremetal` builds test/emulator/baremetal/src/<file> with or1k-elf-gcc and
 * runs it under qemu-system-or1k -singlestep and the test machine; `user`
 * runs a static or1k ELF under qemu-or1k and the user-mode runner (empty
 * environment, no stdin, files are not provided). Exit status 0 = identical.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runLinuxUser } from '../usermode/linux-user.ts';
import { compileBareMetal, makeBuildDir } from './compile.ts';
import { runQemuSystem, runQemuUser } from './qemu.ts';
import { runBareMetal } from './test-machine.ts';

function firstDifference(a: string, b: string): string {
  const la = a.split('\n'), lb = b.split('\n');
  for (let i = 0; i < Math.max(la.length, lb.length); i++) {
    if (la[i] !== lb[i]) return `line ${i + 1}:\n  qemu:     ${JSON.stringify(la[i])}\n  emulator: ${JSON.stringify(lb[i])}`;
  }
  return 'identical';
}

async function main(): Promise<number> {
  const [mode, target, ...args] = process.argv.slice(2);
  if (mode === 'baremetal' && target) {
    const src = join(import.meta.dirname, '..', 'baremetal', 'src');
    const elf = await compileBareMetal({ srcDir: src, source: target, outDir: makeBuildDir('compare') });
    const q = await runQemuSystem(elf);
    const e = runBareMetal(readFileSync(elf));
    const qs = q.stdout.toString('latin1');
    process.stdout.write(`elf: ${elf}\nqemu exit ${q.status}, emulator end ${e.end} after ${e.instret} instructions\n${firstDifference(qs, e.output)}\n`);
    return qs === e.output ? 0 : 1;
  }
  if (mode === 'user' && target) {
    const q = await runQemuUser(target, args);
    const e = runLinuxUser(readFileSync(target), { argv: [target, ...args] });
    const qs = q.stdout.toString('latin1'), es = Buffer.from(e.stdout).toString('latin1');
    process.stdout.write(`qemu status ${q.status}, emulator status ${e.status} after ${e.instret} instructions${e.error ? ` (${e.error})` : ''}\n` +
      `unknown syscalls: ${e.unknownSyscalls.join(' ') || 'none'}\n${firstDifference(qs, es)}\n`);
    return qs === es && q.status === e.status ? 0 : 1;
  }
  process.stderr.write('usage: compare.ts baremetal <t-file.c> | user <elf> [args...]\n');
  return 2;
}

process.exitCode = await main();
