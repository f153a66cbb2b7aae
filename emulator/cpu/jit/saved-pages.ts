/**
 * Saved translations as bytes (CodeCache.savedPages / seed): what a host
 * keeps between runs of the same machine, so a boot of the same kernel
 * starts with the code the last one translated.
 *
 * Layout, little-endian u32s: the magic, the layout key's length and UTF-8
 * bytes (a CPU with another layout gets nothing back), the page count, then
 * for each page its number, its starts (count, then byte offsets), its
 * module (length, bytes, zero-padded to 4) and its 2,048 words. The words
 * are copied as this host stores them (every host we run on is
 * little-endian; a foreign file would only fail the words check). The
 * translator's own version is not in here: the host keys its files by the
 * emulator build (the CLI by its bundle's hash).
 */
import type { SavedPage } from './code-cache.ts';

const MAGIC = 0x31706b6d; // "mkp1"
const WORDS = 2048;

/** The bytes of `pages`, for a CPU whose layout key is `key`. */
export function encodeSavedPages(key: string, pages: readonly SavedPage[]): Uint8Array {
  const keyBytes = new TextEncoder().encode(key);
  let size = 12 + pad(keyBytes.length);
  for (const p of pages) size += 12 + 4 * p.starts.length + pad(p.wasm.length) + 4 * WORDS;
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  let o = 0;
  const u32 = (v: number): void => {
    view.setUint32(o, v, true);
    o += 4;
  };
  const bytes = (b: Uint8Array): void => {
    out.set(b, o);
    o += pad(b.length);
  };
  u32(MAGIC);
  u32(keyBytes.length);
  bytes(keyBytes);
  u32(pages.length);
  for (const p of pages) {
    u32(p.ppn);
    u32(p.starts.length);
    for (const s of p.starts) u32(s);
    u32(p.wasm.length);
    bytes(p.wasm);
    bytes(new Uint8Array(p.words.buffer, p.words.byteOffset, 4 * WORDS));
  }
  return out;
}

/** The pages in `bytes`, or undefined if they are not for layout key `key` or do not parse. */
export function decodeSavedPages(key: string, bytes: Uint8Array): SavedPage[] | undefined {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let o = 0;
  const u32 = (): number => {
    if (o + 4 > bytes.length) throw new RangeError('truncated');
    const v = view.getUint32(o, true);
    o += 4;
    return v;
  };
  const take = (n: number): Uint8Array => {
    if (o + n > bytes.length) throw new RangeError('truncated');
    const b = bytes.slice(o, o + n);
    o += pad(n);
    return b;
  };
  try {
    if (u32() !== MAGIC) return undefined;
    if (new TextDecoder().decode(take(u32())) !== key) return undefined;
    const pages: SavedPage[] = [];
    for (let n = u32(); n > 0; n--) {
      const ppn = u32();
      const starts: number[] = [];
      for (let k = u32(); k > 0; k--) {
        const s = u32();
        if (s >= 4 * WORDS || (s & 3) !== 0) return undefined;
        starts.push(s);
      }
      const wasm = take(u32());
      const words = new Int32Array(take(4 * WORDS).buffer);
      pages.push({ ppn, starts, wasm, words });
    }
    return o === bytes.length ? pages : undefined;
  } catch {
    return undefined;
  }
}

const pad = (n: number): number => (n + 3) & ~3;
