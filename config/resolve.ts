// Validated YAML (snake_case, sparse) → the resolved AcodeConfig (camelCase, every default filled in).
import { formatBaseUrl, connectableHost } from './ollama-host.js';
import type { RawConfig, RawLifecycle, RawProvider } from './schema.js';
import {
  DEFAULT_LIFECYCLE,
  DEFAULT_PORTS,
  DEFAULT_REQUEST_TIMEOUTS,
  KNOWN_PROVIDER_IDS,
  SERVER_API_KEY_ENV,
  type AcodeConfig,
  type KnownProviderId,
  type LifecycleConfig,
  type ProviderConfig,
} from './types.js';

const DEFAULT_HOST = '127.0.0.1';
const DEFAULT_ACTIVE: KnownProviderId = 'ollama';

function isKnown(id: string): id is KnownProviderId {
  return (KNOWN_PROVIDER_IDS as readonly string[]).includes(id);
}

function lifecycleOf(raw: RawLifecycle | null | undefined, fallbackMode: LifecycleConfig['mode']): LifecycleConfig {
  return {
    mode: raw?.mode ?? fallbackMode,
    startTimeoutSeconds: raw?.start_timeout_seconds ?? DEFAULT_LIFECYCLE.startTimeoutSeconds,
    healthCheckIntervalSeconds: raw?.health_check_interval_seconds ?? DEFAULT_LIFECYCLE.healthCheckIntervalSeconds,
    modelLoadTimeoutSeconds: raw?.model_load_timeout_seconds ?? DEFAULT_LIFECYCLE.modelLoadTimeoutSeconds,
    stopOnExit: raw?.stop_on_exit ?? DEFAULT_LIFECYCLE.stopOnExit,
    maxRestarts: raw?.max_restarts ?? DEFAULT_LIFECYCLE.maxRestarts,
    restartWindowSeconds: raw?.restart_window_seconds ?? DEFAULT_LIFECYCLE.restartWindowSeconds,
    ...(raw?.idle_stop_seconds !== undefined ? { idleStopSeconds: raw.idle_stop_seconds } : {}),
  };
}

function common(id: string, raw: RawProvider, fallbackMode: LifecycleConfig['mode'], defaultKeyEnv?: string) {
  const apiKeyEnv = raw.api_key_env ?? defaultKeyEnv;
  return {
    id,
    ...(apiKeyEnv === undefined ? {} : { apiKeyEnv }),
    ...(raw.model === undefined ? {} : { model: raw.model }),
    ...(raw.binary === undefined ? {} : { binary: raw.binary }),
    args: [...(raw.args ?? [])],
    lifecycle: lifecycleOf(raw.lifecycle, fallbackMode),
    timeouts: {
      connectSeconds: raw.timeouts?.connect_seconds ?? DEFAULT_REQUEST_TIMEOUTS.connectSeconds,
      responseSeconds: raw.timeouts?.response_seconds ?? DEFAULT_REQUEST_TIMEOUTS.responseSeconds,
      idleSeconds: raw.timeouts?.idle_seconds ?? DEFAULT_REQUEST_TIMEOUTS.idleSeconds,
    },
    gpu: {
      ...(raw.gpu?.memory_utilization === undefined ? {} : { memoryUtilization: raw.gpu.memory_utilization }),
      ...(raw.gpu?.tensor_parallel_size === undefined ? {} : { tensorParallelSize: raw.gpu.tensor_parallel_size }),
      ...(raw.gpu?.required === undefined ? {} : { required: raw.gpu.required }),
    },
  };
}

// LM Studio's server belongs to the LM Studio app (GUI or `lms server start`): acode has no process
// to spawn or own for it, so it only watches it.
const DEFAULT_LIFECYCLE_MODE: Record<KnownProviderId, LifecycleConfig['mode']> = {
  ollama: DEFAULT_LIFECYCLE.mode,
  vllm: DEFAULT_LIFECYCLE.mode,
  llamacpp: DEFAULT_LIFECYCLE.mode,
  lmstudio: 'monitored',
};

function knownProvider(id: KnownProviderId, section: RawProvider | null = {}): ProviderConfig {
  const raw = section ?? {};
  const host = raw.host ?? DEFAULT_HOST;
  const port = raw.port ?? DEFAULT_PORTS[id];
  return {
    ...common(id, raw, DEFAULT_LIFECYCLE_MODE[id], SERVER_API_KEY_ENV[id]),
    kind: id,
    type: id === 'ollama' ? 'ollama' : 'openai-compatible',
    host,
    port,
    baseUrl: formatBaseUrl('http', connectableHost(host), port),
  };
}

// A custom id has no binary we know how to run, so unless it names one we only watch it.
function customProvider(id: string, raw: RawProvider): ProviderConfig {
  const url = new URL(raw.base_url ?? '');
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const port = url.port === '' ? (url.protocol === 'https:' ? 443 : 80) : Number(url.port);
  let path = url.pathname.replace(/\/+$/, '');
  // Adapters add /v1 themselves; a pasted ".../v1" would otherwise become /v1/v1.
  if (raw.type === 'openai-compatible') path = path.replace(/\/v1$/, '');
  return {
    ...common(id, raw, raw.binary === undefined ? 'external' : DEFAULT_LIFECYCLE.mode),
    kind: 'custom',
    type: raw.type ?? 'openai-compatible',
    host,
    port,
    baseUrl: formatBaseUrl(url.protocol.slice(0, -1), host, port, path.replace(/^\//, '')),
  };
}

/** Fills defaults; the four known providers are always present, configured or not. */
export function resolveRaw(raw: RawConfig, file: string | undefined): AcodeConfig {
  const sections = raw.providers ?? {};
  const providers: Record<string, ProviderConfig> = {};
  for (const id of KNOWN_PROVIDER_IDS) providers[id] = knownProvider(id, (sections[id] ?? null) as RawProvider | null);
  for (const [id, section] of Object.entries(sections)) {
    if (id === 'active' || isKnown(id) || typeof section !== 'object' || section === null) continue;
    providers[id] = customProvider(id, section);
  }
  return {
    ...(file === undefined ? {} : { file }),
    mode: raw.mode ?? 'local-only',
    active: sections.active ?? DEFAULT_ACTIVE,
    fallback: [...(raw.fallback ?? [])],
    models: { allowDownload: raw.models?.allow_download ?? true },
    serve: {
      ...(raw.serve?.api_key_env ? { apiKeyEnv: raw.serve.api_key_env } : {}),
      aliases: { ...(raw.serve?.aliases ?? {}) },
      maxConcurrent: raw.serve?.max_concurrent ?? 10,
      maxQueue: raw.serve?.max_queue ?? 100,
      ...(raw.serve?.max_loaded !== undefined ? { maxLoaded: raw.serve.max_loaded } : {}),
    },
    providers,
  };
}
