/** Unpacking a Debian source package (`.dsc` + tarballs, with Debian's patches applied). */
import { rmSync } from 'node:fs';
import type { StepRunner } from './step.ts';

/**
 * `dpkg-source -x` into `dest`, which dpkg-source wants absent: what an
 * interrupted run left there is removed first. Signatures are not checked:
 * apt verified the download.
 */
export async function unpackSource(r: StepRunner, dsc: string, dest: string): Promise<void> {
  rmSync(dest, { recursive: true, force: true });
  await r.run('dpkg-source', ['--no-check', '-x', dsc, dest], { env: { DEB_BUILD_OPTIONS: '' } });
}
