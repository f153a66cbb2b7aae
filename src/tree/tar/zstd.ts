/**
 * Streaming zstd decompression through fzstd (pure JavaScript), behind a gate
 * that parses the frame and block structure first. The gate
 *  - refuses what fzstd would mishandle or that would cost unbounded memory:
 *    dictionaries, reserved bits, windows over 128 MiB (zstd's own default
 *    limit, `zstd --long=27`);
 *  - feeds fzstd one block at a time, so one call produces at most 128 KiB;
 *  - bounds CPU: fzstd shifts its whole window once per block, so the work
 *    (window bytes moved) may not exceed what the slowest legitimate stream
 *    needs for the same output (full 128 KiB blocks in a 128 MiB window), plus
 *    a constant. A stream of tiny blocks in a large window — minutes of work
 *    from a few kilobytes — is stopped instead.
 * fzstd does not verify the optional content checksum.
 */
import { Decompress } from 'fzstd';

export const MAX_ZSTD_WINDOW = 128 << 20;
const MAX_BLOCK = 128 << 10;
/** Window bytes moved per output byte by a legitimate stream at worst (128 MiB window, 128 KiB blocks). */
const WORK_PER_BYTE = MAX_ZSTD_WINDOW / MAX_BLOCK;
const WORK_SLACK = 8 * MAX_ZSTD_WINDOW;

/** Thrown for streams this decoder refuses; `message` explains. */
export class ZstdRefused extends Error {}

type State =
  | { s: 'magic' }
  | { s: 'header'; need: number }
  | { s: 'block' }
  | { s: 'content'; left: number; last: boolean }
  | { s: 'checksum'; left: number }
  | { s: 'skip'; left: number }
  | { s: 'skip-size' };

