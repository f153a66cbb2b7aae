/**
 * The npm package as a user gets it: `npm pack` of this checkout, installed
 * into a new project in a temporary directory, used only through what the
 * tarball ships — the `mkrootfs` bin via npx, the library and the emulator by
 * their package names from plain Node ESM, and the types from TypeScript.
 * The guest kernel and busybox come from the shared cache (`mkrootfs guest`).
 * Run: npx vitest run --project e2e test/e2e/npm-package.test.ts
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { guestVar } from '../../src/guest/vars.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const PKG = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
const work = mkdtempSync(join(tmpdir(), 'npm-package-'));
const project = join(work, 'consumer');
let tarball: string;
let busybox: string;

/** The installed version of one of our own dev dependencies (so the consumer's install hits npm's cache). */
function devVersion(name: string): string {
  return (JSON.parse(readFileSync(join(ROOT, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;
}

function run(cmd: string, args: string[], cwd: string, timeout = 600_000): SpawnSyncReturns<string> {
  // The consumer must not see this checkout's tools: no npm_* variables from the vitest run.
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('npm_') && k !== 'NODE_OPTIONS'));
  return spawnSync(cmd, args, { cwd, env: { ...env, NO_COLOR: '1' }, encoding: 'utf8', timeout, maxBuffer: 64 << 20 });
}

function ok(r: SpawnSyncReturns<string>, what: string): string {
  if (r.status !== 0) throw new Error(`${what} failed (exit ${r.status}, signal ${r.signal}):\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

beforeAll(() => {
  busybox = '';
  const packed = ok(run('npm', ['pack', '--json', '--pack-destination', work], ROOT), 'npm pack');
  const info = JSON.parse(packed) as Array<{ filename: string; files: Array<{ path: string }> }>;
  tarball = join(work, info[0]!.filename);
  mkdirSync(project);
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }, null, 2));
  ok(run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', tarball,
    `typescript@${devVersion('typescript')}`, `@types/node@${devVersion('@types/node')}`], project), 'npm install of the tarball');
}, 900_000);

describe('the npm package', () => {
  it('ships compiled JavaScript with types, and no tests, fixtures, benchmarks or CI files', () => {
    const r = ok(run('tar', ['-tzf', tarball], work), 'tar -t');
    const files = r.split('\n').filter(Boolean).map((f) => f.replace(/^package\//, ''));
    expect(files).toContain('dist/src/index.js');
    expect(files).toContain('dist/src/index.d.ts');
    expect(files).toContain('dist/emulator/index.js');
    expect(files).toContain('dist/emulator/index.d.ts');
    expect(files).toContain('dist/src/guest/assets/kernel.config');
    expect(files).toContain('bin/mkrootfs.js');
    expect(files.filter((f) => /^(test|bench|\.ci|scripts|src|emulator)\//.test(f) || f.endsWith('.ts') && !f.endsWith('.d.ts'))).toEqual([]);
    const installed = join(project, 'node_modules', 'mkrootfs');
    const pkg = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
    expect(Object.keys(pkg.dependencies)).not.toContain('tsx');
    expect(existsSync(join(project, 'node_modules', 'tsx'))).toBe(false);
    expect(existsSync(join(project, 'node_modules', 'esbuild'))).toBe(false);
  });

  it('npx mkrootfs --version and -V print the package version; boot -V too', () => {
    expect(ok(run('npx', ['--no-install', 'mkrootfs', '--version'], project), '--version')).toBe(`${PKG.version}\n`);
    expect(ok(run('npx', ['--no-install', 'mkrootfs', '-V'], project), '-V')).toBe(`${PKG.version}\n`);
    expect(ok(run('npx', ['--no-install', 'boot', '-V'], project), 'boot -V')).toBe(`${PKG.version}\n`);
  });

  it('a closed stdout ends the installed CLI quietly', () => {
    const r = run('bash', ['-c', 'set -o pipefail; npx --no-install mkrootfs boot --help | head -1; echo "status ${PIPESTATUS[0]}"'], project);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/^Usage: mkrootfs boot .*\nstatus (0|141)\n$/);
  });

  it('builds a recipe (a directory layer, an inline rcS) and boots it with npx mkrootfs boot', async () => {
    busybox = await guestVar('busybox');
    const overlay = join(project, 'overlay');
    mkdirSync(join(overlay, 'etc'), { recursive: true });
    writeFileSync(join(overlay, 'etc', 'motd'), 'installed from the npm tarball\n');
    writeFileSync(join(project, 'recipe.yml'), [
      'image: { size: "+4M", output: out/app.img }',
      'layers:',
      '  - source: ${guest.busybox}',
      '  - source: overlay',
      'dirs: [{ path: /proc }]',
      'mounts: [{ device: proc, path: /proc, type: proc }]',
      'init:',
      '  rcS: |',
      '    #!/bin/sh',
      '    mount -a',
      '    echo "consumer: $(cat /etc/motd)"',
      '    poweroff -f',
      'boot:',
      '  append: "console=ttyS0 root=/dev/vda rw"',
      '  expect: ["consumer: installed from the npm tarball", "reboot: Power down"]',
      '',
    ].join('\n'));
    const built = run('npx', ['--no-install', 'mkrootfs', 'recipe.yml'], project);
    ok(built, 'npx mkrootfs recipe.yml');
    expect(existsSync(join(project, 'out', 'app.img'))).toBe(true);
    const booted = run('npx', ['--no-install', 'mkrootfs', 'boot', 'recipe.yml'], project);
    ok(booted, 'npx mkrootfs boot recipe.yml');
    expect(booted.stdout).toContain('consumer: installed from the npm tarball');
    expect(booted.stderr).toMatch(/boot: ok/);
  });

  it('a plain Node ESM script imports mkrootfs and mkrootfs/emulator, builds an image from a tree and boots it', () => {
    writeFileSync(join(project, 'embed.mjs'), `
import { tree, importDir, writeImageFile, bootImage } from 'mkrootfs';
import { createMachine, Cpu } from 'mkrootfs/emulator';
import { FileDisk } from 'mkrootfs/emulator/host';
if (typeof createMachine !== 'function' || typeof Cpu !== 'function' || typeof FileDisk !== 'function') throw new Error('emulator exports missing');
const t = tree.newTree();
await importDir({ tree: t, hostPath: ${JSON.stringify(busybox)}, owner: 'root' });
const text = new TextEncoder().encode('#!/bin/sh\\necho "embedded: hello"\\npoweroff -f\\n');
tree.mkdirp(t, '/etc/init.d', { perm: 0o755, uid: 0, gid: 0, mtime: 0 });
tree.setNode(t, '/etc/init.d/rcS', { type: 'file', perm: 0o755, uid: 0, gid: 0, mtime: 0, content: { kind: 'bytes', data: text } }, { perm: 0o755, uid: 0, gid: 0, mtime: 0 });
const summary = await writeImageFile({ tree: t, output: 'embed.img', options: { size: 'auto', extraFree: 4 << 20, epoch: 0 } });
const result = await bootImage({ image: 'embed.img', expect: ['embedded: hello', 'reboot: Power down'], timeoutS: 60 });
console.log(JSON.stringify({ bytes: summary.bytes, ok: result.ok, status: result.status, instructions: result.instructions, lastLines: result.lastLines }));
`);
    const out = ok(run(process.execPath, ['embed.mjs'], project), 'node embed.mjs');
    const r = JSON.parse(out.trim().split('\n').pop()!) as { bytes: number; ok: boolean; status: string; instructions: number; lastLines: string[] };
    expect(r, JSON.stringify(r.lastLines)).toMatchObject({ ok: true, status: 'ok' });
    expect(r.bytes).toBeGreaterThan(1 << 20);
    expect(r.instructions).toBeGreaterThan(1_000_000);
  });

  it('a TypeScript consumer importing both entry points type-checks with tsc --noEmit', () => {
    writeFileSync(join(project, 'tsconfig.json'), JSON.stringify({
      compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, noEmit: true, types: ['node'] },
      include: ['consumer.ts'],
    }, null, 2));
    writeFileSync(join(project, 'consumer.ts'), `
import { buildFromRecipe, bootImage, MkrootfsError, type BootImageResult, type RecipeBuildSummary } from 'mkrootfs';
import { createMachine, Machine, Ram, type RunStatus } from 'mkrootfs/emulator';
import { FileDisk, runMachine } from 'mkrootfs/emulator/host';
export async function check(): Promise<[RecipeBuildSummary, BootImageResult]> {
  const summary = await buildFromRecipe({ recipePath: 'recipe.yml', output: 'out/x.img' });
  const result: BootImageResult = await bootImage({ image: summary.path, expect: ['login:'], timeoutS: 30 });
  if (!result.ok) throw new MkrootfsError({ code: 'X', message: result.message });
  return [summary, result];
}
export const types: [typeof createMachine, typeof Machine, typeof Ram, typeof FileDisk, typeof runMachine, RunStatus | undefined] =
  [createMachine, Machine, Ram, FileDisk, runMachine, undefined];
`);
    const r = run(join(project, 'node_modules', '.bin', 'tsc'), ['--noEmit', '-p', 'tsconfig.json'], project);
    expect(r.stdout + r.stderr).toBe('');
    expect(r.status).toBe(0);
  });
});
