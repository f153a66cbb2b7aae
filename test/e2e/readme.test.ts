/**
 * README examples are tested: every command in a README code block marked
 * `<!-- test -->` runs, in README order, in one scratch directory (with the
 * checkout's recipes/ linked in, `mkrootfs` and `boot` on PATH, stdin from
 * /dev/null, through bash so pipes and && work), and must exit 0. A line is
 * `COMMAND  description`: the description starts at the first run of two or
 * more spaces outside quotes. The guest comes from the cache (never rebuilt);
 * the images are built once by the first commands and shared by the rest.
 * Run: npx vitest run --project e2e test/e2e/readme.test.ts
 */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** The commands of the README's `<!-- test -->` blocks, in order. */
export function readmeCommands(markdown: string): string[] {
  const lines = markdown.split('\n');
  const commands: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (lines[i]!.trim() !== '<!-- test -->') continue;
    let j = i + 1;
    while (j < lines.length && lines[j]!.trim() === '') j++;
    if (!lines[j]?.startsWith('```')) throw new Error(`README.md:${i + 1}: <!-- test --> is not followed by a code block`);
    for (j++; j < lines.length && !lines[j]!.startsWith('```'); j++) {
      const cmd = commandOf(lines[j]!);
      if (cmd !== '') commands.push(cmd);
    }
  }
  return commands;
}

/** The command part of `COMMAND   description` (two or more spaces outside quotes start the description). */
function commandOf(line: string): string {
  let quote = '';
  for (let k = 0; k < line.length; k++) {
    const c = line[k]!;
    if (quote) {
      if (c === quote) quote = '';
    } else if (c === '"' || c === '\'') {
      quote = c;
    } else if (c === ' ' && line[k + 1] === ' ') {
      return line.slice(0, k).trim();
    }
  }
  return line.trim();
}

const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
const commands = readmeCommands(readme);

// The scratch directory: recipes/ from the checkout, a package.json that ends the
// search for .mkrootfsrc.yml, and the two commands on PATH as a user has them.
const work = mkdtempSync(join(tmpdir(), 'readme-'));
symlinkSync(join(ROOT, 'recipes'), join(work, 'recipes'));
writeFileSync(join(work, 'package.json'), '{}\n');
const bin = join(work, '.bin');
mkdirSync(bin);
symlinkSync(join(ROOT, 'bin/mkrootfs.js'), join(bin, 'mkrootfs'));
symlinkSync(join(ROOT, 'bin/boot.js'), join(bin, 'boot'));

describe('README examples', () => {
  it('finds the marked blocks, and the commands the README promises work', () => {
    expect(commands.length).toBeGreaterThanOrEqual(8);
    expect(commands).toContain('boot out/rootfs.img --expect "Please press Enter to activate this console." --timeout 30');
    expect(commandOf('boot a.img --expect "two  spaces"   the description')).toBe('boot a.img --expect "two  spaces"');
  });

  for (const [i, cmd] of commands.entries()) {
    it(`${i + 1}: ${cmd}`, () => {
      const r = spawnSync('bash', ['-c', cmd, 'readme'], {
        cwd: work, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 << 20, timeout: 300_000,
        env: { ...process.env, PATH: `${bin}:${process.env.PATH}`, GITHUB_ACTIONS: '' },
      });
      expect(r.status, `${cmd}\n--- stdout (tail)\n${r.stdout.slice(-1500)}\n--- stderr (tail)\n${r.stderr.slice(-3000)}`).toBe(0);
    });
  }
});
