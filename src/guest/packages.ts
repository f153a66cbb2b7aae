/**
 * The Debian side of the guest build: which packages it needs, their
 * installed versions (part of the cache key), the `deb-src` entry that source
 * packages need, and the busybox and musl source packages themselves.
 *
 * As root, missing pieces are installed; otherwise the error carries the
 * exact commands to run.
 */
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync, mkdirSync, renameSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { MkrootfsError } from '../errors.ts';
import { runStep, type StepContext } from './step.ts';

const execFileP = promisify(execFile);

/** Binary packages the build runs (compiler, kernel source, kernel build tools, source unpacking). */
export const REQUIRED_PACKAGES = [
  'gcc-or1k-elf', 'binutils-or1k-elf', 'linux-source-6.12',
  'bc', 'flex', 'bison', 'libelf-dev', 'make', 'gcc', 'libc6-dev',
  'dpkg-dev', 'xz-utils', 'bzip2', 'rsync',
] as const;

/** Packages whose versions change the output bytes: they go into the cache key. */
export const KEY_PACKAGES = ['linux-source-6.12', 'gcc-or1k-elf', 'binutils-or1k-elf'] as const;

/** Debian source packages built for the guest. */
export const SOURCE_PACKAGES = ['busybox', 'musl'] as const;
export type SourcePackage = (typeof SOURCE_PACKAGES)[number];

/** The kernel source tarball linux-source-6.12 installs. */
export const KERNEL_TARBALL = '/usr/src/linux-source-6.12.tar.xz';

export const DEB_SRC_FILE = '/etc/apt/sources.list.d/mkrootfs-deb-src.sources';
export const DEB_SRC_ENTRY = `Types: deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
`;

/** dpkg's database: its status file and journal directory change whenever a package is installed or removed. */
const DPKG_DB = ['/var/lib/dpkg/status', '/var/lib/dpkg/updates'];

/** A cheap fingerprint of dpkg's database (sizes and modification times), or undefined if it cannot be read. */
function dpkgStamp(): string | undefined {
  try {
    return DPKG_DB.map((p) => { const st = statSync(p); return `${st.size}:${st.mtimeMs}:${st.ino}`; }).join(' ');
  } catch {
    return undefined;
  }
}

const MEMO_FILE = 'dpkg-versions.json';

/**
 * Installed versions of `names`; absent or not fully installed packages are
 * left out. With `memoDir`, the answer is remembered there (dpkg-versions.json)
 * while dpkg's database is unchanged: every `mkrootfs
 * boot` without --kernel looks the guest up, and dpkg-query costs ~20 ms.
 */
