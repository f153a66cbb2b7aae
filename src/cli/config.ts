/**
 * Tool defaults from `.mkrootfsrc.yml` (or .mkrootfsrc, .mkrootfsrc.json,
 * mkrootfs.config.js ...) or `package.json#mkrootfs`, found by cosmiconfig
 * searching from the current directory up to the project root (nearest
 * package.json). Relative paths in it are relative
 * to the config file's directory.
 *
 *   outputDir: out          # where images go when a recipe names no output (default "out")
 *   cacheDir: ~/.cache/mkrootfs   # guest build cache (passed to the guest builder)
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { Loader } from 'cosmiconfig';
import type { z } from 'zod';
import { usageError } from '../errors.ts';

/**
 * The schema of the settings. zod loads only when a config file is found:
 * `mkrootfs boot IMAGE` without one (the common case) does not pay for it.
 */
async function toolConfigSchema() {
  const { z } = await import('zod');
  return z.strictObject({
    outputDir: z.string().min(1).optional().describe('Directory for images when neither -o nor the recipe names an output (default "out").'),
    cacheDir: z.string().min(1).optional().describe('Cache directory for guest builds (default ~/.cache/mkrootfs).'),
  });
}
export type ToolConfig = z.infer<Awaited<ReturnType<typeof toolConfigSchema>>>;

export interface LoadedToolConfig extends ToolConfig {
  /** The file the settings came from, if any. */
  filepath?: string;
}

/**
 * JSON files, package.json included (read on every search in a project):
 * JSON.parse, the same values as cosmiconfig's own loader. That one
 * (parse-json, with a code-frame printer) loads only to word a syntax error.
 */
const loadJson = (fallback: Loader): Loader => (filepath, content) => {
  try {
    return JSON.parse(content) as unknown;
  } catch {
    return fallback(filepath, content);
  }
};

/** cosmiconfig's search places for the name `mkrootfs` (its getDefaultSearchPlaces, v9). */
const SEARCH_PLACES = ['package.json', ...['', '.json', '.yaml', '.yml', '.js', '.ts', '.cjs', '.mjs'].flatMap((ext) => [`.mkrootfsrc${ext}`, `.config/mkrootfsrc${ext}`]),
  ...['js', 'ts', 'cjs', 'mjs'].map((ext) => `mkrootfs.config.${ext}`)];
/** Where cosmiconfig looks for its own (meta) configuration, in the process's working directory. */
const META_PLACES = ['package.yaml', '.config/config.json', '.config/config.yaml', '.config/config.yml', '.config/config.js', '.config/config.ts', '.config/config.cjs', '.config/config.mjs'];

/** Whether package.json at `path` (if any) has one of `keys`; an unreadable one counts (cosmiconfig words the error). */
function packageHas(path: string, keys: string[]): boolean {
  if (!existsSync(path)) return false;
  try {
    const pkg = JSON.parse(readFileSync(path, 'utf8')) as unknown;
    return typeof pkg === 'object' && pkg !== null && keys.some((k) => (pkg as Record<string, unknown>)[k] !== undefined);
  } catch {
    return true;
  }
}

/**
 * False when cosmiconfig's 'project' search from `cwd` cannot find anything:
 * no search place exists in cwd or its parents up to the nearest package.json
 * (or package.yaml), package.json has no `mkrootfs` key, and there is no
 * cosmiconfig meta configuration in the process's directory. A few stat
 * calls: loading cosmiconfig (with its YAML and JS loaders) costs ~25 ms of
 * `mkrootfs boot`'s start-up, for the common case of no config file.
 */
function configMayExist(cwd: string): boolean {
  const here = process.cwd();
  if (META_PLACES.some((p) => existsSync(join(here, p))) || packageHas(join(here, 'package.json'), ['cosmiconfig'])) return true;
  for (let dir = resolve(cwd); ; dir = dirname(dir)) {
    if (SEARCH_PLACES.some((p) => p !== 'package.json' && existsSync(join(dir, p)))) return true;
    if (packageHas(join(dir, 'package.json'), ['mkrootfs'])) return true;
    if (existsSync(join(dir, 'package.json')) || existsSync(join(dir, 'package.yaml')) || dirname(dir) === dir) return false;
  }
}

/** `home` expands a leading ~/ in paths. */
export async function loadToolConfig(cwd: string, home?: string): Promise<LoadedToolConfig> {
  // 'project': look in cwd and its parents up to the nearest package.json directory.
  if (!configMayExist(cwd)) return {};
  const { cosmiconfig, defaultLoaders } = await import('cosmiconfig');
  const explorer = cosmiconfig('mkrootfs', { searchStrategy: 'project', cache: false, loaders: { '.json': loadJson(defaultLoaders['.json']) } });
  const found = await explorer.search(cwd);
  if (!found || found.isEmpty) return {};
  const parsed = (await toolConfigSchema()).safeParse(found.config);
  if (!parsed.success) {
    const first = parsed.error.issues[0]!;
    throw usageError('CONFIG_INVALID', `${found.filepath}: ${first.path.join('.') || '(top level)'}: ${first.message}`,
      'valid keys are outputDir and cacheDir', { file: found.filepath });
  }
  const base = dirname(found.filepath);
  const expand = (p: string | undefined): string | undefined =>
    p === undefined ? undefined : p.startsWith('~/') && home ? resolve(home, p.slice(2)) : resolve(base, p);
  return { outputDir: expand(parsed.data.outputDir), cacheDir: expand(parsed.data.cacheDir), filepath: found.filepath };
}
