// Falling back: which failures let the next provider be tried, how a passed-over provider is reported,
// and the one error raised when nothing allowed is left.
import { AcodeError, isAcodeError, type AcodeErrorCode } from '../config/index.js';

/** Why a provider did not answer. */
export interface FallbackReason {
  id: string;
  code: string;
  message: string;
  hint?: string;
}

// Errors that say nothing about the provider: trying another one would not help.
const NOT_A_PROVIDER_FAULT: readonly AcodeErrorCode[] = ['ABORTED', 'USAGE', 'INTERNAL', 'BAD_REQUEST', 'PROVIDER_UNKNOWN',
  'CONFIG_INVALID', 'CONFIG_NOT_FOUND', 'CONFIG_SECRET', 'CONFIG_WRITE_FAILED', 'STRUCTURED_OUTPUT_INVALID'];

/** Whether a failure of one provider lets the next one in the fallback order be tried. */
export function allowsFallback(error: unknown): boolean {
  return isAcodeError(error) && !NOT_A_PROVIDER_FAULT.includes(error.code);
}

export function reasonOf(id: string, error: unknown): FallbackReason {
  if (isAcodeError(error)) return { id, code: error.code, message: error.message, hint: error.hint };
  return { id, code: 'INTERNAL', message: error instanceof Error ? error.message : String(error) };
}

// Nothing allowed is left: the first provider's own error says the most; refusals say why none qualified.
export function noneLeft(firstError: unknown, fallbacks: FallbackReason[], refused: { id: string; code: AcodeErrorCode; reason: string }[]): AcodeError {
  if (isAcodeError(firstError)) {
    if (fallbacks.length <= 1) return firstError;
    const tried = fallbacks.map((f) => `${f.id} (${f.code})`).join(', ');
    return new AcodeError(firstError.code, `${firstError.message} No fallback answered either: ${tried}.`, firstError.hint,
      { cause: firstError, details: { ...firstError.details, fallbacks } });
  }
  const first = refused[0];
  const why = refused.map((r) => r.reason).join('; ');
  return new AcodeError(first?.code ?? 'PROVIDER_UNAVAILABLE', `No configured provider can take this request${why ? `: ${why}` : ''}.`,
    'Configure a provider that fits (providers: and fallback: in .agent/config.yml), or change mode:.', { details: { refused } });
}
