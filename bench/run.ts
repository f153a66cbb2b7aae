/**
 * `npm run bench [-- FILTER...]`: runs every bench/*.bench.ts module in name
 * order (or only those whose file name contains one of the filters). Each
 * module exports `run(): Promise<void>` and prints its own table.
 */
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const filters = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const modules = readdirSync(here)
  .filter((f) => f.endsWith('.bench.ts'))
  .sort()
  .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)));

if (modules.length === 0) {
  process.stderr.write(`bench: no bench/*.bench.ts matches ${filters.join(', ')}\n`);
  process.exit(2);
}
for (const file of modules) {
  process.stdout.write(`\n=== ${file} ===\n`);
  const mod = (await import(pathToFileURL(join(here, file)).href)) as { run?: () => Promise<void> };
  if (typeof mod.run !== 'function') {
    process.stderr.write(`bench: ${file} does not export run()\n`);
    process.exitCode = 1;
    continue;
  }
  await mod.run();
}
