/**
 * What the boot benches share: recipes/busybox.yml's image, built once per
 * process into a private directory, with its kernel, banner (the recipe's
 * first boot expectation), kernel command line and memory size.
 * MKROOTFS_TEST_KERNEL and MKROOTFS_BUSYBOX override the guest cache's parts.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildFromRecipe, loadRecipe } from '../src/pipeline.ts';
import { guestVar } from '../src/guest/vars.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const RECIPE = join(ROOT, 'recipes/busybox.yml');

export interface BusyboxBoot { image: string; kernel: string; banner: string; append: string; memory: string }

let prepared: Promise<BusyboxBoot> | undefined;

/** Builds recipes/busybox.yml's image privately (once per process) and finds its kernel, banner and boot arguments. */
export function prepareBusyboxBoot(): Promise<BusyboxBoot> {
  prepared ??= prepare();
  return prepared;
}

async function prepare(): Promise<BusyboxBoot> {
  const env = { ...process.env };
  const args = { recipePath: RECIPE, cwd: ROOT, env };
  const loaded = await loadRecipe(args);
  const image = join(mkdtempSync(join(tmpdir(), 'mkrootfs-bench-boot-')), 'rootfs.img');
  await buildFromRecipe({ ...args, output: image });
  // MKROOTFS_TEST_KERNEL: another vmlinux than the guest cache's (as in test/e2e).
  const kernel = process.env.MKROOTFS_TEST_KERNEL ?? loaded.recipe.boot?.kernel ?? await guestVar('kernel', { env, build: false });
  const boot = loaded.recipe.boot;
  const banner = boot?.expect?.[0] ?? boot?.steps?.find((s) => s.expect)?.expect ?? 'BOOT-OK';
  return { image, kernel, banner, append: boot?.append ?? 'console=ttyS0 root=/dev/vda rw', memory: boot?.memory ?? '128M' };
}
