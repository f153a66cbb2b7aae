// Loads the bundled CLI (dist/cli/mkrootfs.cjs, made by scripts/build.mjs)
// through V8's code cache, so a start of the CLI does not parse and compile
// its ~700 KB of JavaScript again.
//
// Why: compiling the bundle, and then each function the first time it runs,
// was ~45 ms of `mkrootfs boot`'s ~190 ms from process start to the first
// guest instruction; with the cache V8 deserialises bytecode instead (the
// start-up bench, `npm run bench -- startup`). Node 20 has no compile cache
// for ES modules (Node 22's module.enableCompileCache), so the CLI is one
// CommonJS-style file run through vm.Script, whose `cachedData` is the cache.
//
// The cache, one file per bundle, Node version, architecture and command
// (`cli-<sha256 of the bundle>-<node version>-<arch>-<command>.bin`), lives in
// `v8/` under the cache root the guest build uses ($MKROOTFS_CACHE_DIR, else
// $XDG_CACHE_HOME/mkrootfs, else ~/.cache/mkrootfs). A command without one
// (or whose cache V8 rejects: other V8 flags, say) writes it when the process
// exits, after it ran: the bytecode of every function the command used is in
// it, not just the top level. Keyed by the bundle's content, a rebuilt or
// upgraded CLI never runs a stale cache; a file that cannot be read or
// written only costs the compile. A cache file is used only if this user
// owns it and no one else may write it. MKROOTFS_NO_CODE_CACHE=1 turns it
// off.
'use strict';
const { createHash } = require('node:crypto');
const { closeSync, fstatSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } = require('node:fs');
const { createRequire } = require('node:module');
const { homedir } = require('node:os');
const { dirname, join, resolve } = require('node:path');
const { Script } = require('node:vm');

/** The CLI's commands, each with its own cache (what one command runs is not what another does). */
const COMMANDS = new Set(['build', 'boot', 'inspect', 'schema', 'guest']);
/** Caches of other bundles (an older or newer CLI; `cli-` and `wasm-` files) older than this are removed when one is written. */
const STALE_MS = 14 * 24 * 3600 * 1000;
/** A cache file: MAGIC, the SHA-256 of the data, V8's cached data. */
const MAGIC = Buffer.from('mkrootfs-v8-cache-1\n', 'latin1');

/** The code-cache directory for `env` (see above); mirrors src/guest/cache.ts resolveCacheDir without --cache-dir. */
function codeCacheDir(env, cwd = process.cwd()) {
  if (env.MKROOTFS_CACHE_DIR) return join(resolve(cwd, env.MKROOTFS_CACHE_DIR), 'v8');
  if (env.XDG_CACHE_HOME) return join(resolve(cwd, env.XDG_CACHE_HOME), 'mkrootfs', 'v8');
  return join(env.HOME || homedir(), '.cache', 'mkrootfs', 'v8');
}

/** Which cache a run with these arguments uses: its command, else `main` (--help, --version, a recipe path). */
function cacheCommand(args) {
  const first = args.find((a) => !a.startsWith('-'));
  return first !== undefined && COMMANDS.has(first) ? first : 'main';
}

/**
 * Runs the bundle `file` (CommonJS, ASCII: the build checks) and returns
 * its exports, with the code cache for `command` when `env` allows one.
 * `onCache` (tests) hears whether a cache was used ('hit'), was missing or
 * rejected and will be written at exit ('miss'), or is off ('off').
 */
function loadBundle(file, { command = 'main', env = process.env, onCache } = {}) {
  const bytes = readFileSync(file);
  const off = env.MKROOTFS_NO_CODE_CACHE === '1';
  const key = off ? '' : createHash('sha256').update(bytes).digest('hex').slice(0, 16);
  const dir = off ? undefined : codeCacheDir(env);
  const path = dir === undefined ? undefined : join(dir, `cli-${key}-${process.version}-${process.arch}-${command}.bin`);
  const cached = path === undefined ? undefined : readCache(path);
  // The wrapper keeps the bundle's line numbers (stack traces name dist/cli/mkrootfs.cjs:LINE).
  const script = new Script(`(function (exports, require, module, __filename, __dirname) {${bytes.toString('latin1')}\n})`, {
    filename: file,
    cachedData: cached,
  });
  const hit = cached !== undefined && script.cachedDataRejected === false;
  onCache?.(off ? 'off' : hit ? 'hit' : 'miss');
  if (path !== undefined && !hit) process.once('exit', () => saveCache(script, dir, path, key));
  // The CLI keeps its emitted WebAssembly modules beside (src/cli/code-cache.ts), keyed the same way.
  if (path !== undefined) globalThis[Symbol.for('mkrootfs.codeCache')] = { dir, version: key };
  const mod = { exports: {} };
  script.runInThisContext()(mod.exports, createRequire(file), mod, file, dirname(file));
  return mod.exports;
}

/**
 * The cache's data if the file holds a whole, unaltered one. V8 checks its
 * version, flags and the source's length, but in release builds not the
 * data itself: damaged data can abort the process (a fatal error in its
 * deserialiser). So each file carries the SHA-256 of its data.
 */
function readCache(path) {
  let file;
  let fd;
  try {
    fd = openSync(path, 'r');
    // Cached bytecode runs as this process: only a file this user owns and
    // nobody else may write (V8 would run whatever another user planted).
    const st = fstatSync(fd);
    if ((typeof process.getuid === 'function' && st.uid !== process.getuid()) || (st.mode & 0o022) !== 0) return undefined;
    file = readFileSync(fd);
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
  const head = MAGIC.length + 32;
  if (file.length <= head || !file.subarray(0, MAGIC.length).equals(MAGIC)) return undefined;
  const data = file.subarray(head);
  return createHash('sha256').update(data).digest().equals(file.subarray(MAGIC.length, head)) ? data : undefined;
}

/** Writes the cache (a temporary file renamed over: concurrent runs never read half of one); failures are ignored. */
function saveCache(script, dir, path, key) {
  const tmp = `${path}.${process.pid}.tmp`;
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const data = script.createCachedData();
    writeFileSync(tmp, Buffer.concat([MAGIC, createHash('sha256').update(data).digest(), data]), { mode: 0o600 });
    renameSync(tmp, path);
  } catch {
    try {
      rmSync(tmp, { force: true });
    } catch {
      // Nothing was created.
    }
    return;
  }
  try {
    const now = Date.now();
    for (const name of readdirSync(dir)) {
      const m = /^(?:cli|wasm)-([0-9a-f]{16})-/.exec(name);
      if (m === null || m[1] === key) continue;
      const p = join(dir, name);
      if (now - statSync(p).mtimeMs > STALE_MS) rmSync(p, { force: true });
    }
  } catch {
    // A cache directory that cannot be listed keeps its old files.
  }
}

module.exports = { codeCacheDir, cacheCommand, loadBundle };
