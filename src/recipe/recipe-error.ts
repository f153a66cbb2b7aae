/**
 * Positioned recipe problems. Loading a recipe collects every problem it finds
 * (RecipeIssue) and throws them together as one RecipeError, whose message
 * lists each as `file:line:col: message`, a code frame and a hint.
 */
import { MkrootfsError, ExitCode } from '../errors.ts';
import { codeFrame, lineColAt } from './code-frame.ts';

export interface SourcePos {
  file: string;
  /** 1-based. */
  line: number;
  /** 1-based. */
  col: number;
}

export interface RecipeIssue {
  /** Stable identifier, e.g. RECIPE_UNKNOWN_KEY. */
  code: string;
  message: string;
  hint?: string;
  pos?: SourcePos;
}

/** The texts of the files problems point into, for code frames. */
export type SourceTexts = ReadonlyMap<string, string>;

export class RecipeError extends MkrootfsError {
  readonly issues: readonly RecipeIssue[];

  constructor(issues: RecipeIssue[], sources: SourceTexts) {
    const sorted = sortIssues(issues);
    super({
      code: sorted.length === 1 ? sorted[0]!.code : 'RECIPE_INVALID',
      message: renderIssues(sorted, sources),
      data: { issues: sorted },
      exitCode: ExitCode.usage,
    });
    this.name = 'RecipeError';
    this.issues = sorted;
  }
}

/** Issues in file, line, column order (stable for equal positions). */
export function sortIssues(issues: readonly RecipeIssue[]): RecipeIssue[] {
  return issues
    .map((issue, i) => ({ issue, i }))
    .sort((a, b) => {
      const pa = a.issue.pos, pb = b.issue.pos;
      if (pa && pb) {
        if (pa.file !== pb.file) return pa.file < pb.file ? -1 : 1;
        if (pa.line !== pb.line) return pa.line - pb.line;
        if (pa.col !== pb.col) return pa.col - pb.col;
      } else if (pa || pb) {
        return pa ? -1 : 1;
      }
      return a.i - b.i;
    })
    .map((x) => x.issue);
}

export function formatPos(pos: SourcePos): string {
  return `${pos.file}:${pos.line}:${pos.col}`;
}

export function renderIssue(issue: RecipeIssue, sources: SourceTexts): string {
  const lines: string[] = [];
  const where = issue.pos ? formatPos(issue.pos) + ': ' : '';
  lines.push(`${where}${issue.message}`);
  const text = issue.pos ? sources.get(issue.pos.file) : undefined;
  if (issue.pos && text !== undefined) lines.push(indent(codeFrame(text, issue.pos.line, issue.pos.col), '  '));
  if (issue.hint) lines.push(`  hint: ${issue.hint}`);
  return lines.join('\n');
}

/** Most problems rendered in a message (all of them stay in `issues` and `data`). */
export const MAX_RENDERED_ISSUES = 50;

export function renderIssues(issues: readonly RecipeIssue[], sources: SourceTexts): string {
  const shown = issues.slice(0, MAX_RENDERED_ISSUES);
  let body = shown.map((i) => renderIssue(i, sources)).join('\n\n');
  if (issues.length > shown.length) body += `\n\n... and ${issues.length - shown.length} more`;
  return issues.length === 1 ? body : `${issues.length} problems in the recipe:\n\n${body}`;
}

/** A position at a 0-based offset of a file whose text is known. */
export function posAt(file: string, text: string, offset: number): SourcePos {
  const { line, col } = lineColAt(text, offset);
  return { file, line, col };
}

function indent(s: string, by: string): string {
  return s.split('\n').map((l) => by + l).join('\n');
}
