/**
 * A ModuleStore (cpu/jit/module-cache.ts) in a directory: the emitted bytes
 * of the interpreter and chain modules, kept between processes, so a start
 * compiles them without emitting them again.
 *
 * One file per module: `wasm-<version>-<sha256 of the layout key>.bin`,
 * holding a magic line, the SHA-256 of the key and bytes, then the bytes.
 * `version` must change whenever the emitting code may have (the CLI gives
 * its bundle's hash): the key names only the layout. A missing, torn or
 * altered file is a miss, and so is one another user owns or may write
 * (as for the launcher's code cache); writes go to a temporary file
 * (0600) renamed over, and any failure to read or write only costs the
 * emit.
 */
import { createHash } from 'node:crypto';
import { closeSync, fstatSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ModuleStore } from '../cpu/jit/module-cache.ts';

const MAGIC = Buffer.from('mkrootfs-wasm-module-1\n', 'latin1');
const HASH = 32;

const digest = (key: string, bytes: Uint8Array): Buffer => createHash('sha256').update(key).update('\0').update(bytes).digest();

/** The store's file for `key` (exported for tests). */
export function moduleStorePath(dir: string, version: string, key: string): string {
  return join(dir, `wasm-${version}-${createHash('sha256').update(key).digest('hex').slice(0, 16)}.bin`);
}

export function fileModuleStore(dir: string, version: string): ModuleStore {
  return {
    load(key) {
      let file: Buffer;
      let fd: number | undefined;
      try {
        fd = openSync(moduleStorePath(dir, version, key), 'r');
        // Only a file of this user's that no one else may write: modules and
        // translated pages decide what the guest computes.
        const st = fstatSync(fd);
        if ((typeof process.getuid === 'function' && st.uid !== process.getuid()) || (st.mode & 0o022) !== 0) return undefined;
        file = readFileSync(fd);
      } catch {
        return undefined;
      } finally {
        if (fd !== undefined) closeSync(fd);
      }
      const head = MAGIC.length + HASH;
      if (file.length <= head || !file.subarray(0, MAGIC.length).equals(MAGIC)) return undefined;
      const bytes = file.subarray(head);
      return digest(key, bytes).equals(file.subarray(MAGIC.length, head)) ? new Uint8Array(bytes) : undefined;
    },
    save(key, bytes) {
      const path = moduleStorePath(dir, version, key);
      const tmp = `${path}.${process.pid}.tmp`;
      try {
        mkdirSync(dir, { recursive: true, mode: 0o700 });
        writeFileSync(tmp, Buffer.concat([MAGIC, digest(key, bytes), bytes]), { mode: 0o600 });
        renameSync(tmp, path);
      } catch {
        try {
          rmSync(tmp, { force: true });
        } catch {
          // Nothing was created.
        }
      }
    },
  };
}
