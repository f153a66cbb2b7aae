/**
 * The guest's compiler wrapper and busybox binary (src/guest, `mkrootfs guest
 * --print`), built on first use. MKROOTFS_TEST_GUEST_CC / MKROOTFS_TEST_GUEST_BUSYBOX
 * point the tests at another build (e.g. while the cache is being rebuilt).
 */
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { guestVar } from '../../../src/guest/vars.ts';

/** The guest's or1k-linux-musl-gcc wrapper. */
export async function guestCc(): Promise<string> {
  return process.env.MKROOTFS_TEST_GUEST_CC ?? (await guestVar('cc', { build: false }));
}

/** The guest's static busybox binary (`busybox` of the guest is its `_install` tree). */
export async function guestBusybox(): Promise<string> {
  const p = process.env.MKROOTFS_TEST_GUEST_BUSYBOX ?? (await guestVar('busybox', { build: false }));
  return statSync(p).isDirectory() ? join(p, 'bin', 'busybox') : p;
}
