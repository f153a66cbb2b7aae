/**
 * The reader's failure modes, as data. Every problem found in an image is one
 * of these (exit code 2: bad input), never a RangeError from a typed array:
 *
 * - IMAGE_CORRUPT / IMAGE_TRUNCATED — "corrupt image: WHAT at WHERE";
 * - IMAGE_UNSUPPORTED_FEATURE — a valid image using something we do not read;
 * - IMAGE_NOT_EXT2, IMAGE_NOT_REGULAR, IMAGE_NOT_FOUND, IMAGE_UNREADABLE — the
 *   path is not an image we can open.
 */
import { ExitCode, MkrootfsError } from '../../errors.ts';

const FSCK_HINT = 'the image is damaged; `e2fsck -fn IMAGE` lists what is wrong (it does not modify the image)';

/** Something in the image contradicts the format or itself. `where` names the structure ("inode 12", "block 345 of inode 12"). */
export function corrupt(what: string, where: string, data: Record<string, unknown> = {}): MkrootfsError {
  return new MkrootfsError({
    code: 'IMAGE_CORRUPT', message: `corrupt image: ${what} at ${where}`, hint: FSCK_HINT,
    data: { what, where, ...data }, exitCode: ExitCode.usage,
  });
}

/** A read reached past the end of the image file (`offset`: the first byte it needed there, if known). */
export function truncated(where: string, offset: number | null, imageBytes: number, data: Record<string, unknown> = {}): MkrootfsError {
  const what = offset === null ? `the image ends at byte ${imageBytes}, before all of its blocks` : `the image ends at byte ${imageBytes}, before byte ${offset}`;
  return new MkrootfsError({
    code: 'IMAGE_TRUNCATED', message: `corrupt image: ${what} at ${where}`,
    hint: 'the image file is truncated (an interrupted copy or download?); get the whole image again',
    data: { what, where, offset, imageBytes, ...data }, exitCode: ExitCode.usage,
  });
}

/** A feature the reader does not implement (named as e2fsprogs names it). */
export function unsupported(feature: string, detail: string, data: Record<string, unknown> = {}): MkrootfsError {
  return new MkrootfsError({
    code: 'IMAGE_UNSUPPORTED_FEATURE', message: `unsupported feature ${feature}: ${detail}`,
    hint: "mkrootfs inspect reads ext2, ext3 and ext4 without this feature; `debugfs -R 'ls -l /' IMAGE` can read it",
    data: { feature, ...data }, exitCode: ExitCode.usage,
  });
}

export function notExt2(path: string, why: string): MkrootfsError {
  return new MkrootfsError({
    code: 'IMAGE_NOT_EXT2', message: `${path} is not an ext2 image (${why})`,
    hint: 'pass an ext2, ext3 or ext4 image, such as one written by mkrootfs build', data: { path, why }, exitCode: ExitCode.usage,
  });
}
