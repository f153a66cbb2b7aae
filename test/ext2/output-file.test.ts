/**
 * Where an image may be written (src/ext2/output-file.ts) and how the writer
 * replaces it: only regular files, never an input, missing directories made,
 * temp names within NAME_MAX, the old mode kept, I/O failures exit 1.
 * Nothing here ever opens a device for writing: checks on /dev/null only stat it.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, linkSync, lstatSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { prepareOutput, tempPathFor } from '../../src/ext2/output-file.ts';
import { writeImageFile } from '../../src/ext2/write-image.ts';
import { nodeImageFs, type ImageFs } from '../../src/ext2/image-fs.ts';
import { MkrootfsError } from '../../src/errors.ts';
import { newTree, setNode } from '../../src/tree/tree.ts';
import { e2fsckClean } from '../helpers/oracles.ts';
import { attrs, tempDir, text } from './fixtures.ts';

const dir = tempDir('mkrootfs-output-');

function smallTree() {
  const tree = newTree(attrs());
  setNode(tree, '/etc/motd', { type: 'file', content: { kind: 'bytes', data: text('hello\n') }, ...attrs({ perm: 0o644 }) }, attrs());
  return tree;
}

async function errorOf(p: Promise<unknown>): Promise<MkrootfsError> {
  const e = await p.then(() => undefined, (err: unknown) => err);
  expect(e).toBeInstanceOf(MkrootfsError);
  return e as MkrootfsError;
}

describe('tempPathFor', () => {
  it.each([1, 100, 239, 240, 250, 255])('fits NAME_MAX for a %i-byte name', (n) => {
    const out = join(dir, 'n'.repeat(n));
    const tmp = tempPathFor(out, 'abcd1234');
    expect(dirname(tmp)).toBe(dir);
    expect(Buffer.byteLength(basename(tmp))).toBeLessThanOrEqual(255);
    expect(basename(tmp)).toMatch(/^\.n+\.tmp-abcd1234$/);
  });

  it('cuts multi-byte names at a character boundary', () => {
    const name = 'é'.repeat(127) + '.img'; // 258 bytes... longer than any real name, still handled
    const tmp = basename(tempPathFor(join(dir, 'é'.repeat(126)), 'abcd1234'));
    expect(Buffer.byteLength(tmp)).toBeLessThanOrEqual(255);
    expect(tmp).not.toContain('\ufffd');
    expect(Buffer.from(tmp).toString('utf8')).toBe(tmp);
    expect(basename(tempPathFor(join(dir, name), 'x'))).toMatch(/^\.é+\.tmp-x$/);
  });
});

describe('prepareOutput', () => {
  it('refuses anything that is not a regular file, without writing to it', async () => {
    const fifo = join(dir, 'fifo');
    execFileSync('mkfifo', [fifo]);
    mkdirSync(join(dir, 'a-dir'));
    for (const [path, kind] of [['/dev/null', 'character device'], [fifo, 'FIFO'], [join(dir, 'a-dir'), 'directory']] as const) {
      const e = await errorOf(prepareOutput({ path }));
      expect(e.code).toBe('OUTPUT_NOT_REGULAR');
      expect(e.exitCode).toBe(2);
      expect(e.message).toContain(kind);
      expect(e.hint).toBeTruthy();
    }
    expect(lstatSync(fifo).isFIFO()).toBe(true);
    expect(lstatSync('/dev/null').isCharacterDevice()).toBe(true);
  });

  it('creates missing directories; a file in the way is a clear usage error', async () => {
    const deep = join(dir, 'new/a/b/rootfs.img');
    expect(await prepareOutput({ path: deep })).toEqual({ path: deep });
    expect(statSync(dirname(deep)).isDirectory()).toBe(true);
    writeFileSync(join(dir, 'plain'), 'x');
    for (const path of [join(dir, 'plain/x.img'), join(dir, 'plain/sub/x.img')]) {
      const e = await errorOf(prepareOutput({ path }));
      expect(e.code).toBe('OUTPUT_PARENT_NOT_DIR');
      expect(e.exitCode).toBe(2);
    }
  });

  it('refuses a name longer than NAME_MAX up front', async () => {
    const e = await errorOf(prepareOutput({ path: join(dir, 'n'.repeat(256)) }));
    expect(e.code).toBe('OUTPUT_NAME_TOO_LONG');
    expect(e.exitCode).toBe(2);
  });

  it('follows a symbolic link to the file it names; a dangling one is an error', async () => {
    writeFileSync(join(dir, 'real.img'), 'old');
    chmodSync(join(dir, 'real.img'), 0o640);
    symlinkSync('real.img', join(dir, 'link.img'));
    expect(await prepareOutput({ path: join(dir, 'link.img') })).toMatchObject({ path: join(dir, 'real.img'), existing: { mode: 0o640 } });
    symlinkSync('missing.img', join(dir, 'dangling.img'));
    expect((await errorOf(prepareOutput({ path: join(dir, 'dangling.img') }))).code).toBe('OUTPUT_BAD_LINK');
    symlinkSync('/dev/null', join(dir, 'to-null.img'));
    expect((await errorOf(prepareOutput({ path: join(dir, 'to-null.img') }))).code).toBe('OUTPUT_NOT_REGULAR');
  });

  it('refuses one of the inputs, by device and inode (hard links and other spellings too)', async () => {
    writeFileSync(join(dir, 'recipe.yml'), 'hostname: a\n');
    linkSync(join(dir, 'recipe.yml'), join(dir, 'hard.img'));
    symlinkSync(dir, join(dir, 'same-dir'));
    for (const path of [join(dir, 'recipe.yml'), join(dir, 'hard.img'), join(dir, 'same-dir/recipe.yml')]) {
      const e = await errorOf(prepareOutput({ path, inputs: [join(dir, 'missing'), join(dir, 'recipe.yml')] }));
      expect(e.code).toBe('OUTPUT_IS_INPUT');
      expect(e.exitCode).toBe(2);
    }
    expect(readFileSync(join(dir, 'recipe.yml'), 'utf8')).toBe('hostname: a\n');
  });
});

describe('writeImageFile output handling', () => {
  it('keeps the replaced image\'s mode, whatever the umask', async () => {
    const out = join(dir, 'mode.img');
    writeFileSync(out, 'old');
    chmodSync(out, 0o600);
    await writeImageFile({ tree: smallTree(), output: out, options: { epoch: 1 } });
    expect(statSync(out).mode & 0o7777).toBe(0o600);
    e2fsckClean(out);
    chmodSync(out, 0o664);
    await writeImageFile({ tree: smallTree(), output: out, options: { epoch: 1 } });
    expect(statSync(out).mode & 0o7777).toBe(0o664);
  });

  it('writes a 250-byte name (its temp name is shortened) and reports the temp file while it exists', async () => {
    const out = join(dir, `${'n'.repeat(246)}.img`);
    const seen: string[] = [];
    const temps = new Set<string>();
    const watch = { add: (p: string) => { seen.push(p); temps.add(p); }, delete: (p: string) => temps.delete(p) };
    await writeImageFile({ tree: smallTree(), output: out, options: { epoch: 1 }, temps: watch });
    e2fsckClean(out);
    expect(seen).toHaveLength(1);
    expect(Buffer.byteLength(basename(seen[0]!))).toBeLessThanOrEqual(255);
    expect(temps.size).toBe(0);
    expect(existsSync(seen[0]!)).toBe(false);
  });

  /** nodeImageFs, failing the image file's writes (or opens) with an errno. */
  function failing(errno: string, at: 'write' | 'open'): ImageFs {
    const fail = (): never => { throw Object.assign(new Error(`${errno}: simulated`), { code: errno }); };
    return {
      ...nodeImageFs,
      lstat: (p: string) => import('node:fs/promises').then((f) => f.lstat(p)),
      stat: (p: string) => import('node:fs/promises').then((f) => f.stat(p)),
      realpath: (p: string) => import('node:fs/promises').then((f) => f.realpath(p)),
      mkdir: (p: string, o: { recursive: true }) => import('node:fs/promises').then((f) => f.mkdir(p, o)),
      chmod: (p: string, m: number) => import('node:fs/promises').then((f) => f.chmod(p, m)),
      open: async (path, flags, mode) => {
        if (!path.includes('.tmp-')) return nodeImageFs.open(path, flags, mode);
        if (at === 'open') fail();
        const fh = await nodeImageFs.open(path, flags, mode);
        return { ...fh, write: async () => fail() };
      },
    } as ImageFs;
  }

  it.each([['ENOSPC', 'write'], ['EIO', 'write'], ['EROFS', 'open'], ['EDQUOT', 'write']] as const)('%s is an I/O failure: exit 1 with a hint, old image kept, no temp file', async (errno, at) => {
    const out = join(dir, `fail-${errno}.img`);
    writeFileSync(out, 'old image');
    const tree = smallTree();
    setNode(tree, '/data', { type: 'file', content: { kind: 'bytes', data: new Uint8Array(100_000).fill(7) }, ...attrs() }, attrs());
    const e = await errorOf(writeImageFile({ tree, output: out, options: { epoch: 1 }, fs: failing(errno, at) }));
    expect(e.code).toBe(`IO_${errno}`);
    expect(e.exitCode).toBe(1);
    expect(e.hint).toBeTruthy();
    expect(readFileSync(out, 'utf8')).toBe('old image');
    expect(readdirSync(dir).filter((n) => n.startsWith(`.fail-${errno}`))).toEqual([]);
  });

  it('an output replaced by a FIFO during the build is left alone', async () => {
    const out = join(dir, 'swapped.img');
    writeFileSync(out, 'old');
    const fs = {
      ...nodeImageFs,
      lstat: (p: string) => import('node:fs/promises').then((f) => f.lstat(p)),
      stat: (p: string) => import('node:fs/promises').then((f) => f.stat(p)),
      realpath: (p: string) => import('node:fs/promises').then((f) => f.realpath(p)),
      mkdir: (p: string, o: { recursive: true }) => import('node:fs/promises').then((f) => f.mkdir(p, o)),
      chmod: (p: string, m: number) => import('node:fs/promises').then((f) => f.chmod(p, m)),
      open: async (path: string, flags: string, mode?: number) => {
        if (path.includes('.tmp-')) { execFileSync('rm', [out]); execFileSync('mkfifo', [out]); }
        return nodeImageFs.open(path, flags, mode);
      },
    } as ImageFs;
    const e = await errorOf(writeImageFile({ tree: smallTree(), output: out, options: { epoch: 1 }, fs }));
    expect(e.code).toBe('OUTPUT_NOT_REGULAR');
    expect(lstatSync(out).isFIFO()).toBe(true);
    expect(readdirSync(dir).filter((n) => n.startsWith('.swapped'))).toEqual([]);
  });
});
