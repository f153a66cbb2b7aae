/** Trees and temp dirs shared by the ext2 tests. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { newTree, setNode, toBinary, type FileNode, type NodeAttrs, type Tree } from '../../src/tree/tree.ts';

export const T0 = 1_700_000_000;
export const attrs = (over: Partial<NodeAttrs> = {}): NodeAttrs => ({ perm: 0o755, uid: 0, gid: 0, mtime: T0, ...over });
export const text = (s: string): Uint8Array => new TextEncoder().encode(s);

/** A temp directory removed after the test file. */
export function tempDir(prefix = 'mkrootfs-ext2-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Deterministic pseudo-random bytes (xorshift), never all zero. */
export function pseudoBytes(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed | 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13; x ^= x >>> 17; x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

/** One of every inode type and attribute the writer supports. */
export function allTypesTree(): Tree {
  const t = newTree(attrs());
  const a = attrs();
  const file = (data: Uint8Array, over: Partial<NodeAttrs> = {}): FileNode => ({ type: 'file', content: { kind: 'bytes', data }, ...attrs({ perm: 0o644, ...over }) });
  setNode(t, '/etc/passwd', file(text('root:x:0:0:root:/root:/bin/sh\n')), a);
  setNode(t, '/etc/empty', file(new Uint8Array(0)), a);
  setNode(t, '/bin/busybox', file(pseudoBytes(150_000, 7), { perm: 0o4755 }), a);
  const shared = file(text('linked\n'), { perm: 0o2755, uid: 1000, gid: 100 });
  setNode(t, '/bin/one', shared, a);
  setNode(t, '/bin/two', shared, a);
  setNode(t, '/usr/bin/three', shared, a);
  setNode(t, '/bin/sh', { type: 'symlink', target: text('busybox'), ...attrs({ perm: 0o777 }) }, a);
  setNode(t, '/bin/slow', { type: 'symlink', target: text('/' + 'long-target/'.repeat(10)), ...attrs({ perm: 0o777 }) }, a);
  setNode(t, '/bin/edge59', { type: 'symlink', target: text('x'.repeat(59)), ...attrs({ perm: 0o777 }) }, a);
  setNode(t, '/bin/edge60', { type: 'symlink', target: text('y'.repeat(60)), ...attrs({ perm: 0o777 }) }, a);
  setNode(t, '/dev/null', { type: 'char', major: 1, minor: 3, ...attrs({ perm: 0o666 }) }, a);
  setNode(t, '/dev/sda', { type: 'block', major: 8, minor: 0, ...attrs({ perm: 0o660, gid: 6 }) }, a);
  setNode(t, '/dev/big', { type: 'char', major: 4095, minor: 0xfffff, ...attrs({ perm: 0o600 }) }, a);
  setNode(t, '/dev/mid', { type: 'block', major: 259, minor: 256, ...attrs({ perm: 0o600 }) }, a);
  setNode(t, '/run/fifo', { type: 'fifo', ...attrs({ perm: 0o644 }) }, a);
  setNode(t, '/run/sock', { type: 'socket', ...attrs({ perm: 0o755 }) }, a);
  setNode(t, '/tmp', { type: 'dir', entries: new Map(), ...attrs({ perm: 0o1777 }) }, a);
  setNode(t, '/home/user/big-ids', file(text('ids\n'), { uid: 0x12345678, gid: 0xfffffffe }), a);
  setNode(t, '/home/user/late', file(text('2100\n'), { mtime: 4_102_444_800 }), a);
  setNode(t, '/sparse', { type: 'file', content: { kind: 'zero', size: 10_000_000 }, ...attrs({ perm: 0o644 }) }, a);
  const holes = new Uint8Array(3 * 65536);
  holes.set(pseudoBytes(100, 3), 0);
  holes.set(pseudoBytes(100, 4), 2 * 65536 + 5);
  setNode(t, '/holey', file(holes), a);
  setNode(t, toBinary('/utf8-名前'), file(text('unicode name\n')), a);
  setNode(t, '/' + String.fromCharCode(0xff, 0xfe, 0x41), file(text('raw bytes name\n')), a);
  setNode(t, '/' + 'n'.repeat(255), file(text('long name\n')), a);
  return t;
}
