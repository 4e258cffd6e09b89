// The factory: picks the wire module from the config's wire type and the quirks from its kind.
import type { Socket } from 'node:net';
import type { Env, OperatingMode, ProviderConfig } from '../config/index.js';
import { ollamaWire } from './ollama-wire.js';
import { openAiWire } from './openai-wire.js';
import { WireProvider } from './provider.js';
import { quirksFor, type ServerQuirks } from './server-quirks.js';
import type { ConnectionPools } from './connection-pools.js';
import { timeoutsOf, Transport, type ApiKey, type Timeouts } from './transport.js';
import type { ModelProvider } from './types.js';

export interface CreateProviderOptions {
  /** Operating mode; `airgapped` refuses every non-loopback address. Default `local-only`. */
  mode?: OperatingMode;
  /** Overrides the config's `timeouts` (tests with deliberately short bounds). */
  timeouts?: Partial<Timeouts>;
  /** Where the API key named by the config's `apiKeyEnv` is read. Default: process.env. */
  env?: Env;
  /** Test seam: sees every socket the provider's pool opens. */
  onSocket?: (socket: Socket) => void;
  /** The pools shared by every adapter of the same endpoint; default: this adapter owns its own. */
  pools?: ConnectionPools;
}

// The known kinds are local servers by definition; a `custom` provider may be remote (burst mode).
export function mustStayOnLoopback(config: Pick<ProviderConfig, 'kind'>, mode: OperatingMode): boolean {
  return mode === 'airgapped' || config.kind !== 'custom';
}

function effectiveQuirks(config: ProviderConfig): ServerQuirks {
  const byKind = quirksFor(config.kind, config.type);
  if (byKind.wire === config.type) return byKind;
  // e.g. Ollama driven through its OpenAI-compatible routes: its health route, the generic wire quirks.
  return { ...quirksFor('custom', config.type), health: byKind.health };
}

// An empty variable is unset: `VLLM_API_KEY= acode ...` must not send `Bearer ` with nothing after it.
function apiKeyOf(config: ProviderConfig, env: Env): ApiKey {
  const value = config.apiKeyEnv === undefined ? undefined : env[config.apiKeyEnv];
  return { env: config.apiKeyEnv, ...(value ? { value } : {}) };
}

export function createProvider(config: ProviderConfig, opts: CreateProviderOptions = {}): ModelProvider {
  const mode = opts.mode ?? 'local-only';
  const transport = new Transport({
    provider: config.id,
    baseUrl: config.baseUrl,
    loopbackOnly: mustStayOnLoopback(config, mode),
    timeouts: { ...timeoutsOf(config.timeouts), ...opts.timeouts },
    apiKey: apiKeyOf(config, opts.env ?? process.env),
    onSocket: opts.onSocket,
    ...(opts.pools ? { pools: opts.pools } : {}),
  });
  return new WireProvider({
    id: config.id,
    model: config.model,
    mode,
    wire: config.type === 'ollama' ? ollamaWire : openAiWire,
    quirks: effectiveQuirks(config),
    transport,
  });
}
