/**
 * Translation caches: what one boot translated (Cpu.saveTranslations) seeds
 * the next boot of the same kernel, whose pages then run translated code
 * from their first visit if they hold the same words (a changed page only
 * misses, so transcripts never depend on it). The CLI keeps them on disk,
 * beside its code cache (src/cli/code-cache.ts); the library's bootImage
 * keeps them here, in memory, for the boots after the first in a process
 * (a test suite booting the same kernel many times, say).
 */
import type { Cpu } from '../../emulator/cpu/cpu.ts';

export interface TranslationCache {
  /** Seeds `cpu`; true if a saved set was found and fits its layout. */
  seed(cpu: Cpu): boolean;
  /** Keeps `cpu`'s translations if it made any new ones. */
  save(cpu: Cpu): void;
}

/** Where a translation cache keeps its bytes: a key's last value. */
export interface TranslationStore {
  load(key: string): Uint8Array | undefined;
  save(key: string, bytes: Uint8Array): void;
}

/** The translation cache that keeps `key`'s translations in `store`. */
export function storedTranslationCache(store: TranslationStore, key: string): TranslationCache {
  return {
    seed(cpu) {
      const bytes = store.load(key);
      return bytes !== undefined && cpu.seedTranslations(bytes);
    },
    save(cpu) {
      if (cpu.codeStats.translations === 0) return;
      const bytes = cpu.saveTranslations();
      if (bytes !== undefined) store.save(key, bytes);
    },
  };
}

/** Kernels whose translations are kept in memory (the least recently saved goes first); ~170 KB each for our guest. */
const KEPT_KERNELS = 4;
const kept = new Map<string, Uint8Array>();
const memory: TranslationStore = {
  load: (key) => kept.get(key),
  save(key, bytes) {
    kept.delete(key);
    kept.set(key, bytes);
    for (const old of kept.keys()) {
      if (kept.size <= KEPT_KERNELS) break;
      kept.delete(old);
    }
  },
};

/** The in-memory translation cache for `key` (the board and kernel), shared by every boot of this process. */
export function memoryTranslationCache(key: string): TranslationCache {
  return storedTranslationCache(memory, key);
}
