// PROVIDER_UNKNOWN, built in one place: an id (from the command line, ACODE_PROVIDER or a request)
// that names no configured provider.
import { AcodeError } from './errors.js';
import { didYouMean } from './suggest.js';

export interface ProviderUnknownContext {
  /** The config file the ids come from, named in the message when known. */
  file?: string;
  /** The environment variable the id came from (ACODE_PROVIDER); the hint then says how to fix it. */
  env?: string;
}

/** The id names no configured provider: the message suggests the closest id, the hint lists them all. */
export function providerUnknownError(
  id: string,
  ids: readonly string[],
  context: ProviderUnknownContext = {},
): AcodeError {
  const where = context.file ? ` in ${context.file}` : '';
  const message = context.env
    ? `${context.env}=${id} names no provider${didYouMean(id, ids)}.`
    : `No provider "${id}" is configured${where}${didYouMean(id, ids)}.`;
  const hint = context.env
    ? `Set ${context.env} to one of: ${ids.join(', ')} (or unset it to use providers.active).`
    : ids.length > 0
      ? `Use one of: ${ids.join(', ')}.`
      : 'Add it under providers: in .agent/config.yml.';
  return new AcodeError('PROVIDER_UNKNOWN', message, hint, {
    details: { provider: id, configured: [...ids], ...(context.env ? { env: context.env } : {}) },
  });
}
