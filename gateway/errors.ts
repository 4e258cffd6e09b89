// How an AcodeError travels back to a gateway client: the HTTP status its code stands for, and the
// body each protocol's clients parse (OpenAI: `{"error":{message,type,code}}`, Ollama: `{"error":"..."}`).
// The hint rides along in both, so a client that shows the body shows the fix.
import { AcodeError, isAcodeError, type AcodeErrorCode } from '../config/index.js';

const STATUS: Partial<Record<AcodeErrorCode, number>> = {
  USAGE: 400,
  BAD_REQUEST: 400,
  STRUCTURED_OUTPUT_INVALID: 400,
  CONFIG_INVALID: 400,
  AUTH_FAILED: 401,
  AIRGAP_VIOLATION: 403,
  MODE_FORBIDDEN: 403,
  PROVIDER_UNKNOWN: 404,
  MODEL_NOT_FOUND: 404,
  RESPONSE_TIMEOUT: 504,
  CONNECT_TIMEOUT: 504,
  SERVER_ERROR: 502,
  PROTOCOL_ERROR: 502,
  STREAM_INTERRUPTED: 502,
  INTERNAL: 500,
  ABORTED: 499,
};

/** The HTTP status for an error: a start or load that failed is 503 (try again later), a bad request 4xx. */
export function httpStatusOf(error: unknown): number {
  if (!isAcodeError(error)) return 500;
  if (typeof error.details.httpStatus === 'number') return error.details.httpStatus;
  return STATUS[error.code] ?? 503;
}

/** Anything thrown, as an AcodeError (an unexpected one is INTERNAL, its message kept). */
export function asAcodeError(error: unknown): AcodeError {
  if (isAcodeError(error)) return error;
  return new AcodeError(
    'INTERNAL',
    `The gateway failed: ${error instanceof Error ? error.message : String(error)}`,
    'This is a bug in acode; the gateway log has the details.',
  );
}

export function openAiErrorBody(error: AcodeError): { error: Record<string, unknown> } {
  const status = httpStatusOf(error);
  return {
    error: {
      // Clients show `message` only: the fix rides in it too.
      message: `${error.message} ${error.hint}`.trim(),
      type: status < 500 ? 'invalid_request_error' : 'server_error',
      code: error.code,
      param: null,
      hint: error.hint,
      ...(Array.isArray(error.details.available) ? { available: error.details.available } : {}),
    },
  };
}

export function ollamaErrorBody(error: AcodeError): { error: string; code: string; hint: string } {
  return { error: `${error.message} ${error.hint}`.trim(), code: error.code, hint: error.hint };
}

/** A request the gateway itself refuses: malformed JSON, a missing field, a wrong type. */
export function badRequest(message: string, hint: string): AcodeError {
  return new AcodeError('BAD_REQUEST', message, hint, { details: { httpStatus: 400 } });
}
