// Whether dist/ (made by `npm run build`) is current with the TypeScript
// sources of a checkout, cheaply enough for every start of the CLI.
//
// The build writes two files into dist/: BUILT, whose modification time is
// when the build started (taken from a file written then, so that it comes
// from the file system's clock, not Date.now()), and SOURCES, the list of
// .ts files under src/ and emulator/. dist/ is current when every listed file
// still exists and none is as new as BUILT:
// - a file edited in place, or saved by writing a new file and renaming it
//   over the old one (other editors), is newer itself, as is one saved while
//   the build ran (newer than the build's start);
// - a removed or renamed file is missing;
// - a new file changes nothing until an existing source imports it, and
//   that import is an edit.
// So it catches all the walk of both trees the launcher did before caught
// (every .ts file's time; it missed removed files), without listing ~25
// directories on each start: ~200 stats of known paths take ~2 ms, the walk
// took ~6-7 ms. Directory times are not used: an editor's swap file (vim's
// .swp) changes them without changing any source. With no SOURCES (a dist/
// from an older build) it walks the trees.
'use strict';
const { readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');

const TREES = ['src', 'emulator'];

function mtime(path) {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return undefined;
  }
}

/** The .ts files under `dir` (relative to root, with '/'). */
function sources(root, dir) {
  const out = [];
  for (const entry of readdirSync(join(root, dir), { withFileTypes: true })) {
    const rel = `${dir}/${entry.name}`;
    if (entry.isDirectory()) out.push(...sources(root, rel));
    else if (entry.name.endsWith('.ts')) out.push(rel);
  }
  return out;
}

/** The file system's time now (ms), from a file written in `dir` and removed: call it when the build starts. */
function buildStartTime(dir) {
  const marker = join(dir, `.build-start-${process.pid}`);
  writeFileSync(marker, '');
  try {
    return statSync(marker).mtimeMs;
  } finally {
    rmSync(marker, { force: true });
  }
}

/** The build's stamp in `dist` for the checkout at `root`; `startedMs`: buildStartTime() when the build started. */
function writeBuildStamp(root, dist, startedMs, note) {
  writeFileSync(join(dist, 'SOURCES'), `${TREES.flatMap((t) => sources(root, t)).join('\n')}\n`);
  writeFileSync(join(dist, 'BUILT'), note);
  // 1 ms early: the round trip through seconds must not move it after a file saved in the same clock tick.
  const t = (startedMs - 1) / 1000;
  utimesSync(join(dist, 'BUILT'), t, t);
}

/** 'dist' (compiled; always so in an installed package, which has no src/), or 'sources' (a checkout whose sources changed since the build). */
function pickBuild(root) {
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

module.exports = { buildStartTime, writeBuildStamp, pickBuild };
