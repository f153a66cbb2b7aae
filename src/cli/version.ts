/**
 * The package's version, from the package.json nearest above this module:
 * the same answer from the sources (src/cli/) and the compiled CLI
 * (dist/src/cli/), in a checkout and in an installed package.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export function packageVersion(from: string = dirname(fileURLToPath(import.meta.url))): string {
  for (let dir = from; ; dir = dirname(dir)) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'mkrootfs' && typeof pkg.version === 'string') return pkg.version;
    } catch {
      // no package.json here (or not ours): keep going up
    }
    if (dirname(dir) === dir) return 'unknown';
  }
}