export async function* unzstd(chunks: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  const out: Uint8Array[] = [];
  let produced = 0;
  const dec = new Decompress((c) => { if (c.length > 0) { out.push(c); produced += c.length; } });
  let work = 0;
  let window = 0;
  let checksum = false;
  let state: State = { s: 'magic' };
  // Bytes of a field being gathered across chunks (magic, frame header, block header, sizes).
  let field = new Uint8Array(0);

  const gather = (chunk: Uint8Array, at: number, need: number): { bytes?: Uint8Array; used: number } => {
    const take = Math.min(need - field.length, chunk.length - at);
    const next = new Uint8Array(field.length + take);
    next.set(field);
    next.set(chunk.subarray(at, at + take), field.length);
    field = next;
    if (field.length < need) return { used: take };
    const bytes = field;
    field = new Uint8Array(0);
    return { bytes, used: take };
  };

  const frameHeader = (fhd: Uint8Array): void => {
    const d = fhd[0]!;
    const fcsFlag = d >> 6;
    const single = (d >> 5) & 1;
    if (d & 0x08) throw new ZstdRefused('a frame header has its reserved bit set (corrupt data)');
    checksum = ((d >> 2) & 1) === 1;
    const dictBytes = [0, 1, 2, 4][d & 3]!;
    let p = 1;
    let w = 0;
    if (!single) {
      const wd = fhd[p++]!;
      const base = 2 ** (10 + (wd >> 3));
      w = base + (base / 8) * (wd & 7);
    }
    let dict = 0;
    for (let i = 0; i < dictBytes; i++) dict += fhd[p++]! * 2 ** (8 * i);
    if (dict !== 0) throw new ZstdRefused(`a frame needs dictionary ${dict}; archives compressed with a dictionary are not supported`);
    const fcsBytes = fcsFlag === 0 ? single : 1 << fcsFlag;
    let fcs = 0;
    for (let i = 0; i < fcsBytes; i++) fcs += fhd[p++]! * 2 ** (8 * i);
    if (fcsBytes === 2) fcs += 256;
    if (single) w = fcs;
    if (w > MAX_ZSTD_WINDOW) {
      throw new ZstdRefused(`a frame needs a ${w}-byte window; at most ${MAX_ZSTD_WINDOW} (zstd --long=27) is supported`);
    }
    window = w;
    work += w;
  };

  /** Header length after the 4-byte magic, from the descriptor byte. */
  const headerLength = (d: number): number => {
    const single = (d >> 5) & 1;
    const fcsFlag = d >> 6;
    return 1 + (single ? 0 : 1) + [0, 1, 2, 4][d & 3]! + (fcsFlag === 0 ? single : 1 << fcsFlag);
  };

  let pendingFrom = 0;
  for await (const chunk of chunks) {
    pendingFrom = 0;
    let at = 0;
    const flushTo = (end: number): void => {
      if (end > pendingFrom) dec.push(chunk.subarray(pendingFrom, end));
      pendingFrom = end;
    };
    while (at < chunk.length) {
      switch (state.s) {
        case 'magic': {
          const g = gather(chunk, at, 4);
          at += g.used;
          if (!g.bytes) break;
          const m = (g.bytes[0]! | (g.bytes[1]! << 8) | (g.bytes[2]! << 16) | (g.bytes[3]! << 24)) >>> 0;
          if (m === 0xfd2fb528) state = { s: 'header', need: 0 };
          else if ((m & 0xfffffff0) === 0x184d2a50) state = { s: 'skip-size' };
          else throw new ZstdRefused('data that is not a zstd frame follows (corrupt or not zstd)');
          break;
        }
        case 'header': {
          if (state.need === 0) {
            state = { s: 'header', need: headerLength(chunk[at]!) };
          }
          const g = gather(chunk, at, state.need);
          at += g.used;
          if (!g.bytes) break;
          frameHeader(g.bytes);
          state = { s: 'block' };
          break;
        }
        case 'block': {
          const start = at;
          const g = gather(chunk, at, 3);
          at += g.used;
          if (!g.bytes) break;
          const v = g.bytes[0]! | (g.bytes[1]! << 8) | (g.bytes[2]! << 16);
          const type = (v >> 1) & 3;
          const size = v >>> 3;
          if (type === 3) throw new ZstdRefused('a block has the reserved type (corrupt data)');
          if (size > MAX_BLOCK) throw new ZstdRefused(`a block of ${size} bytes exceeds the 128 KiB maximum (corrupt data)`);
          // Decode everything before this block, then check the work it would add.
          flushTo(Math.max(pendingFrom, start));
          while (out.length > 0) yield out.shift()!;
          work += window;
          if (work > WORK_PER_BYTE * produced + WORK_SLACK) {
            throw new ZstdRefused(`too many small blocks for the output they make (${produced} bytes so far): refused as a decompression bomb`);
          }
          state = { s: 'content', left: type === 1 ? 1 : size, last: (v & 1) === 1 };
          if (state.left === 0) state = state.last ? (checksum ? { s: 'checksum', left: 4 } : { s: 'magic' }) : { s: 'block' };
          break;
        }
        case 'content': {
          const take = Math.min(state.left, chunk.length - at);
          at += take;
          state.left -= take;
          if (state.left === 0) {
            flushTo(at);
            while (out.length > 0) yield out.shift()!;
            state = state.last ? (checksum ? { s: 'checksum', left: 4 } : { s: 'magic' }) : { s: 'block' };
          }
          break;
        }
        case 'checksum':
        case 'skip': {
          const take = Math.min(state.left, chunk.length - at);
          at += take;
          state.left -= take;
          if (state.left === 0) state = { s: 'magic' };
          break;
        }
        case 'skip-size': {
          const g = gather(chunk, at, 4);
          at += g.used;
          if (!g.bytes) break;
          const n = (g.bytes[0]! | (g.bytes[1]! << 8) | (g.bytes[2]! << 16) | (g.bytes[3]! << 24)) >>> 0;
          state = n === 0 ? { s: 'magic' } : { s: 'skip', left: n };
          break;
        }
      }
    }
    flushTo(chunk.length);
    while (out.length > 0) yield out.shift()!;
  }
  if (state.s !== 'magic' || field.length > 0) throw new ZstdRefused('the zstd stream is truncated');
  dec.push(new Uint8Array(0), true);
  while (out.length > 0) yield out.shift()!;
}
