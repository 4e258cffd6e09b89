import { isAcodeError, parseConfig, type AcodeError, type ConfigProblem } from '../../config/index.js';

export const FILE = '/project/.agent/config.yml';

/** The AcodeError thrown by parsing `text` (fails the test when nothing is thrown). */
export function parseError(text: string): AcodeError {
  try {
    parseConfig(text, FILE);
  } catch (error) {
    if (isAcodeError(error)) return error;
    throw error;
  }
  throw new Error('expected parseConfig to throw');
}

export function problems(text: string): ConfigProblem[] {
  return parseError(text).details.errors as ConfigProblem[];
}

/** The only problem for `path`; fails when there is none or more than one. */
export function problemAt(text: string, path: string): ConfigProblem {
  const error = parseError(text);
  if (error.code !== 'CONFIG_INVALID') throw new Error(`expected CONFIG_INVALID, got ${error.code}`);
  if (!error.hint.includes('acode config validate')) throw new Error(`unexpected hint: ${error.hint}`);
  const found = (error.details.errors as ConfigProblem[]).filter((p) => p.path === path);
  if (found.length !== 1)
    throw new Error(`expected one problem at ${path}, got ${JSON.stringify(error.details.errors)}`);
  if (!error.message.includes(`${FILE}:${found[0]!.line}:${found[0]!.column}: ${path}: `))
    throw new Error('message does not list the problem');
  return found[0]!;
}
