/**
 * `boot` and `build` in CI: JUnit reports of real boots (validated by xmllint
 * against the Jenkins/Ant JUnit schema), GitHub ::error annotations at the
 * recipe line, console logs named after the image, and piped stdin typed into
 * the guest console. Images come from recipes/busybox.yml (the cached guest).
 * Run: npx vitest run --project e2e test/e2e/ci-boot.test.ts
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { validateJunitFile, xpath } from '../helpers/junit-oracle.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const BUSYBOX = join(ROOT, 'recipes/busybox.yml');
const work = mkdtempSync(join(tmpdir(), 'ci-boot-'));
// A package.json ends cosmiconfig's search for .mkrootfsrc.yml here (not in a parent of /tmp).
writeFileSync(join(work, 'package.json'), '{}\n');

interface Run { code: number | null; stdout: string; stderr: string }
function node(script: string, args: string[], opts: { cwd?: string; input?: string; env?: Record<string, string> } = {}): Run {
  const r = spawnSync(process.execPath, [join(ROOT, script), ...args], {
    cwd: opts.cwd ?? work, encoding: 'utf8', input: opts.input, maxBuffer: 64 << 20, timeout: 600_000,
    env: { ...process.env, GITHUB_ACTIONS: '', ...opts.env },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
const kernelArgs = process.env.MKROOTFS_TEST_KERNEL ? ['--kernel', process.env.MKROOTFS_TEST_KERNEL] : [];
const boot = (args: string[], opts?: Parameters<typeof node>[2]): Run => node('bin/boot.js', [...args, ...kernelArgs], opts);

function build(recipe: string, output: string): void {
  const r = node('bin/mkrootfs.js', [recipe, '-o', output]);
  if (r.code !== 0) throw new Error(`building ${recipe} failed (exit ${r.code}):\n${r.stderr}`);
}

/** A recipe over recipes/busybox.yml whose boot section is `boot` (YAML text, 0-indented keys under boot:). */
function recipeOverBusybox(name: string, extra: string): string {
  const p = join(work, `${name}.yml`);
  writeFileSync(p, `include: [${JSON.stringify(relative(work, BUSYBOX))}]\nimage:\n  output: ${name}.img\n${extra}`);
  return p;
}

