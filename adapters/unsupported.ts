// A server that says it cannot do what was asked (llama-server's 501 not_supported_error, a 400 such as
// Ollama's `does not support insert`): a BAD_REQUEST naming the provider, what it cannot do, the
// server's own words and how to get it, rather than a SERVER_ERROR a client would retry.
import { AcodeError, isAcodeError } from '../config/index.js';

export function unsupported(error: unknown, provider: string, what: string, hint: string): unknown {
  if (!isAcodeError(error) || (error.code !== 'BAD_REQUEST' && error.details.status !== 501)) return error;
  const serverMessage = typeof error.details.serverMessage === 'string' ? error.details.serverMessage : error.message;
  return new AcodeError('BAD_REQUEST', `${provider} cannot ${what}: ${serverMessage}`, hint, {
    cause: error,
    details: { ...error.details, provider, serverMessage, httpStatus: 400 },
  });
}
