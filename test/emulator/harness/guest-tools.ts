/**
 * The guest's compiler wrapper and busybox binary (src/guest, `mkrootfs guest
 * --print`), built on first use. MKROOTFS_TEST_GUEST_CC / MKROOTFS_TEST_GUEST_BUSYBOX
 * point the tests at another build (e.g. while the cache is being rebuilt).
 */
import { guestVar } from '../../../src/guest/vars.ts';

export interface GuestTools {
  cc: string;
  busybox: string;
}

let cached: Promise<GuestTools> | undefined;

export function guestTools(): Promise<GuestTools> {
  cached ??= (async () => {
    const env = process.env;
    const cc = env.MKROOTFS_TEST_GUEST_CC ?? (await guestVar('cc', { build: false }));
    const busybox = env.MKROOTFS_TEST_GUEST_BUSYBOX ?? (await guestVar('busybox', { build: false }));
    return { cc, busybox };
  })();
  return cached;
}