describe('boot and build in CI', () => {
  beforeAll(() => {
    build(BUSYBOX, join(work, 'rootfs.img'));
    // A shell straight on the console (no "Please press Enter" prompt), for typed input.
    build(recipeOverBusybox('shell', 'init:\n  shell: respawn\n'), join(work, 'shell.img'));
  });

  it('boot --junit: a passing boot validates, one testcase per step with its guest time, same bytes twice', () => {
    const args = ['rootfs.img', '--expect', 'mkrootfs: boot OK', '--expect', 'Please press Enter to activate this console.', '--timeout', '30'];
    const r = boot([...args, '--junit', 'pass.xml']);
    expect(r.code, r.stderr).toBe(0);
    const p = join(work, 'pass.xml');
    validateJunitFile(p);
    expect(xpath(p, 'string(/testsuites/@tests)')).toBe('2');
    expect(xpath(p, 'string(/testsuites/@failures)')).toBe('0');
    expect(xpath(p, 'string(//testcase[1]/@name)')).toBe('step 1: expect "mkrootfs: boot OK"');
    const t1 = Number(xpath(p, 'string(//testcase[1]/@time)'));
    const t2 = Number(xpath(p, 'string(//testcase[2]/@time)'));
    expect(t1).toBeGreaterThan(0.5); // the kernel's boot, in guest seconds
    expect(t2).toBeGreaterThanOrEqual(0);
    expect(Number(xpath(p, 'string(//testsuite/@time)'))).toBeCloseTo(t1 + t2, 2);
    expect(xpath(p, 'count(//system-out)')).toBe('0');
    // Guest time is virtual: a second boot writes the same report.
    expect(boot([...args, '--junit', 'pass2.xml']).code).toBe(0);
    expect(readFileSync(join(work, 'pass2.xml'), 'utf8')).toBe(readFileSync(p, 'utf8'));
  });

  it('boot --junit: a failing boot validates; the step carries the message and the console tail, the rest is skipped', () => {
    const r = boot(['rootfs.img', '--expect', 'mkrootfs: boot OK', '--expect', 'login:', '--send', 'root', '--timeout', '5', '--junit', 'fail.xml']);
    expect(r.code).toBe(124);
    const p = join(work, 'fail.xml');
    validateJunitFile(p);
    expect(xpath(p, 'string(/testsuites/@failures)')).toBe('1');
    expect(xpath(p, 'string(//testcase[failure]/@name)')).toBe('step 2: expect "login:"');
    expect(xpath(p, 'string(//failure/@type)')).toBe('BOOT_TIMEOUT');
    expect(xpath(p, 'string(//failure/@message)')).toMatch(/timed out after 5 s of guest time waiting for step 2/);
    expect(xpath(p, 'string(//testcase[failure]/system-out)')).toMatch(/Please press Enter to activate this console\.\s*$/);
    expect(xpath(p, 'string(//testcase[3]/skipped)')).toMatch(/not reached/);
  });

  it('a failed recipe boot step is annotated at its recipe line under GITHUB_ACTIONS=true, and reported in JUnit', () => {
    // Included lists concatenate: busybox.yml's two expectations, then this one (step 3).
    const recipe = recipeOverBusybox('stepfail', ['boot:', '  expect:', '    - "text the guest never prints"', ''].join('\n'));
    const line = readFileSync(recipe, 'utf8').split('\n').findIndex((l) => l.includes('never prints')) + 1;
    const r = boot(['stepfail.yml', '--junit', 'stepfail.xml'], { env: { GITHUB_ACTIONS: 'true', GITHUB_WORKSPACE: work } });
    expect(r.code).toBe(3); // the guest powered off before step 3 matched
    expect(r.stderr).toContain(`::error file=stepfail.yml,line=${line},col=7,title=BOOT_EXPECT_FAILED::guest powered off before step 3 (expect "text the guest never prints") completed`);
    validateJunitFile(join(work, 'stepfail.xml'));
    // Outside GitHub Actions: no annotations.
    expect(boot(['stepfail.yml']).stderr).not.toContain('::error');
  });

  it('build --junit: a passing build, and a recipe error as the failure with annotations at each problem\'s line', () => {
    const ok = node('bin/mkrootfs.js', [BUSYBOX, '-o', 'built.img', '--junit', 'build-ok.xml']);
    expect(ok.code, ok.stderr).toBe(0);
    validateJunitFile(join(work, 'build-ok.xml'));
    expect(xpath(join(work, 'build-ok.xml'), 'count(//testcase[not(failure) and not(error)])')).toBe('1');

    writeFileSync(join(work, 'bad.yml'), 'image:\n  size: "+8M"\nfiles:\n  - { path: /etc/motd, mode: 0644, content: "hi" }\n');
    const bad = node('bin/mkrootfs.js', ['bad.yml', '-o', 'bad.img', '--junit', 'build-bad.xml'], { env: { GITHUB_ACTIONS: 'true' } });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^::error file=bad\.yml,line=4,col=30,title=RECIPE_BARE_OCTAL::mode 0644 is a number/m);
    const p = join(work, 'build-bad.xml');
    validateJunitFile(p);
    expect(xpath(p, 'string(//failure/@type)')).toBe('RECIPE_BARE_OCTAL');
    expect(xpath(p, 'string(//failure)')).toContain('hint: write mode: "0644" (quoted)');
    expect(existsSync(join(work, 'bad.img'))).toBe(false);
  });

  it('logs: named after the image beside it, --log FILE, or in outputDir from .mkrootfsrc.yml; two images do not share one', () => {
    const dir = join(work, 'logs');
    mkdirSync(dir);
    writeFileSync(join(dir, 'package.json'), '{}\n');
    build(BUSYBOX, join(dir, 'a.img'));
    build(BUSYBOX, join(dir, 'b.img'));
    const check = ['--expect', 'Please press Enter', '--timeout', '30'];
    expect(boot(['a.img', ...check], { cwd: dir }).code).toBe(0);
    expect(boot(['b.img', '--append', 'console=ttyS0 root=/dev/vda rw mkrootfs.poweroff'], { cwd: dir }).code).toBe(0);
    expect(readdirSync(dir).filter((f) => f.endsWith('.log')).sort()).toEqual(['a.boot.log', 'b.boot.log']);
    expect(readFileSync(join(dir, 'a.boot.log'), 'latin1')).toContain('Please press Enter to activate this console.');
    expect(readFileSync(join(dir, 'a.boot.log'), 'latin1')).not.toContain('reboot: Power down');
    expect(readFileSync(join(dir, 'b.boot.log'), 'latin1')).toContain('reboot: Power down');
    expect(existsSync(join(dir, 'out/boot.log'))).toBe(false);

    expect(boot(['a.img', ...check, '--log', 'custom/console.txt'], { cwd: dir }).code).toBe(0);
    expect(readFileSync(join(dir, 'custom/console.txt'), 'latin1')).toContain('Run /sbin/init as init process');

    writeFileSync(join(dir, '.mkrootfsrc.yml'), 'outputDir: build-out\n');
    const r = boot(['a.img', ...check], { cwd: dir });
    expect(r.code).toBe(0);
    expect(existsSync(join(dir, 'build-out/a.boot.log'))).toBe(true);
  });

  it('piped stdin reaches the guest console (the README image: exit 0 after the piped poweroff)', () => {
    const r = boot(['rootfs.img', '--timeout', '60'], { input: 'uname -a\npoweroff -f\n' });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/poweroff -f\s+\[ *[\d.]+\] reboot: Power down/);
    expect(r.stderr).toMatch(/boot: ok — guest powered off/);
  });

  it('piped stdin on a console shell runs each line; --send steps still run; end of input does not end the boot', () => {
    const piped = boot(['shell.img', '--timeout', '60'], { input: 'uname -a\necho piped-$((6*7))\npoweroff -f\n' });
    expect(piped.code, piped.stderr).toBe(0);
    expect(piped.stdout).toMatch(/^Linux mkrootfs 6\.12\.\d+ .* openrisc/m);
    expect(piped.stdout).toMatch(/^piped-42\r?$/m);

    // stdin closes at once (EOF); the scripted steps still wait for their text and type theirs.
    const both = boot(['shell.img', '--expect', 'piped-5', '--send', 'echo sent-$((3*3))', '--expect', 'sent-9', '--timeout', '60'], { input: 'echo piped-$((2+3))\n' });
    expect(both.code, both.stderr).toBe(0);
    expect(both.stdout.indexOf('piped-5')).toBeLessThan(both.stdout.lastIndexOf('sent-9'));
  });
});
