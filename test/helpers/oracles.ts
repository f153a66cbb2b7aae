/**
 * Independent oracles for ext2 images: e2fsprogs' `e2fsck` and `debugfs`.
 * Any test that writes an image should pass it through `e2fsckClean` and
 * compare what it put in against what debugfs reads back.
 *
 * Names and paths are binary strings (one char per byte), like src/tree/tree.ts;
 * debugfs output is decoded as latin1 so bytes map 1:1.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

function run(cmd: string, args: string[], input?: string): { status: number; stdout: Buffer; stderr: string } {
  const r = spawnSync(cmd, args, { input: input === undefined ? undefined : Buffer.from(input, 'latin1'), maxBuffer: 1 << 30 });
  if (r.error) throw r.error;
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr.toString('latin1') };
}

/** Runs `e2fsck -fn` (force, read-only) and throws with its output unless it exits 0. Returns the output. */
export function e2fsckClean(img: string): string {
  const r = run('e2fsck', ['-fn', img]);
  const out = r.stdout.toString('latin1') + r.stderr;
  if (r.status !== 0) throw new Error(`e2fsck -fn ${img} exited ${r.status}:\n${out}`);
  return out;
}

/** Runs `e2fsck -fn` and returns its exit status and output without asserting. */
export function e2fsck(img: string): { status: number; output: string } {
  const r = run('e2fsck', ['-fn', img]);
  return { status: r.status, output: r.stdout.toString('latin1') + r.stderr };
}

/** Quotes a binary-string path for debugfs's argument parser. */
export function dq(path: string): string {
  if (path.includes('"')) throw new Error(`debugfs cannot be given a path containing '"': ${path}`);
  return `"${path}"`;
}

/** One debugfs request; returns stdout as a binary string. */
export function debugfs(img: string, request: string): string {
  const r = run('debugfs', ['-R', request, img]);
  return r.stdout.toString('latin1');
}

/** Several debugfs requests in one process; returns each request's output. */
export function debugfsBatch(img: string, requests: string[]): string[] {
  if (requests.length === 0) return [];
  const r = run('debugfs', ['-f', '-', img], requests.join('\n') + '\n');
  const text = r.stdout.toString('latin1');
  // debugfs echoes each request as "debugfs: <request>" before its output.
  const parts = text.split(/^debugfs: .*$/m);
  return parts.slice(1, requests.length + 1);
}

export interface DebugfsStat {
  ino: number;
  type: string;
  /** Permission bits including setuid/setgid/sticky. */
  perm: number;
  uid: number;
  gid: number;
  size: number;
  links: number;
  /** i_blocks in 512-byte units. */
  blockcount: number;
  mtime: number;
  major?: number;
  minor?: number;
  /** Fast symlink target (binary string). */
  fastLink?: string;
  extraIsize?: number;
}

export function parseStat(out: string): DebugfsStat {
  const num = (re: RegExp): number => {
    const m = re.exec(out);
    if (!m) throw new Error(`debugfs stat output lacks ${re}:\n${out}`);
    return Number(m[1]);
  };
  const type = /Type: ([A-Za-z ]+?)\s+Mode:/.exec(out)?.[1];
  if (!type) throw new Error(`not a debugfs stat output:\n${out}`);
  const st: DebugfsStat = {
    ino: num(/Inode: (\d+)/),
    type,
    perm: parseInt(/Mode:\s+([0-7]+)/.exec(out)![1]!, 8),
    uid: num(/User:\s+(-?\d+)/) >>> 0,
    gid: num(/Group:\s+(-?\d+)/) >>> 0,
    size: num(/Size: (\d+)/),
    links: num(/Links: (\d+)/),
    blockcount: num(/Blockcount: (\d+)/),
    mtime: parseInt(/mtime: 0x([0-9a-f]+)/.exec(out)![1]!, 16),
  };
  const dev = /Device major\/minor number: (\d+):(\d+)/.exec(out);
  if (dev) { st.major = Number(dev[1]); st.minor = Number(dev[2]); }
  const fast = /Fast link dest: "([\s\S]*)"\n/.exec(out);
  if (fast) st.fastLink = fast[1];
  const extra = /Size of extra inode fields: (\d+)/.exec(out);
  if (extra) st.extraIsize = Number(extra[1]);
  return st;
}

export function debugfsStat(img: string, path: string): DebugfsStat {
  return parseStat(debugfs(img, `stat ${dq(path)}`));
}

/** stat of many paths in one debugfs process. */
export function debugfsStats(img: string, paths: string[]): DebugfsStat[] {
  return debugfsBatch(img, paths.map((p) => `stat ${dq(p)}`)).map(parseStat);
}

/** A file's bytes (debugfs `cat`, holes as zeros). */
export function debugfsCat(img: string, path: string): Buffer {
  return run('debugfs', ['-R', `cat ${dq(path)}`, img]).stdout;
}

/** Dumps many files to host files in one debugfs run; returns their bytes in order. */
export function debugfsDumpAll(img: string, paths: string[]): Buffer[] {
  if (paths.length === 0) return [];
  const dir = mkdtempSync(join(tmpdir(), 'mkrootfs-dump-'));
  try {
    const outs = paths.map((_, i) => join(dir, String(i)));
    debugfsBatch(img, paths.map((p, i) => `dump ${dq(p)} ${outs[i]}`));
    return outs.map((o) => readFileSync(o));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export interface DebugfsEntry { name: string; ino: number; mode: number; uid: number; gid: number; size: number | null }

/** Directory listing via `ls -p` (includes '.' and '..'). */
export function debugfsLs(img: string, path: string): DebugfsEntry[] {
  return parseLs(debugfs(img, `ls -p ${dq(path)}`));
}

export function parseLs(out: string): DebugfsEntry[] {
  const entries: DebugfsEntry[] = [];
  for (const line of out.split('\n')) {
    // /ino/mode/uid/gid/name/size/ — the name may itself contain '/'-free bytes only.
    const m = /^\/(\d+)\/([0-7]+)\/(\d+)\/(\d+)\/([\s\S]*)\/(\d*)\/$/.exec(line);
    if (!m) continue;
    entries.push({ name: m[5]!, ino: Number(m[1]), mode: parseInt(m[2]!, 8), uid: Number(m[3]), gid: Number(m[4]), size: m[6] === '' ? null : Number(m[6]) });
  }
  return entries;
}

/** A symlink's target: the fast-link text from stat, else the target block's bytes. */
export function debugfsReadlink(img: string, path: string): string {
  const st = debugfsStat(img, path);
  if (st.type !== 'symlink') throw new Error(`${path} is a ${st.type}`);
  if (st.fastLink !== undefined) return st.fastLink;
  return debugfsCat(img, path).toString('latin1');
}

/** `dumpe2fs -h` fields as a map ("Block count" → "4096"). */
export function dumpe2fsHeader(img: string): Map<string, string> {
  const r = run('dumpe2fs', ['-h', img]);
  const map = new Map<string, string>();
  for (const line of r.stdout.toString('latin1').split('\n')) {
    const m = /^([^:]+):\s+(.*)$/.exec(line);
    if (m) map.set(m[1]!.trim(), m[2]!.trim());
  }
  return map;
}
