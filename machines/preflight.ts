// What `acode ask` would refuse before sending a request, decided from the config alone, so that
// `acode config validate` can warn about it with the same message and hint: the operating mode's
// refusal, and for a server acode would start, what its launch refuses (host, model, model file).
import type { AcodeConfig, AcodeError } from '../config/index.js';
import { launchRefusal } from '../actors/index.js';
import { mayStart, modeRefusalError } from './policy.js';

export interface AskRefusal {
  provider: string;
  error: AcodeError;
}

/** The refusals of the providers `ask` would try: providers.active, then the fallback order. */
export async function askRefusals(config: AcodeConfig): Promise<AskRefusal[]> {
  const ids = [...new Set([config.active, ...config.fallback])];
  const found: AskRefusal[] = [];
  for (const id of ids) {
    const provider = config.providers[id];
    if (!provider) continue;
    const error =
      modeRefusalError(config.mode, provider) ??
      (mayStart(provider.lifecycle.mode, config.mode) ? await launchRefusal(provider, config.mode) : undefined);
    if (error) found.push({ provider: id, error });
  }
  return found;
}
