/**
 * Compiled WebAssembly modules shared by every CPU in a process. The
 * interpreter (interp.ts) and the chain (chain.ts) are built from a layout
 * (byte addresses in the RAM+arena memory, its size in pages) and nothing
 * else; two CPUs whose layouts are equal can run the same compiled module,
 * each with its own instance (imports: its memory, table, slow paths). So
 * the module is emitted and compiled once per layout, and a CPU built after
 * the primer (prime.ts) on RAM of the same size gets the module the primer
 * already ran, which V8 has tiered up by then.
 *
 * The key is the builder's name and every number of the layout it is
 * given (nested objects and arrays included, by sorted path): the builder
 * reads nothing else, so a different layout can never reuse a wrong module.
 *
 * A host may also keep the emitted bytes between processes (setModuleStore;
 * the CLI's is emulator/host/module-store.ts): emitting the interpreter is
 * ~6 ms of cold JavaScript at each start, reading it back well under one.
 * The store must tell builds of different emitter code apart itself (the
 * CLI keys its files by the bundle's hash); this file only adds the key.
 */
import { wasmApi } from '../../memory/wasm-api.ts';

export interface ModuleCacheStats {
  /** Modules emitted and compiled. */
  builds: number;
  /** Modules found already compiled. */
  hits: number;
  /** Of the builds, modules compiled from the store's bytes (not emitted). */
  stored: number;
}

export const moduleCacheStats: ModuleCacheStats = { builds: 0, hits: 0, stored: 0 };

/** Keeps emitted module bytes across processes (see above). `load` returns undefined for none; neither may throw. */
export interface ModuleStore {
  load(key: string): Uint8Array | undefined;
  save(key: string, bytes: Uint8Array): void;
}

let store: ModuleStore | null = null;

/** Sets (or, with null, removes) the process's module store. */
export function setModuleStore(s: ModuleStore | null): void {
  store = s;
}

/** Compiled modules by key, oldest first; at most MAX_MODULES (a process making machines of many RAM sizes, e.g. tests, keeps the latest). */
const modules = new Map<string, object>();
const MAX_MODULES = 8;

/**
 * The key of `layout` for builder `name`: every number in it, nested
 * objects and arrays included, by sorted path (`mmu.tables.0=...`).
 */
export function moduleKey(name: string, layout: object): string {
  const parts = [name];
  const add = (path: string, v: unknown): void => {
    if (typeof v === 'number') {
      parts.push(`${path}=${v}`);
      return;
    }
    if (v === null || typeof v !== 'object') throw new TypeError(`module-cache: layout property ${path} of ${name} is not a number`);
    for (const k of Object.keys(v).sort()) add(path === '' ? k : `${path}.${k}`, (v as Record<string, unknown>)[k]);
  };
  add('', layout);
  return parts.join(' ');
}

/**
 * The compiled module `build(layout)` makes, compiled at the first call with
 * an equal layout. Throws what the host's compile throws (the caller turns
 * that into "translation off"); a failure is not cached.
 */
export function compiledModule<L extends object>(name: string, layout: L, build: (layout: L) => Uint8Array): object {
  const api = wasmApi;
  if (api === null) throw new Error('the host has no WebAssembly');
  const key = moduleKey(name, layout);
  const cached = modules.get(key);
  if (cached !== undefined) {
    moduleCacheStats.hits++;
    return cached;
  }
  const module = storedModule(key) ?? buildAndStore(key, layout, build);
  if (modules.size >= MAX_MODULES) modules.delete(modules.keys().next().value!);
  modules.set(key, module);
  moduleCacheStats.builds++;
  return module;
}

/** Forgets the compiled modules, as a new process would start (tests). */
export function forgetCompiledModules(): void {
  modules.clear();
}

/** The module from the store's bytes, if it has them and they compile (else they are rebuilt and saved again). */
function storedModule(key: string): object | undefined {
  const bytes = store?.load(key);
  if (bytes === undefined) return undefined;
  try {
    const module = new wasmApi!.Module(bytes);
    moduleCacheStats.stored++;
    return module;
  } catch {
    return undefined;
  }
}

function buildAndStore<L extends object>(key: string, layout: L, build: (layout: L) => Uint8Array): object {
  const bytes = build(layout);
  const module = new wasmApi!.Module(bytes);
  store?.save(key, bytes);
  return module;
}
