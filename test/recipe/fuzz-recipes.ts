/**
 * Recipe fuzzing, run as its own process by fuzz.test.ts (so that a hang or
 * an exhausted heap shows as that process failing):
 *
 *   node --import tsx --max-old-space-size=384 test/recipe/fuzz-recipes.ts SEED COUNT
 *
 * Mutates a corpus of valid recipes — characters, YAML structure, variables,
 * aliases, sizes, modes, owners, epochs, and host paths that are FIFOs,
 * /dev/zero or inputs of the build — deterministically from SEED, and runs
 * each through the whole build (recipe → tree → image). Every case must end
 * in a valid image (checked with e2fsck -fn) or a coded MkrootfsError with
 * exit code 1 or 2: never an internal error. Prints a JSON summary on stdout;
 * the case in progress goes to stderr first, so a crash names it.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MkrootfsError } from '../../src/errors.ts';
import { buildFromRecipe, loadRecipe } from '../../src/pipeline.ts';
import { parseImageSize } from '../../src/tree/size.ts';

const seed = Number(process.argv[2] ?? 1);
const count = Number(process.argv[3] ?? 100);

/** xorshift32: the only source of randomness. */
function rng(s: number): () => number {
  let x = (s >>> 0) || 0x9e3779b9;
  return () => {
    x ^= x << 13; x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5; x >>>= 0;
    return x / 2 ** 32;
  };
}

// ---- the project every case builds in: host inputs of every kind ----

const top = mkdtempSync(join(tmpdir(), 'mkrootfs-fuzz-'));
// Nested, so that a mutated "../.." still lands in our own directories.
const dir = join(top, 'a/b/c/project');
mkdirSync(join(dir, 'tree/etc'), { recursive: true });
mkdirSync(join(dir, 'tree/bin'));
writeFileSync(join(dir, 'tree/etc/hostname'), 'fuzz\n');
writeFileSync(join(dir, 'tree/bin/tool'), Buffer.alloc(20_000, 7));
symlinkSync('tool', join(dir, 'tree/bin/alias'));
execFileSync('mkfifo', [join(dir, 'tree/bin/pipe')]);
mkdirSync(join(dir, 'tarsrc/usr'), { recursive: true });
writeFileSync(join(dir, 'tarsrc/usr/data'), 'tar data\n');
execFileSync('tar', ['cf', join(dir, 'layer.tar'), '-C', join(dir, 'tarsrc'), '.']);
execFileSync('tar', ['czf', join(dir, 'layer.tgz'), '-C', join(dir, 'tarsrc'), '.']);
writeFileSync(join(dir, 'motd'), 'welcome\n');
writeFileSync(join(dir, 'devices.txt'), '/dev d 755 0 0 - - - - -\n/dev/tty c 666 0 0 5 0 - - -\n/dev/ttyS c 600 0 0 4 64 0 1 3\n');
writeFileSync(join(dir, 'base.yml'), 'hostname: base\nmounts:\n  - { device: proc, path: /proc, type: proc }\n');
writeFileSync(join(dir, 'prog.c'), 'int main(void) { return 0; }\n');
execFileSync('mkfifo', [join(dir, 'fifo')]);
symlinkSync('/dev/zero', join(dir, 'zero'));
mkdirSync(join(dir, 'out'));

