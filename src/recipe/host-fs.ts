/**
 * The host file system as recipe code sees it: injected, so the recipe → tree
 * step runs on memfs in tests. node:fs/promises satisfies it.
 */
export interface HostStats {
  isFile(): boolean;
  isDirectory(): boolean;
  size: number | bigint;
}

export interface HostFs {
  readFile(path: string): Promise<Uint8Array | string>;
  stat(path: string): Promise<HostStats>;
}

/** Reads a file as bytes whatever the fs returns. */
export async function readBytes(fs: HostFs, path: string): Promise<Uint8Array> {
  const data = await fs.readFile(path);
  return typeof data === 'string' ? new TextEncoder().encode(data) : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

export async function readText(fs: HostFs, path: string): Promise<string> {
  return new TextDecoder().decode(await readBytes(fs, path));
}

/** The stats of a path, or undefined when it does not exist. */
export async function statOrUndefined(fs: HostFs, path: string): Promise<HostStats | undefined> {
  try {
    return await fs.stat(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException)?.code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw err;
  }
}
