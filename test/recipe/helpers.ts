/**
 * Recipe test helpers: temp project directories, building a recipe into a
 * real image, and reading the image back through debugfs (the oracle).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { buildFromRecipe, type RecipeBuildSummary } from '../../src/pipeline.ts';
import { RecipeError } from '../../src/recipe/recipe-error.ts';
import { debugfsLs, e2fsckClean } from '../helpers/oracles.ts';

/** A fresh temp directory with `files` (relative path → text) written into it. */
export function project(files: Record<string, string> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'mkrootfs-recipe-'));
  for (const [p, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, p)), { recursive: true });
    writeFileSync(join(dir, p), text);
  }
  return dir;
}

export interface Built { dir: string; img: string; summary: Extract<RecipeBuildSummary, { format: 'ext2' }> }

/** Builds `recipe.yml` in `dir` (epoch 1e9 unless env says otherwise) and checks the image with e2fsck -fn. */
export async function buildIn(dir: string, opts: { recipe?: string; sets?: Record<string, string>; env?: Record<string, string>; output?: string } = {}): Promise<Built> {
  const img = join(dir, opts.output ?? 'out.img');
  const summary = await buildFromRecipe({
    recipePath: opts.recipe ?? 'recipe.yml',
    cwd: dir,
    sets: opts.sets,
    env: { SOURCE_DATE_EPOCH: '1000000000', ...opts.env },
    output: img,
  });
  if (summary.format !== 'ext2') throw new Error(`expected an ext2 build, got ${summary.format}`);
  e2fsckClean(img);
  return { dir, img, summary };
}

export async function buildRecipe(text: string, files: Record<string, string> = {}, opts: { sets?: Record<string, string>; env?: Record<string, string> } = {}): Promise<Built> {
  const dir = project({ 'recipe.yml': text, ...files });
  return buildIn(dir, opts);
}

export interface ListedEntry { mode: number; uid: number; gid: number; ino: number; size: number | null }

/** Every path in the image (debugfs ls -p, recursively), without lost+found. */
export function listImage(img: string): Map<string, ListedEntry> {
  const out = new Map<string, ListedEntry>();
  const rec = (dir: string): void => {
    for (const e of debugfsLs(img, dir)) {
      if (e.name === '.' || e.name === '..') continue;
      const path = dir === '/' ? `/${e.name}` : `${dir}/${e.name}`;
      if (path === '/lost+found') continue;
      out.set(path, { mode: e.mode, uid: e.uid, gid: e.gid, ino: e.ino, size: e.size });
      if ((e.mode & 0o170000) === 0o040000) rec(path);
    }
  };
  rec('/');
  return out;
}

/** Runs `fn` expecting a RecipeError; returns its issues. */
export async function recipeIssues(fn: () => Promise<unknown>): Promise<RecipeError> {
  try {
    await fn();
  } catch (err) {
    if (err instanceof RecipeError) return err;
    throw err;
  }
  throw new Error('expected a RecipeError');
}

export interface CliRun { status: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string; ms: number }

/**
 * Runs `node bin/mkrootfs.js ARGS` as a real process on the current sources
 * (MKROOTFS_NO_BUNDLE: never a stale dist/), with a time limit: a hang shows
 * as status null and signal SIGKILL.
 */
export function spawnCli(args: string[], opts: { cwd: string; env?: Record<string, string>; timeoutMs?: number; nodeArgs?: string[] }): CliRun {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [...(opts.nodeArgs ?? []), BIN, ...args], {
    cwd: opts.cwd,
    env: { ...process.env, MKROOTFS_NO_BUNDLE: '1', NO_COLOR: '1', ...opts.env },
    encoding: 'utf8',
    timeout: opts.timeoutMs ?? 60_000,
    killSignal: 'SIGKILL',
    maxBuffer: 64 << 20,
  });
  return { status: r.status, signal: r.signal, stdout: r.stdout ?? '', stderr: r.stderr ?? '', ms: performance.now() - t0 };
}

const BIN = fileURLToPath(new URL('../../bin/mkrootfs.js', import.meta.url));