const CORPUS = [
  `vars:\n  name: { env: FUZZ_NAME, default: box }\n  dir: tree\nimage:\n  size: "+2M"\n  label: fuzz\nlayers:\n  - source: \${dir}\n  - source: layer.tar\n    dest: /opt\nhostname: \${name}\n`,
  `include: [base.yml]\nfiles:\n  - { path: /etc/motd, source: motd, mode: "0644" }\n  - { path: /etc/issue, content: "hello \${who}\\n" }\nvars:\n  who: world\ndirs:\n  - { path: /var/log, mode: "0755" }\nsymlinks:\n  - { path: /bin/sh, target: busybox }\n`,
  `users:\n  - { name: root, uid: 0, gid: 0, home: /root }\n  - { name: app, uid: 1000, groups: [wheel] }\ngroups:\n  - { name: wheel, gid: 10 }\ndirs:\n  - { path: /srv, uid: app, gid: wheel, mode: "0750" }\nfiles:\n  - { path: /srv/x, content: x, uid: app }\n`,
  `devices:\n  - { path: /dev/console, type: char, major: 5, minor: 1, mode: "0600" }\n  - { path: /dev/sda, type: block, major: 8, minor: 0 }\n  - { path: /run/fifo, type: fifo }\ndeviceTable: devices.txt\nhardlinks:\n  - { path: /etc/h2, target: /etc/h1 }\nfiles:\n  - { path: /etc/h1, content: linked }\n`,
  `image: { size: "8M", blockSize: 1024, inodes: 200, reservedPercent: 0 }\nlayers:\n  - { source: layer.tgz, owner: "1:2" }\n  - { source: tree, dest: /t, owner: keep }\ninit:\n  rcS: |\n    #!/bin/sh\n    echo up\n  shell: respawn\nmounts:\n  - { device: tmpfs, path: /tmp, type: tmpfs, options: "mode=1777", mode: "1777" }\n`,
  `programs:\n  - { path: /usr/bin/prog, sources: [prog.c], cflags: ["-O2"] }\nhostname: prog\nboot:\n  expect: ["login"]\n  timeout: 5\n`,
  `files:\n  - { path: /x, content: &c "x" }\nsymlinks:\n  - { path: /y, target: *c }\nvars:\n  v: "\${w}\${w}"\n  w: "ab"\nhostname: "h-\${v}"\n`,
];

/** Pieces mutations splice in: YAML syntax, hostile values, hostile host paths. */
const FRAGMENTS = [
  ':', '- ', '[', ']', '{', '}', '&a ', '*a', '!!str ', '|', '>', '"', "'", '#', '\n', '  ', '\t', ',', '? ', '---\n', '...\n', '%YAML 1.2\n',
  '${v}', '${w}${w}${w}${w}', '$${', '${guest.kernel}', '${nope}', '${', '}',
  'fifo', 'zero', '/dev/zero', 'tree', 'layer.tar', 'base.yml', 'recipe.yml', 'motd', 'devices.txt', 'out', '.', '..', '/',
  '0755', '"0755"', '"9999"', '4294967296', '-1', '1e308', '18446744073709551616', '0x10', 'NaN', '.inf', 'null', '~', 'true',
  '"8T"', '"17T"', '"+1E"', '"0"', '"auto"', '"+999999999999G"', '"-5M"', '"64K"', '1024', '2048', '3000',
  '\u00e9', '\u{1F600}', '\uFFFD', '\0', 'x'.repeat(300), '/a/'.repeat(50), 'keep', 'root', '"65536:0"',
];
const SECTIONS = [
  'layers:\n  - source: fifo\n', 'layers:\n  - source: zero\n', 'include: [fifo]\n', 'include: [zero]\n', 'include: [recipe.yml]\n',
  'files:\n  - { path: /f, source: fifo }\n', 'deviceTable: zero\n', 'users:\n  - uid: 5\n', 'files:\n  - { path: /g, content: x, uid: nobody }\n',
  'vars:\n  v: "${w}${w}"\n  w: "${v}"\n', 'image: { size: "8T" }\n', 'image: { size: "+1M", inodes: 1 }\n', 'hardlinks:\n  - { path: /h, target: /missing }\n',
  `b: &b [*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c]\ne: [*d,*d,*d,*d,*d,*d,*d,*d]\n`,
  `x: ${'['.repeat(200)}${']'.repeat(200)}\n`, `vars:\n${Array.from({ length: 30 }, (_, i) => `  d${i}: "\${d${i + 1}}\${d${i + 1}}"`).join('\n')}\n  d30: "xxxxxxxx"\nhostname: \${d0}\n`,
  'symlinks:\n  - { path: /l, target: "' + 'y'.repeat(5000) + '" }\n', 'dirs:\n  - { path: "/' + 'n'.repeat(300) + '" }\n', 'mounts:\n  - { device: proc, path: /proc/../.., type: proc }\n',
];

