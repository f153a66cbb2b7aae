// Whether dist/ (made by `npm run build`) is current with the TypeScript
// sources of a checkout, cheaply enough for every start of the CLI.
//
// The build writes two files into dist/: BUILT, whose modification time is
// when the build started (taken from a file written then, so that it comes
// from the file system's clock, not Date.now()), and SOURCES, the sources:
// every directory under src/ and emulator/ and every .ts file in them. dist/
// is current when none of those is as new as BUILT and all still exist:
// - a file edited in place (most editors) is newer itself;
// - a file added, deleted or renamed (and an editor that saves by writing a
//   new file and renaming it over the old one) makes its directory newer,
//   and a directory added or removed makes its parent newer;
// - a file saved while the build ran is newer than the build's start.
// That is the answer of walking both trees and comparing every .ts file's
// time, as the launcher did before, without listing ~25 directories on each
// start (stats of ~230 known paths take ~2 ms; the walk took ~6-7 ms). With
// no SOURCES (a dist/ from an older build) it walks the trees.
import { readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const TREES = ['src', 'emulator'];

function mtime(path) {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return undefined;
  }
}

/** Directories and .ts files under `dir` (relative to root, with '/'), `dir` first. */
function sources(root, dir) {
  const out = [dir];
  for (const entry of readdirSync(join(root, dir), { withFileTypes: true })) {
    const rel = `${dir}/${entry.name}`;
    if (entry.isDirectory()) out.push(...sources(root, rel));
    else if (entry.name.endsWith('.ts')) out.push(rel);
  }
  return out;
}

/** The file system's time now (ms), from a file written in `dir` and removed: call it when the build starts. */
export function buildStartTime(dir) {
  const marker = join(dir, `.build-start-${process.pid}`);
  writeFileSync(marker, '');
  try {
    return statSync(marker).mtimeMs;
  } finally {
    rmSync(marker, { force: true });
  }
}

/** The build's stamp in `dist` for the checkout at `root`; `startedMs`: buildStartTime() when the build started. */
export function writeBuildStamp(root, dist, startedMs, note) {
  writeFileSync(join(dist, 'SOURCES'), `${TREES.flatMap((t) => sources(root, t)).join('\n')}\n`);
  writeFileSync(join(dist, 'BUILT'), note);
  utimesSync(join(dist, 'BUILT'), startedMs / 1000, startedMs / 1000);
}

/** 'dist' (compiled; always so in an installed package, which has no src/), or 'sources' (a checkout whose sources changed since the build). */
export function pickBuild(root) {
  if (process.env.MKROOTFS_NO_BUNDLE) return 'sources';
  if (mtime(join(root, 'src')) === undefined) return 'dist';
  const built = mtime(join(root, 'dist', 'BUILT'));
  if (built === undefined) return 'sources';
  let list;
  try {
    list = readFileSync(join(root, 'dist', 'SOURCES'), 'utf8').split('\n').filter((p) => p !== '');
  } catch {
    list = TREES.flatMap((t) => sources(root, t));
  }
  // Joined by hand: path.join, still unoptimised this early, costs more than the stat.
  const prefix = root.endsWith('/') ? root : `${root}/`;
  for (const rel of list) {
    const m = mtime(prefix + rel);
    // As new as the build (the same clock tick) counts as newer: it may have been saved just after the build started.
    if (m === undefined || m >= built) return 'sources';
  }
  return 'dist';
}
