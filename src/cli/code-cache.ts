/**
 * The launcher's code cache (bin/cli-bundle.js) as the CLI sees it: when
 * the compiled bundle runs with one, the launcher leaves its directory and
 * the bundle's hash under a global symbol, and `boot` keeps the emulator's
 * emitted WebAssembly modules there too (emulator/host/module-store.ts),
 * keyed by that hash, so a rebuilt CLI never compiles an old emitter's
 * bytes. From the sources (tsx), in tests and with MKROOTFS_NO_CODE_CACHE=1
 * there is none, and modules are emitted at each start as before.
 */
import { setModuleStore } from '../../emulator/cpu/jit/module-cache.ts';
import { fileModuleStore } from '../../emulator/host/module-store.ts';
import { storedTranslationCache, type TranslationCache } from '../boot/translations.ts';

const KEY = Symbol.for('mkrootfs.codeCache');

/** The launcher's cache directory and bundle hash, if the running CLI has them. */
export function launcherCodeCache(): { dir: string; version: string } | undefined {
  const v = (globalThis as Record<symbol, unknown>)[KEY] as { dir?: unknown; version?: unknown } | undefined;
  if (v === undefined || typeof v.dir !== 'string' || typeof v.version !== 'string' || !/^[0-9a-f]{16}$/.test(v.version)) return undefined;
  return { dir: v.dir, version: v.version };
}

/** Keeps the emulator's emitted modules in the launcher's code cache, when there is one. */
export function storeModulesInCodeCache(): void {
  const c = launcherCodeCache();
  if (c !== undefined) setModuleStore(fileModuleStore(c.dir, c.version));
}

/**
 * `boot`'s translation cache: the guest code the last boot of this kernel
 * on this board translated (Cpu.saveTranslations), kept in the launcher's
 * code cache under the bundle's hash, so the next boot runs it from each
 * page's first visit (pages are checked word for word first: a changed
 * kernel or program only misses). Off without the launcher's cache and
 * with MKROOTFS_NO_TRANSLATION_CACHE=1 (for cold measurements). The
 * library's bootImage keeps its own in memory (src/boot/translations.ts).
 */
export function translationCache(kernelPath: string, board: string, env: Record<string, string | undefined>): TranslationCache | undefined {
  const c = launcherCodeCache();
  if (c === undefined || env.MKROOTFS_NO_TRANSLATION_CACHE === '1') return undefined;
  return storedTranslationCache(fileModuleStore(c.dir, c.version), `pages ${board} ${kernelPath}`);
}
