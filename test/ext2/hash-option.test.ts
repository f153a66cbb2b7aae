import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeImageFile } from '../../src/ext2/write-image.ts';
import { e2fsckClean } from '../helpers/oracles.ts';
import { allTypesTree, tempDir } from './fixtures.ts';

const dir = tempDir();
const sha = (p: string): string => createHash('sha256').update(readFileSync(p)).digest('hex');

describe('options.hash', () => {
  it('hashes by default; with hash false it writes the same bytes and reports no digest', async () => {
    const on = await writeImageFile({ tree: allTypesTree(), output: join(dir, 'on.img'), options: { epoch: 1_800_000_000, blockSize: 1024 } });
    const off = await writeImageFile({ tree: allTypesTree(), output: join(dir, 'off.img'), options: { epoch: 1_800_000_000, blockSize: 1024, hash: false } });
    expect(on.sha256).toBe(sha(join(dir, 'on.img')));
    expect(off.sha256).toBe('');
    expect(sha(join(dir, 'off.img'))).toBe(on.sha256);
    expect({ ...off, path: '', sha256: '' }).toEqual({ ...on, path: '', sha256: '' });
    e2fsckClean(join(dir, 'off.img'));
  });
});
