/**
 * Open directory handles that keep files deeper than PATH_MAX readable by a
 * short path. The directory walk (import-dir.ts) opens a directory whose path
 * grows too long and names what is under it as `/proc/self/fd/N/...` (Linux):
 * the kernel resolves that from the open directory, so no string ever exceeds
 * PATH_MAX. The ext2 writer reads regular files by those paths later, so the
 * handles under which files were found must stay open until the image is
 * written: the walk hands them to a DirHandles, and its owner closes it then.
 */
import * as nodeFs from 'node:fs';

/** Linux's per-process view of open descriptors; a directory's descriptor there is the directory. */
export const FD_DIR = '/proc/self/fd';

export class DirHandles {
  private fds: number[] = [];

  constructor(private readonly fs: { closeSync(fd: number): void } = nodeFs) {}

  /** Takes ownership of an open directory descriptor (closed by close()). */
  adopt(fd: number): void {
    this.fds.push(fd);
  }

  get size(): number {
    return this.fds.length;
  }

  /** Closes every handle; paths through them stop working. */
  close(): void {
    for (const fd of this.fds) {
      try { this.fs.closeSync(fd); } catch { /* already closed */ }
    }
    this.fds = [];
  }
}
