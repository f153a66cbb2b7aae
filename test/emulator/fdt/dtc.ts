/** dtc as an oracle: decompiles a blob to DTS text. */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export function dtcDecompile(blob: Uint8Array): string {
  const dir = mkdtempSync(join(tmpdir(), 'dtc-'));
  try {
    const file = join(dir, 'x.dtb');
    writeFileSync(file, blob);
    return execFileSync('dtc', ['-q', '-I', 'dtb', '-O', 'dts', file], { encoding: 'utf8' });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function dtcCompile(dts: string): Uint8Array {
  const dir = mkdtempSync(join(tmpdir(), 'dtc-'));
  try {
    const file = join(dir, 'x.dts');
    writeFileSync(file, dts);
    return new Uint8Array(execFileSync('dtc', ['-q', '-I', 'dts', '-O', 'dtb', file]));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
