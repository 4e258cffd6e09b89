// How a request ends badly: which failures let the next provider be tried, how a passed-over provider is
// reported, the error when the retries are spent, and the one error raised when nothing allowed is left.
import { AcodeError, isAcodeError, serializeError, type AcodeErrorCode } from '../config/index.js';
import type { Refusal } from './selector.js';

/** Why a provider did not answer. */
export interface FallbackReason {
  id: string;
  code: string;
  message: string;
  hint?: string;
}

// Errors that say nothing about the provider: trying another one would not help.
const NOT_A_PROVIDER_FAULT: readonly AcodeErrorCode[] = [
  'ABORTED',
  'USAGE',
  'INTERNAL',
  'BAD_REQUEST',
  'PROVIDER_UNKNOWN',
  'CONFIG_INVALID',
  'CONFIG_NOT_FOUND',
  'CONFIG_SECRET',
  'CONFIG_WRITE_FAILED',
  'STRUCTURED_OUTPUT_INVALID',
];

/** Whether a failure of one provider lets the next one in the fallback order be tried. */
export function allowsFallback(error: unknown): boolean {
  return isAcodeError(error) && !NOT_A_PROVIDER_FAULT.includes(error.code);
}

export function reasonOf(id: string, error: unknown): FallbackReason {
  const { code, message, hint } = serializeError(error);
  return { id, code, message, hint };
}

// One line per provider: `vllm (PORT_IN_USE): port 8000 is held by ...` (the "vllm: " most messages
// start with is not repeated).
function reasonLine(r: FallbackReason): string {
  const message = r.message.startsWith(`${r.id}: `) ? r.message.slice(r.id.length + 2) : r.message;
  return `  ${r.id} (${r.code}): ${message}`;
}

/**
 * Every provider tried failed: one error that keeps each one's reason, one line each. The code and hint
 * are the first provider's (the one the user chose, so the one they most likely mean to fix).
 */
export function allFailed(reasons: readonly FallbackReason[], cause: unknown): AcodeError {
  const [first] = reasons;
  if (first === undefined)
    throw new AcodeError('INTERNAL', 'allFailed() without a reason.', 'This is a bug in acode; report it.');
  if (reasons.length === 1)
    return isAcodeError(cause)
      ? cause
      : new AcodeError(first.code as AcodeErrorCode, first.message, first.hint ?? '', { cause });
  return new AcodeError(
    first.code as AcodeErrorCode,
    `No provider could answer (${reasons.length} tried):\n${reasons.map(reasonLine).join('\n')}`,
    first.hint ?? 'Fix the first provider listed, or configure another under fallback: in .agent/config.yml.',
    { cause, details: { provider: first.id, fallbacks: reasons } },
  );
}

/**
 * Nothing allowed is left. With providers tried (by this call or, `earlier`, by the caller), every one's
 * reason and every refusal; with none tried, the refusals say why none qualified.
 */
export function noneLeft(
  firstError: unknown,
  tried: readonly FallbackReason[],
  refused: readonly Refusal[],
): AcodeError {
  if (tried.length > 0) {
    return allFailed([...tried, ...refused.map((r) => ({ id: r.id, code: r.code, message: r.reason }))], firstError);
  }
  const first = refused[0];
  const why = refused.map((r) => r.reason).join('; ');
  return new AcodeError(
    first?.code ?? 'PROVIDER_UNAVAILABLE',
    `No configured provider can take this request${why ? `: ${why}` : ''}.`,
    'Configure a provider that fits (providers: and fallback: in .agent/config.yml), or change mode:.',
    { details: { refused } },
  );
}

/**
 * The error that ends the retries: the last one, with a hint that no longer promises a retry (the
 * adapter's STREAM_INTERRUPTED hint says acode retries, which was true until now).
 */
export function gaveUp(error: unknown, provider: string, retries: number): unknown {
  if (!isAcodeError(error)) return error;
  return new AcodeError(
    error.code,
    `${error.message} acode gave up after ${retries} ${retries === 1 ? 'retry' : 'retries'}.`,
    `The server went away or could not be reached ${retries + 1} times during this request; see why with \`acode providers status ${provider}\` and its log, then ask again.`,
    { cause: error, details: { ...error.details, retries } },
  );
}
