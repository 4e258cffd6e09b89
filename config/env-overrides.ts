// Environment overrides, each following its server's own convention. They change the resolved
// config only; the file on disk is never touched by them.
import { AcodeError } from './errors.js';
import { providerUnknownError } from './provider-unknown.js';
import { connectableHost, formatBaseUrl, parseOllamaHost } from './ollama-host.js';
import type { AcodeConfig, Env, EnvOverride } from './types.js';

function present(env: Env, name: string): string | undefined {
  const value = env[name]?.trim();
  return value === undefined || value === '' ? undefined : value;
}

function parseVllmPort(value: string): number {
  const port = /^\d+$/.test(value) ? Number(value) : NaN;
  if (Number.isInteger(port) && port >= 1 && port <= 65535) return port;
  throw new AcodeError(
    'CONFIG_INVALID',
    `VLLM_PORT=${value} is not a port number (allowed: an integer from 1 to 65535).`,
    'Unset VLLM_PORT or set it to a free port, e.g. VLLM_PORT=8000.',
    { details: { env: 'VLLM_PORT', value } },
  );
}

/** Applies OLLAMA_HOST, VLLM_PORT and ACODE_PROVIDER; returns a new config listing what changed. */
export function applyEnvOverrides(config: AcodeConfig, env: Env): AcodeConfig {
  const providers = { ...config.providers };
  const overrides: EnvOverride[] = [];
  let active = config.active;

  const ollamaHost = present(env, 'OLLAMA_HOST');
  if (ollamaHost !== undefined && providers.ollama) {
    const parsed = parseOllamaHost(ollamaHost);
    const host = parsed.host === '' ? '0.0.0.0' : parsed.host;
    providers.ollama = {
      ...providers.ollama,
      host,
      port: parsed.port,
      baseUrl: formatBaseUrl(parsed.scheme, connectableHost(parsed.host), parsed.port, parsed.path),
    };
    overrides.push({
      name: 'OLLAMA_HOST',
      paths: ['providers.ollama.host', 'providers.ollama.port'],
      value: ollamaHost,
    });
  }

  const vllmPort = present(env, 'VLLM_PORT');
  if (vllmPort !== undefined && providers.vllm) {
    const port = parseVllmPort(vllmPort);
    const vllm = providers.vllm;
    providers.vllm = { ...vllm, port, baseUrl: formatBaseUrl('http', connectableHost(vllm.host), port) };
    overrides.push({ name: 'VLLM_PORT', paths: ['providers.vllm.port'], value: vllmPort });
  }

  const chosen = present(env, 'ACODE_PROVIDER');
  if (chosen !== undefined) {
    const ids = Object.keys(providers);
    if (!ids.includes(chosen)) {
      throw providerUnknownError(chosen, ids, { env: 'ACODE_PROVIDER' });
    }
    active = chosen;
    overrides.push({ name: 'ACODE_PROVIDER', paths: ['providers.active'], value: chosen });
  }

  return { ...config, active, providers, overrides: [...(config.overrides ?? []), ...overrides] };
}