export async function installedVersions(names: readonly string[], opts: { memoDir?: string } = {}): Promise<Record<string, string>> {
  const stamp = opts.memoDir === undefined ? undefined : dpkgStamp();
  if (stamp === undefined) return queryVersions(names);
  const id = `${stamp}\t${names.join(',')}`;
  const file = join(opts.memoDir!, MEMO_FILE);
  try {
    const memo = JSON.parse(readFileSync(file, 'utf8')) as { id?: unknown; versions?: unknown };
    if (memo.id === id && typeof memo.versions === 'object' && memo.versions !== null) return memo.versions as Record<string, string>;
  } catch {
    // no memo yet, or unreadable: ask dpkg
  }
  const versions = await queryVersions(names);
  try {
    mkdirSync(opts.memoDir!, { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify({ id, versions }) + '\n');
    renameSync(tmp, file);
  } catch {
    // a read-only cache only loses the shortcut
  }
  return versions;
}

async function queryVersions(names: readonly string[]): Promise<Record<string, string>> {
  let stdout = '';
  try {
    ({ stdout } = await execFileP('dpkg-query', ['-W', '-f', '${Package}\t${Version}\t${db:Status-Abbrev}\n', ...names]));
  } catch (err) {
    // dpkg-query exits 1 when some names are unknown but still prints the others.
    const e = err as { stdout?: string; code?: unknown };
    if (typeof e.stdout !== 'string' || e.code === 'ENOENT') {
      throw new MkrootfsError({ code: 'GUEST_NO_DPKG', message: 'dpkg-query is not available: the guest is built from Debian packages', hint: 'run mkrootfs guest on Debian 12 (bookworm) or a derivative', cause: err });
    }
    stdout = e.stdout;
  }
  const out: Record<string, string> = {};
  for (const line of stdout.split('\n')) {
    const [pkg, version, status] = line.split('\t');
    if (pkg && version && status?.startsWith('ii')) out[pkg.replace(/:.*$/, '')] = version;
  }
  return out;
}

export function isRoot(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

/** True when some apt source list has an enabled deb-src entry. */
export function hasDebSrc(): boolean {
  const files: string[] = [];
  if (existsSync('/etc/apt/sources.list')) files.push('/etc/apt/sources.list');
  const dir = '/etc/apt/sources.list.d';
  if (existsSync(dir)) for (const f of readdirSync(dir)) if (/\.(list|sources)$/.test(f)) files.push(join(dir, f));
  return files.some((f) => {
    const text = readFileSync(f, 'utf8');
    return /^\s*deb-src\s/m.test(text) || /^\s*Types:.*\bdeb-src\b/m.test(text);
  });
}

function debSrcCommands(): string[] {
  return [
    `printf '${DEB_SRC_ENTRY.replace(/\n/g, '\\n')}' | sudo tee ${DEB_SRC_FILE}`,
    'sudo apt-get update',
  ];
}

export function installCommand(missing: readonly string[]): string {
  return `sudo apt-get install -y --no-install-recommends ${missing.join(' ')}`;
}

/**
 * Makes sure the required packages are installed. As root, installs the
 * missing ones; otherwise throws GUEST_PACKAGES_MISSING with the command.
 */
export async function ensurePackages(ctx: StepContext, opts: { root: boolean; packages?: readonly string[] }): Promise<Record<string, string>> {
  const wanted = opts.packages ?? REQUIRED_PACKAGES;
  let versions = await installedVersions(wanted);
  const missing = wanted.filter((p) => versions[p] === undefined);
  if (missing.length === 0) return versions;
  if (!opts.root) {
    const cmd = installCommand(missing);
    throw new MkrootfsError({
      code: 'GUEST_PACKAGES_MISSING',
      message: `the guest build needs Debian packages that are not installed: ${missing.join(', ')}\n  ${cmd}`,
      hint: `run as root, or install them first: ${cmd}`,
      data: { missing, command: cmd },
    });
  }
  await runStep(ctx, 'packages', async (r) => {
    await r.run('apt-get', ['update'], { env: { DEBIAN_FRONTEND: 'noninteractive' } });
    await r.run('apt-get', ['install', '-y', '--no-install-recommends', ...missing], { env: { DEBIAN_FRONTEND: 'noninteractive' } });
  });
  versions = await installedVersions(wanted);
  const still = wanted.filter((p) => versions[p] === undefined);
  if (still.length > 0) {
    throw new MkrootfsError({ code: 'GUEST_PACKAGES_MISSING', message: `apt-get did not install: ${still.join(', ')}`, hint: `see ${join(ctx.logs, 'packages.log')}`, data: { missing: still } });
  }
  return versions;
}

/** The downloaded `.dsc` of a source package in `dir`, or undefined. */
export function findDsc(dir: string, pkg: SourcePackage): string | undefined {
  if (!existsSync(dir)) return undefined;
  const re = new RegExp(`^${pkg}_[^_]+\\.dsc$`);
  const found = readdirSync(dir).filter((f) => re.test(f)).sort();
  return found.length > 0 ? join(dir, found[found.length - 1]!) : undefined;
}

/**
 * Makes sure `<sourcesDir>` holds the busybox and musl source packages,
 * adding the deb-src entry (root only) and running
 * `apt-get source --download-only` when they are missing.
 * Returns the `.dsc` path of each.
 */
export async function ensureSources(ctx: StepContext, opts: { sourcesDir: string; root: boolean }): Promise<Record<SourcePackage, string>> {
  const missing = SOURCE_PACKAGES.filter((p) => findDsc(opts.sourcesDir, p) === undefined);
  if (missing.length > 0) {
    const fetch = `cd ${opts.sourcesDir} && apt-get source --download-only ${missing.join(' ')}`;
    if (!hasDebSrc()) {
      if (!opts.root) {
        const cmds = [...debSrcCommands(), `mkdir -p ${opts.sourcesDir}`, fetch];
        throw new MkrootfsError({
          code: 'GUEST_SOURCES_MISSING',
          message: `the guest build needs the Debian source packages ${missing.join(', ')}, and apt has no deb-src entry\n  ${cmds.join('\n  ')}`,
          hint: 'run mkrootfs guest as root once, or run the commands above',
          data: { missing, commands: cmds },
        });
      }
      await runStep(ctx, 'deb-src', async (r) => {
        r.note(`writing ${DEB_SRC_FILE}`);
        writeFileSync(DEB_SRC_FILE, DEB_SRC_ENTRY);
        await r.run('apt-get', ['update'], { env: { DEBIAN_FRONTEND: 'noninteractive' } });
      });
    }
    mkdirSync(opts.sourcesDir, { recursive: true });
    await runStep(ctx, 'sources', (r) => r.run('apt-get', ['source', '--download-only', ...missing], { cwd: opts.sourcesDir }));
  }
  const out = {} as Record<SourcePackage, string>;
  for (const p of SOURCE_PACKAGES) {
    const dsc = findDsc(opts.sourcesDir, p);
    if (dsc === undefined) {
      throw new MkrootfsError({ code: 'GUEST_SOURCES_MISSING', message: `apt-get source did not download ${p} into ${opts.sourcesDir}`, hint: `see ${join(ctx.logs, 'sources.log')}` });
    }
    out[p] = dsc;
  }
  return out;
}
