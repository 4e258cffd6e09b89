// An error as plain data: what actor events, machine context (snapshots stay serialisable), fallback
// reasons and `--json` reports carry. The one place anything thrown becomes that data.
import { ERROR_CODES, isAcodeError } from './errors.js';

export interface SerializedError {
  code: string;
  message: string;
  hint: string;
  details?: Record<string, unknown>;
}

const BUG_HINT = 'This is a bug in acode. Run again with ACODE_DEBUG=1 and report it.';

/**
 * Anything thrown, as data. AcodeErrors (and data already shaped like one, with a known code) keep
 * their code, message, hint and non-empty details; anything else is INTERNAL.
 */
export function serializeError(error: unknown): SerializedError {
  const shaped = error as Partial<SerializedError> | null | undefined;
  const known =
    isAcodeError(error) ||
    (typeof shaped === 'object' &&
      shaped !== null &&
      typeof shaped.code === 'string' &&
      shaped.code in ERROR_CODES &&
      typeof shaped.message === 'string');
  if (known && shaped) {
    const details = shaped.details && Object.keys(shaped.details).length > 0 ? { details: { ...shaped.details } } : {};
    return { code: shaped.code!, message: shaped.message!, hint: shaped.hint ?? '', ...details };
  }
  const message = error instanceof Error ? error.message : String(error);
  return { code: 'INTERNAL', message: `Unexpected error: ${message}`, hint: BUG_HINT };
}
