/**
 * `${guest.KEY}` in recipes: the path of one part of the guest build.
 * Builds the guest first when it is missing (unless `build: false`).
 */
import { MkrootfsError, usageError } from '../errors.ts';
import { buildGuest, type GuestResult } from './index.ts';

/** The keys a recipe can use as `${guest.KEY}`. */
export const GUEST_VAR_KEYS = ['kernel', 'kernelOr1ksim', 'busybox', 'cc', 'sysroot', 'dir', 'logs', 'key'] as const;
export type GuestVarKey = (typeof GUEST_VAR_KEYS)[number];

export interface GuestVarOptions {
  cacheDir?: string;
  env?: Record<string, string | undefined>;
  /** false: throw GUEST_NOT_BUILT (hint "run: mkrootfs guest") instead of building. */
  build?: boolean;
}

export async function guestVar(key: string, opts: GuestVarOptions = {}): Promise<string> {
  if (!(GUEST_VAR_KEYS as readonly string[]).includes(key)) {
    throw usageError('GUEST_UNKNOWN_VAR', `unknown guest variable "${key}"`, `use one of: ${GUEST_VAR_KEYS.join(', ')}`, { key });
  }
  const guest: GuestResult = await buildGuest({ cacheDir: opts.cacheDir, env: opts.env, build: opts.build });
  const value = guest[key as GuestVarKey];
  if (value === undefined) {
    throw new MkrootfsError({
      code: 'GUEST_NOT_BUILT',
      message: `the or1ksim_defconfig kernel (\${guest.${key}}) is not built yet (cache: ${guest.dir}/..)`,
      hint: 'run: mkrootfs guest',
      data: { key },
    });
  }
  return value;
}
