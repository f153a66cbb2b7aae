/**
 * The guest's compiler wrapper and busybox binary (src/guest, `mkrootfs guest
 * --print`), built on first use. MKROOTFS_TEST_GUEST_CC / MKROOTFS_TEST_GUEST_BUSYBOX
 * point the tests at another build (e.g. while the cache is being rebuilt).
 */
import { guestVar } from '../../../src/guest/vars.ts';

/** The guest's or1k-linux-musl-gcc wrapper. */
export async function guestCc(): Promise<string> {
  return process.env.MKROOTFS_TEST_GUEST_CC ?? (await guestVar('cc', { build: false }));
}

/** The guest's static busybox binary. */
export async function guestBusybox(): Promise<string> {
  return process.env.MKROOTFS_TEST_GUEST_BUSYBOX ?? (await guestVar('busybox', { build: false }));
}
