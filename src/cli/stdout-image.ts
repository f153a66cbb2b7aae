/**
 * `-o -`: the image goes to stdout as a byte stream (as genext2fs writes it),
 * never to a terminal.
 */
import { usageError } from '../errors.ts';
import type { ImageFileHandle } from '../ext2/image-fs.ts';
import { sequentialHandle, writableSink } from '../ext2/sequential-output.ts';
import type { CliIo } from './io.ts';

export function stdoutImage(io: CliIo): ImageFileHandle {
  if (io.stdout.isTTY) {
    throw usageError('OUTPUT_IS_TERMINAL', '-o - writes the binary image to stdout, which is a terminal',
      'redirect or pipe stdout: mkrootfs build ... -o - > rootfs.img (or | gzip > rootfs.img.gz)');
  }
  return sequentialHandle(writableSink(io.stdout));
}
