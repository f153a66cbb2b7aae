/** Unpacking a Debian source package (`.dsc` + tarballs, with Debian's patches applied). */
import type { StepRunner } from './step.ts';

/** `dpkg-source -x` into `dest` (which must not exist). Signatures are not checked: apt verified the download. */
export async function unpackSource(r: StepRunner, dsc: string, dest: string): Promise<void> {
  await r.run('dpkg-source', ['--no-check', '-x', dsc, dest], { env: { DEB_BUILD_OPTIONS: '' } });
}