/** Plausible values and sections: mutants made of these alone mostly build, and exercise the writer. */
const BENIGN_VALUES = ['"0700"', '"4755"', '"1777"', '/new/path', '/a/b/c/d', '"16M"', '"+1M"', '"auto"', 'keep', '"7:7"', '42', '0', 'tree', 'layer.tgz', 'motd', '"text with ${who}"', 'x', '"\u00e9t\u00e9"'];
const BENIGN_SECTIONS = [
  'dirs:\n  - { path: /data/deep/er, mode: "0711", uid: 3, gid: 4 }\n', 'files:\n  - { path: /big, content: "' + 'z'.repeat(70_000) + '" }\n',
  'symlinks:\n  - { path: /long, target: "' + 't'.repeat(200) + '" }\n', 'devices:\n  - { path: /dev/big, type: block, major: 4095, minor: 1048575 }\n',
  'layers:\n  - { source: layer.tar, dest: /again }\n', 'image: { blockSize: 2048 }\n', 'image: { reservedPercent: 50, label: "0123456789abcdef" }\n',
];

/** A map key: bounded and anchored at a word start (a plain \w+ backtracks quadratically over a 70 KB value). */
const KEY = /(?<!\w)(\w{1,40}): /g;

function mutate(text: string, r: () => number): string {
  const pick = <T>(a: readonly T[]): T => a[Math.floor(r() * a.length)]!;
  const at = (): number => Math.floor(r() * (text.length + 1));
  const steps = 1 + Math.floor(r() * 3);
  // A third of the mutants use plausible changes only, so that many get as far as the writer.
  const benign = r() < 0.35;
  for (let s = 0; s < steps; s++) {
    const roll = r();
    const op = benign || roll < 0.3 ? 8 + Math.floor(r() * 2) : roll < 0.6 ? [4, 5, 5, 7][Math.floor(r() * 4)]! : Math.floor(r() * 8);
    if (op === 8) {
      const keys = [...text.matchAll(KEY)];
      if (keys.length > 0) {
        const m = pick(keys);
        const start = m.index! + m[0].length;
        const end = text.slice(start).search(/[,}\n]/);
        text = text.slice(0, start) + pick(BENIGN_VALUES) + text.slice(end < 0 ? text.length : start + end);
      }
    } else if (op === 9) {
      const section = pick(BENIGN_SECTIONS);
      if (!text.startsWith(section.slice(0, section.indexOf(':') + 1)) && !text.includes(`\n${section.slice(0, section.indexOf(':') + 1)}`)) text += section;
    }
    else if (op === 0) { const i = at(); text = text.slice(0, i) + pick(FRAGMENTS) + text.slice(i); }
    else if (op === 1) { const i = at(); text = text.slice(0, i) + text.slice(i + 1 + Math.floor(r() * 8)); }
    else if (op === 2) { const i = at(); text = text.slice(0, i) + String.fromCharCode(32 + Math.floor(r() * 95)) + text.slice(i + 1); }
    else if (op === 3) { const i = at(); const n = Math.floor(r() * 40); text = text.slice(0, i) + text.slice(i, i + n) + text.slice(i); }
    else if (op === 4) { text += pick(SECTIONS); }
    else if (op === 5) {
      // Replace one value after a key with a hostile one.
      const keys = [...text.matchAll(KEY)];
      if (keys.length > 0) {
        const m = pick(keys);
        const start = m.index! + m[0].length;
        const end = text.slice(start).search(/[,}\n]/);
        text = text.slice(0, start) + pick(FRAGMENTS) + text.slice(end < 0 ? text.length : start + end);
      }
    } else if (op === 6) { const lines = text.split('\n'); const i = Math.floor(r() * lines.length); lines.splice(i, 0, lines[Math.floor(r() * lines.length)]!); text = lines.join('\n'); }
    else { text = pick(SECTIONS) + text; }
  }
  return text;
}

