// The one place an error reaches the user: `error[CODE]: message`, `hint: ...` on stderr, and the
// exit code of its class. The stack trace (with causes) only with ACODE_DEBUG=1.
import { exitCodeFor, redact, toAcodeError, type Env } from '../../config/index.js';
import type { Output } from './types.js';

function stackOf(error: unknown): string {
  const lines: string[] = [];
  const seen = new Set<unknown>();
  let current: unknown = error;
  while (current instanceof Error && !seen.has(current)) {
    seen.add(current);
    lines.push(
      lines.length === 0 ? (current.stack ?? String(current)) : `caused by: ${current.stack ?? String(current)}`,
    );
    current = current.cause;
  }
  return lines.join('\n');
}

// A server that exited leaves the lines of its log that say why (details.logExcerpt): shown under the
// message, since text mode has no other place where the user would see them.
function logExcerptOf(details: Record<string, unknown>): string[] {
  const excerpt = details.logExcerpt;
  return Array.isArray(excerpt) ? excerpt.filter((l): l is string => typeof l === 'string').map((l) => `  > ${l}`) : [];
}

/** Prints `error` and returns the process exit code for it. */
export function printError(error: unknown, { stderr, env }: { stderr: Output; env: Env }): number {
  const err = toAcodeError(error);
  const text = [`error[${err.code}]: ${err.message}`, ...logExcerptOf(err.details), `hint: ${err.hint}`];
  if (env.ACODE_DEBUG === '1') text.push(stackOf(error));
  stderr.write(`${redact(text.join('\n'), env)}\n`);
  return exitCodeFor(err);
}
