/**
 * GitHub Actions workflow commands for failures: with `GITHUB_ACTIONS=true`
 * in the environment, each error is also printed as
 * `::error file=F,line=L,col=C,title=T::message`, which the runner turns into
 * an annotation on that line of the file (in the job summary and the pull
 * request's diff). Recipe errors point at each problem's recipe line; a boot
 * step that failed points at the step's line when the steps came from a
 * recipe (the error's data.pos). Other errors get an annotation with no file.
 *
 * Printed on stderr (the runner reads workflow commands from both streams),
 * so stdout stays clean for --json and `-o -`.
 */
import { isAbsolute, relative, resolve } from 'node:path';
import { MkrootfsError } from '../errors.ts';
import type { SourcePos } from '../recipe/recipe-error.ts';
import type { CliIo } from './io.ts';

export interface Annotation {
  file?: string;
  line?: number;
  col?: number;
  title?: string;
  message: string;
}

export function inGithubActions(env: Record<string, string | undefined>): boolean {
  return env.GITHUB_ACTIONS === 'true';
}

/** One `::error ...::...` line (with its newline). Values are escaped as the runner expects (%, CR, LF; also : and , in properties). */
export function formatAnnotation(a: Annotation): string {
  const props: string[] = [];
  if (a.file !== undefined) props.push(`file=${escapeProperty(a.file)}`);
  if (a.line !== undefined) props.push(`line=${a.line}`);
  if (a.col !== undefined) props.push(`col=${a.col}`);
  if (a.title !== undefined) props.push(`title=${escapeProperty(a.title)}`);
  return `::error${props.length > 0 ? ' ' + props.join(',') : ''}::${escapeData(a.message)}\n`;
}

/** The annotations for an error: one per positioned recipe problem, else one for the error. */
export function annotationsFor(err: unknown, where: { cwd: string; workspace?: string }): Annotation[] {
  const fileOf = (pos: SourcePos): string => {
    const abs = resolve(where.cwd, pos.file);
    const rel = relative(where.workspace ?? where.cwd, abs);
    return rel.startsWith('..') || isAbsolute(rel) ? abs : rel;
  };
  if (!(err instanceof MkrootfsError)) return [{ title: 'mkrootfs: internal error', message: (err as Error)?.message ?? String(err) }];
  const issues = err.data.issues as { code: string; message: string; hint?: string; pos?: SourcePos }[] | undefined;
  if (Array.isArray(issues) && issues.length > 0) {
    return issues.map((i) => ({
      ...(i.pos ? { file: fileOf(i.pos), line: i.pos.line, col: i.pos.col } : {}),
      title: i.code,
      message: i.hint ? `${i.message}\nhint: ${i.hint}` : i.message,
    }));
  }
  const pos = err.data.pos as SourcePos | undefined;
  return [{
    ...(pos ? { file: fileOf(pos), line: pos.line, col: pos.col } : {}),
    title: err.code,
    message: err.hint ? `${err.message}\nhint: ${err.hint}` : err.message,
  }];
}

/** Prints the error's annotations on stderr when running in GitHub Actions. */
export function annotateError(err: unknown, io: CliIo): void {
  if (!inGithubActions(io.env)) return;
  for (const a of annotationsFor(err, { cwd: io.cwd, workspace: io.env.GITHUB_WORKSPACE })) io.stderr.write(formatAnnotation(a));
}

function escapeData(s: string): string {
  return s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

function escapeProperty(s: string): string {
  return escapeData(s).replace(/:/g, '%3A').replace(/,/g, '%2C');
}
