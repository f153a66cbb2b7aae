/**
 * The C library: musl from Debian's source package, built as static
 * libraries with the bare-metal or1k-elf-gcc and installed into the sysroot.
 */
import { join } from 'node:path';
import { runStep, type StepContext } from './step.ts';
import { unpackSource } from './source.ts';

export interface MuslArgs {
  dsc: string;
  workDir: string;
  sysroot: string;
  jobs: number;
  /** `or1k-elf-gcc -print-libgcc-file-name`. */
  libgcc: string;
}

export async function buildMusl(ctx: StepContext, args: MuslArgs): Promise<void> {
  await runStep(ctx, 'musl', async (r) => {
    const src = join(args.workDir, 'musl');
    await unpackSource(r, args.dsc, src);
    const env = {
      CC: 'or1k-elf-gcc',
      AR: 'or1k-elf-ar',
      RANLIB: 'or1k-elf-ranlib',
      LIBCC: args.libgcc,
      CFLAGS: `-ffile-prefix-map=${src}=.`,
    };
    await r.run('./configure', ['--target=or1k-linux-musl', `--prefix=${args.sysroot}`, '--disable-shared'], { cwd: src, env });
    await r.run('nice', ['make', `-j${args.jobs}`], { cwd: src, env });
    await r.run('make', ['install'], { cwd: src, env });
  });
}
