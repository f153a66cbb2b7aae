import { describe, expect, it } from 'vitest';
import { PassThrough } from 'node:stream';
import { formatAnnotation, annotationsFor, annotateError } from '../../src/cli/github-annotations.ts';
import { MkrootfsError, usageError } from '../../src/errors.ts';
import { RecipeError } from '../../src/recipe/recipe-error.ts';

describe('GitHub Actions ::error annotations', () => {
  it('escapes data (%, CR, LF) and properties (also : and ,) as the runner expects', () => {
    expect(formatAnnotation({ file: 'a,b:c.yml', line: 3, col: 7, title: 'T', message: '50%\r\nnext' }))
      .toBe('::error file=a%2Cb%3Ac.yml,line=3,col=7,title=T::50%25%0D%0Anext\n');
    expect(formatAnnotation({ message: 'plain' })).toBe('::error::plain\n');
  });

  it('one annotation per recipe problem, at its line, the file relative to the workspace', () => {
    const err = new RecipeError([
      { code: 'RECIPE_UNKNOWN_KEY', message: 'unknown key "pth"', hint: 'did you mean "path"?', pos: { file: 'recipes/r.yml', line: 5, col: 7 } },
      { code: 'RECIPE_EMPTY', message: 'no position' },
    ], new Map());
    expect(annotationsFor(err, { cwd: '/ws/sub', workspace: '/ws' })).toEqual([
      { file: 'sub/recipes/r.yml', line: 5, col: 7, title: 'RECIPE_UNKNOWN_KEY', message: 'unknown key "pth"\nhint: did you mean "path"?' },
      { title: 'RECIPE_EMPTY', message: 'no position' },
    ]);
  });

  it('an error with data.pos (a failed boot step from a recipe) points at that line', () => {
    const err = new MkrootfsError({ code: 'BOOT_TIMEOUT', message: 'timed out', exitCode: 124, data: { pos: { file: '/ws/r.yml', line: 9, col: 7 } } });
    expect(annotationsFor(err, { cwd: '/ws' })).toEqual([{ file: 'r.yml', line: 9, col: 7, title: 'BOOT_TIMEOUT', message: 'timed out' }]);
  });

  it('prints on stderr only when GITHUB_ACTIONS=true', () => {
    for (const [env, expected] of [[{ GITHUB_ACTIONS: 'true' }, '::error title=BAD::bad%0Ahint: fix\n'], [{}, ''], [{ GITHUB_ACTIONS: 'false' }, '']] as const) {
      const stderr = new PassThrough();
      let text = '';
      stderr.on('data', (d) => { text += String(d); });
      annotateError(usageError('BAD', 'bad', 'fix'), { stdout: new PassThrough(), stderr, stdin: new PassThrough(), env, cwd: '/' });
      expect(text).toBe(expected);
    }
  });
});
