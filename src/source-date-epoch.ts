/**
 * SOURCE_DATE_EPOCH (https://reproducible-builds.org/specs/source-date-epoch/):
 * the one parser `build` (recipes and --from-dir), the pipeline and `boot` use.
 * A whole number of seconds from 0 to the latest time an ext2 inode written by
 * this tool can hold (2446-05-10); a larger value would wrap silently in the
 * image, so it is an error instead. Unset or empty means "not given".
 */
import { usageError } from './errors.ts';
import { EXT2_TIME_MAX } from './ext2/time-range.ts';

export const SOURCE_DATE_EPOCH_MAX = EXT2_TIME_MAX;

export function parseSourceDateEpoch(env: Readonly<Record<string, string | undefined>>): number | undefined {
  const raw = env.SOURCE_DATE_EPOCH;
  if (raw === undefined || raw === '') return undefined;
  const shown = raw.length > 40 ? `${raw.slice(0, 37)}...` : raw;
  if (!/^\d+$/.test(raw)) {
    throw usageError('BAD_SOURCE_DATE_EPOCH', `SOURCE_DATE_EPOCH=${shown} is not a whole number of seconds`,
      'set it to an integer such as $(git log -1 --format=%ct), or unset it', { value: shown });
  }
  const value = Number(raw);
  if (value > SOURCE_DATE_EPOCH_MAX) {
    throw usageError('BAD_SOURCE_DATE_EPOCH',
      `SOURCE_DATE_EPOCH=${shown} is out of range: ext2 inode times end at ${SOURCE_DATE_EPOCH_MAX} (${new Date(SOURCE_DATE_EPOCH_MAX * 1000).toISOString()})`,
      `use a value from 0 to ${SOURCE_DATE_EPOCH_MAX}, e.g. $(git log -1 --format=%ct)`, { value: shown, max: SOURCE_DATE_EPOCH_MAX });
  }
  return value;
}
