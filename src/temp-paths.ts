/**
 * The scratch files and directories a build has on disk right now. The
 * pipeline and the ext2 writer add each one before creating it and delete it
 * once it is gone or renamed into place; the CLI removes whatever is left when
 * a signal ends the build (src/cli/signal-cleanup.ts). A Set<string> is one.
 */
export interface TempPaths {
  add(path: string): unknown;
  delete(path: string): unknown;
}