const EPOCHS = [undefined, '', '0', '1700000000', '4294967296', '15032385535'];
const BAD_EPOCHS = ['15032385536', '99999999999', '-1', 'abc', '1e9'];

interface Failure { case: number; recipe: string; epoch?: string; error: string }
const failures: Failure[] = [];
const outcomes: Record<string, number> = {};
const msByOutcome: Record<string, number> = {};
let maxMs = 0;
let maxCase = -1;
let peakRss = 0;
let images = 0;
let skipped = 0;
const r = rng(seed);

for (let i = 0; i < count; i++) {
  // The corpus itself first (each must build), then mutants.
  const recipe = i < CORPUS.length ? CORPUS[i]! : mutate(CORPUS[Math.floor(r() * CORPUS.length)]!, r);
  const epoch = i < CORPUS.length ? '1700000000' : r() < 0.85 ? EPOCHS[Math.floor(r() * EPOCHS.length)] : BAD_EPOCHS[Math.floor(r() * BAD_EPOCHS.length)];
  writeFileSync(join(dir, 'recipe.yml'), recipe);
  process.stderr.write(`case ${i}\n`);
  const env: Record<string, string> = epoch === undefined ? {} : { SOURCE_DATE_EPOCH: epoch };
  const common = {
    recipePath: 'recipe.yml', cwd: dir, env,
    guestVar: async (key: string): Promise<string> => { throw new MkrootfsError({ code: 'GUEST_UNAVAILABLE', message: `no guest ${key} in the fuzzer`, exitCode: 2 }); },
  };
  const output = join(dir, 'out', 'fuzz.img');
  const t0 = performance.now();
  let outcome: string;
  try {
    // Bounded work: a huge image size is checked (sizing) by the writer only up to 64 MiB; larger ones build as "auto".
    const loaded = await loadRecipe(common);
    const size = loaded.recipe.image.size ?? 'auto';
    const spec = parseImageSize(size, 'image.size');
    const big = spec.kind !== 'auto' && spec.bytes > 64 << 20;
    // Host paths outside the project (a mutated "/" or "../../..") are not walked.
    const outside = loaded.recipe.layers.some((l) => !l.source.startsWith(dir + '/') && l.source !== '/dev/zero' && !l.source.startsWith(top));
    if (outside) { skipped++; continue; }
    const summary = await buildFromRecipe({
      ...common, output,
      image: big ? { size: 'auto' } : {},
      compile: async ({ output: prog }) => { writeFileSync(prog, 'not really compiled\n'); },
    });
    const fsck = spawnSync('e2fsck', ['-fn', summary.path], { encoding: 'utf8' });
    if (fsck.status !== 0) throw new Error(`e2fsck -fn exited ${fsck.status}: ${fsck.stdout.slice(0, 2000)}`);
    images++;
    outcome = 'image';
  } catch (err) {
    if (i < CORPUS.length) failures.push({ case: i, recipe, error: `corpus recipe did not build: ${(err as Error).message.slice(0, 2000)}` });
    if (err instanceof MkrootfsError && /^[A-Z][A-Z0-9_]+$/.test(err.code) && err.code !== 'INTERNAL' && (err.exitCode === 1 || err.exitCode === 2)) {
      outcome = err.code;
    } else {
      outcome = 'FAILURE';
      failures.push({ case: i, recipe: recipe.slice(0, 4000), epoch, error: `${(err as Error)?.constructor?.name}: ${(err as Error)?.message?.slice(0, 2000) ?? String(err)}` });
    }
  }
  const ms = performance.now() - t0;
  if (ms > maxMs) { maxMs = ms; maxCase = i; }
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
  outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
  msByOutcome[outcome] = (msByOutcome[outcome] ?? 0) + Math.round(ms);
  rmSync(output, { force: true });
}

rmSync(top, { recursive: true, force: true });
process.stdout.write(JSON.stringify({ seed, count, images, skipped, outcomes, maxMs: Math.round(maxMs), maxCase, msByOutcome, peakRssMiB: Math.round(peakRss / 1048576), failures }) + '\n');
