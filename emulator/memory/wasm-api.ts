/**
 * The host's WebAssembly API, typed just as far as the emulator uses it
 * (the project's TypeScript lib is ES2022, which has no WebAssembly types).
 * `null` on a host without WebAssembly: RAM is then a plain ArrayBuffer and
 * the CPU only interprets.
 */
export interface WasmMemory {
  readonly buffer: ArrayBuffer;
}
export interface WasmInstance {
  readonly exports: Record<string, unknown>;
}
export interface WasmTable {
  readonly length: number;
  grow(delta: number): number;
  set(index: number, value: unknown): void;
}
export interface WasmApi {
  Memory: new (descriptor: { initial: number; maximum?: number }) => WasmMemory;
  Table: new (descriptor: { element: 'anyfunc'; initial: number }) => WasmTable;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: Record<string, Record<string, unknown>>) => WasmInstance;
}

const host = (globalThis as { WebAssembly?: unknown }).WebAssembly;
export const wasmApi: WasmApi | null = typeof host === 'object' && host !== null ? (host as WasmApi) : null;
