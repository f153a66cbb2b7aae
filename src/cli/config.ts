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
import { dirname, resolve } from 'node:path';
import { cosmiconfig, defaultLoaders, type Loader } from 'cosmiconfig';
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
const loadJson: Loader = (filepath, content) => {
  try {
    return JSON.parse(content) as unknown;
  } catch {
    return defaultLoaders['.json'](filepath, content);
  }
};

/** `home` expands a leading ~/ in paths. */
export async function loadToolConfig(cwd: string, home?: string): Promise<LoadedToolConfig> {
  // 'project': look in cwd and its parents up to the nearest package.json directory.
  const explorer = cosmiconfig('mkrootfs', { searchStrategy: 'project', cache: false, loaders: { '.json': loadJson } });
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
