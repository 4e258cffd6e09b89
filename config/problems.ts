// One shape for everything wrong with a config file, and the errors that carry a list of them.
import { AcodeError } from './errors.js';

export interface ConfigProblem {
  file: string;
  line: number;
  column: number;
  /** Dotted key path, e.g. providers.vllm.port. */
  path: string;
  /** What is wrong and what is allowed. */
  message: string;
}

/** `file:line:column: path: message`, the form editors and terminals turn into links. */
export function formatProblem(problem: ConfigProblem): string {
  return `${problem.file}:${problem.line}:${problem.column}: ${problem.path}: ${problem.message}`;
}

function listing(problems: readonly ConfigProblem[]): string {
  return problems.map((p) => `  ${formatProblem(p)}`).join('\n');
}

function sorted(problems: readonly ConfigProblem[]): ConfigProblem[] {
  return [...problems].sort((a, b) => a.line - b.line || a.column - b.column);
}

export function configInvalidError(file: string, problems: readonly ConfigProblem[]): AcodeError {
  const errors = sorted(problems);
  const count = errors.length === 1 ? '1 problem' : `${errors.length} problems`;
  return new AcodeError(
    'CONFIG_INVALID',
    `${file} is not valid (${count}):\n${listing(errors)}`,
    'Fix the keys listed above, then run `acode config validate` to check again.',
    { details: { file, errors } },
  );
}

export function configSecretError(
  file: string,
  problems: readonly ConfigProblem[],
  envVars: readonly string[],
): AcodeError {
  const errors = sorted(problems);
  const names = [...new Set(envVars)].join(', ');
  return new AcodeError(
    'CONFIG_SECRET',
    `${file} contains secrets, which acode never reads from a file:\n${listing(errors)}`,
    `Delete these keys and export the secret in your environment instead (${names}); acode passes it to the server.`,
    { details: { file, errors, env: [...new Set(envVars)] } },
  );
}
