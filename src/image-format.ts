/**
 * What a build writes: an ext2 file system image (the default), or an
 * initramfs — a newc cpio archive, optionally gzip-compressed — that a kernel
 * unpacks into its rootfs (`boot --initrd`). The recipe's `image.format`, the
 * CLI's `--format` and the library all use these names.
 */
import { usageError } from './errors.ts';

export const IMAGE_FORMATS = ['ext2', 'cpio', 'cpio.gz'] as const;
export type ImageFormat = (typeof IMAGE_FORMATS)[number];
export const DEFAULT_IMAGE_FORMAT: ImageFormat = 'ext2';

/** The recipe `image` fields (and build flags) that only an ext2 image has. */
export const EXT2_ONLY_FIELDS = ['size', 'blockSize', 'inodes', 'label', 'reservedPercent'] as const;

/** True for the formats a kernel loads as an initramfs (`boot --initrd`), not as a disk. */
export function isInitramfs(format: ImageFormat): format is 'cpio' | 'cpio.gz' {
  return format === 'cpio' || format === 'cpio.gz';
}

/** The file name a build writes when neither -o nor image.output names one. */
export function defaultImageName(format: ImageFormat): string {
  return format === 'ext2' ? 'rootfs.img' : `rootfs.${format}`;
}

/** `--format` text → a format; anything else is a usage error naming the flag. */
export function parseImageFormat(text: string, flag = '--format'): ImageFormat {
  if ((IMAGE_FORMATS as readonly string[]).includes(text)) return text as ImageFormat;
  throw usageError('BAD_FORMAT', `${flag} ${text} is not one of ${IMAGE_FORMATS.join(', ')}`,
    `e.g. ${flag} cpio (a newc initramfs) or ${flag} ext2 (the default)`, { flag, value: text });
}
