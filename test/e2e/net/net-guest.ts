/**
 * Shared by the network boot tests: an image (recipes/busybox.yml plus an
 * rcS that gives eth0 the address in `mkrootfs.ip=` of the kernel command
 * line, then a console shell), the cached guest kernel, and a lockstep loop
 * that runs several in-process machines side by side in guest time.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { NS_PER_TICK } from '../../../emulator/cpu/cpu.ts';
import type { Machine } from '../../../emulator/machine.ts';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

/** rcS: mount, then `ifconfig eth0 IP` when the command line says mkrootfs.ip=IP; prints rcS-DONE. */
export const NET_RECIPE = `init:
  shell: respawn
  rcS: |
    #!/bin/sh
    mount -a
    for w in $(cat /proc/cmdline); do
      case "$w" in mkrootfs.ip=*) ip="$\${w#mkrootfs.ip=}" ;; esac
    done
    if [ -n "$ip" ]; then
      ifconfig eth0 "$ip" netmask 255.255.255.0 up
      echo "net: eth0 $ip up"
    fi
    echo "rcS-DONE"
`;

export function guestPaths(): { kernel: string } {
  if (process.env.MKROOTFS_TEST_KERNEL) return { kernel: process.env.MKROOTFS_TEST_KERNEL };
  const r = spawnSync(process.execPath, [join(ROOT, 'bin/mkrootfs.js'), 'guest', '--print', '--no-build'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`the guest is not built (mkrootfs guest --print --no-build exited ${r.status}): ${r.stderr}`);
  return JSON.parse(r.stdout) as { kernel: string };
}

/** Builds the network test image in a fresh directory; returns its path. */
export function buildNetImage(): string {
  const work = mkdtempSync(join(tmpdir(), 'net-e2e-'));
  const recipe = join(work, 'net.yml');
  writeFileSync(recipe, `include: [${JSON.stringify(join(ROOT, 'recipes/busybox.yml'))}]\nimage:\n  output: net.img\n${NET_RECIPE}`);
  const r = spawnSync(process.execPath, [join(ROOT, 'bin/mkrootfs.js'), recipe], { cwd: work, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`building ${recipe} failed (exit ${r.status}):\n${r.stderr}`);
  return join(work, 'net.img');
}

/** A machine with its console captured and a queue of console input. */
export interface Guest {
  machine: Machine;
  output: string;
  input: string;
}

/** Console sink for createMachine that appends to `guest.output`. */
export function consoleOf(guest: { output: string }): { write(byte: number): void } {
  return { write: (byte) => { guest.output += String.fromCharCode(byte); } };
}

/**
 * Runs the guests side by side in guest time, `quantumNs` at a time, until
 * `done()` or `limitNs` of guest time. A dozing guest skips to its next event
 * within the quantum, so the run stays deterministic.
 */
export function runLockstep(guests: Guest[], done: () => boolean, limitNs: number, quantumNs = 1_000_000): number {
  let t = 0;
  const enc = new TextEncoder();
  while (t < limitNs && !done()) {
    t += quantumNs;
    for (const g of guests) {
      const m = g.machine;
      for (let guard = 0; guard < 10_000 && m.nowNs() < t && !m.finish; guard++) {
        if (g.input) g.input = g.input.slice(m.input(enc.encode(g.input)));
        if (m.idle) {
          const next = Math.min(Math.max(m.nextEventNs(), m.nowNs()), t);
          m.skipTo(Math.ceil(next / NS_PER_TICK) * NS_PER_TICK);
          if (m.idle && m.nowNs() >= t) break;
        } else {
          m.run(Math.max(1, Math.ceil((t - m.nowNs()) / NS_PER_TICK)));
        }
      }
    }
  }
  return t;
}

/** The ping round-trip times busybox printed (ms). */
export function pingTimes(text: string): number[] {
  return [...text.matchAll(/bytes from [0-9.]+: seq=\d+ ttl=\d+ time=([0-9.]+) ms/g)].map((m) => Number(m[1]));
}
