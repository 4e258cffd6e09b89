// The JSON Schema of .agent/config.yml (the user's contract, snake_case). Each leaf carries an
// `allowed` annotation: the phrase an error message uses to say what the key accepts.
import { KNOWN_PROVIDER_IDS } from './types.js';

const positiveSeconds = { type: 'number', exclusiveMinimum: 0, allowed: 'a number of seconds greater than 0' };

// Mapping sections also accept an empty value, so `vllm:` with every key commented out is valid.
const section = ['object', 'null'] as const;

const LIFECYCLE_SCHEMA = {
  type: section,
  allowed: 'a mapping of lifecycle settings',
  additionalProperties: false,
  properties: {
    mode: {
      type: 'string',
      enum: ['managed', 'monitored', 'external'],
      default: 'managed',
      allowed: 'one of managed, monitored, external',
    },
    start_timeout_seconds: { ...positiveSeconds, default: 30 },
    health_check_interval_seconds: { ...positiveSeconds, default: 60 },
    model_load_timeout_seconds: { ...positiveSeconds, default: 300 },
    stop_on_exit: { type: 'boolean', default: false, allowed: 'true or false' },
    max_restarts: { type: 'integer', minimum: 0, maximum: 1000, default: 3, allowed: 'an integer from 0 to 1000' },
    restart_window_seconds: { ...positiveSeconds, default: 60 },
    // acode serve: stop a server it started after this many seconds without requests (off when unset).
    idle_stop_seconds: { ...positiveSeconds },
  },
} as const;

// Request timeouts for the adapters (undici's connect/headers/body bounds, and the same two as a bound
// on progress: a server trickling bytes without finishing a token still times out).
const TIMEOUTS_SCHEMA = {
  type: section,
  allowed: 'a mapping of request timeouts',
  additionalProperties: false,
  properties: {
    connect_seconds: { ...positiveSeconds, default: 5 },
    response_seconds: { ...positiveSeconds, default: 60 },
    idle_seconds: { ...positiveSeconds, default: 60 },
  },
} as const;

const GPU_SCHEMA = {
  type: section,
  allowed: 'a mapping of GPU settings',
  additionalProperties: false,
  properties: {
    memory_utilization: {
      type: 'number',
      exclusiveMinimum: 0,
      maximum: 1,
      allowed: 'a fraction in (0, 1], e.g. 0.9',
    },
    tensor_parallel_size: { type: 'integer', minimum: 1, maximum: 1024, allowed: 'an integer from 1 to 1024' },
    // false for vLLM's CPU build: no GPU check before its start, no GPU watch while it runs.
    required: { type: 'boolean', allowed: 'true or false (false for a CPU build of vLLM)' },
  },
} as const;

// The NAME of the variable that holds the key, never the key. The suffix keeps it a name that
// config/redact.ts already treats as secret, so its value is blanked everywhere acode writes.
const API_KEY_ENV_SCHEMA = {
  type: 'string',
  pattern: '^(?:[A-Z][A-Z0-9_]*_)?(?:API_KEY|APIKEY|TOKEN|SECRET|PASSWORD|PASSWD)$',
  allowed:
    'the name of an environment variable ending in _API_KEY, _TOKEN, _SECRET or _PASSWORD, e.g. VLLM_API_KEY (never the key itself)',
} as const;

const commonProviderProperties = {
  model: { type: 'string', minLength: 1, allowed: 'a model name, e.g. "llama3.2:latest"' },
  binary: { type: 'string', minLength: 1, allowed: 'a path to the server binary or a name on PATH' },
  args: {
    type: 'array',
    items: { type: 'string', allowed: 'a string' },
    allowed: 'a list of extra command-line arguments (strings)',
  },
  allow_remote_code: { type: 'boolean', default: false, allowed: 'true or false' },
  lifecycle: { $ref: '#/$defs/lifecycle' },
  timeouts: { $ref: '#/$defs/timeouts' },
  gpu: { $ref: '#/$defs/gpu' },
  api_key_env: API_KEY_ENV_SCHEMA,
} as const;

const KNOWN_PROVIDER_SCHEMA = {
  type: section,
  allowed: 'a mapping of provider settings',
  additionalProperties: false,
  properties: {
    ...commonProviderProperties,
    host: { type: 'string', minLength: 1, default: '127.0.0.1', allowed: 'a host name or IP address, e.g. 127.0.0.1' },
    port: { type: 'integer', minimum: 1, maximum: 65535, allowed: 'an integer port from 1 to 65535' },
  },
} as const;

// Any id other than the four known servers is a server we know nothing about: it must say which
// wire protocol it speaks and where it lives.
const CUSTOM_PROVIDER_SCHEMA = {
  type: 'object',
  allowed: 'a mapping of provider settings with type and base_url',
  additionalProperties: false,
  required: ['type', 'base_url'],
  properties: {
    ...commonProviderProperties,
    type: { type: 'string', enum: ['ollama', 'openai-compatible'], allowed: 'one of ollama, openai-compatible' },
    base_url: { type: 'string', minLength: 1, allowed: 'an http(s) URL, e.g. http://127.0.0.1:9000' },
  },
} as const;

export const PROVIDER_ID_PATTERN = '^[a-z][a-z0-9_-]*$';
const reserved = ['active', ...KNOWN_PROVIDER_IDS].join('|');

// Each shared section is written once under $defs and referenced where used, so the compiled validator
// holds one function per section instead of one copy per provider id.
export const CONFIG_SCHEMA = {
  $id: 'https://acode.local/schemas/config.json',
  $defs: {
    knownProvider: KNOWN_PROVIDER_SCHEMA,
    customProvider: CUSTOM_PROVIDER_SCHEMA,
    lifecycle: LIFECYCLE_SCHEMA,
    timeouts: TIMEOUTS_SCHEMA,
    gpu: GPU_SCHEMA,
  },
  type: 'object',
  allowed: 'a mapping with the keys providers, mode, fallback, models, serve',
  additionalProperties: false,
  properties: {
    models: {
      type: section,
      allowed: 'a mapping of model settings',
      additionalProperties: false,
      properties: {
        // local-only may pull from a registry (Ollama's, the Hugging Face hub) unless this says no.
        allow_download: { type: 'boolean', default: true, allowed: 'true or false' },
      },
    },
    serve: {
      type: section,
      allowed: 'a mapping of gateway settings (acode serve)',
      additionalProperties: false,
      properties: {
        // Clients must send this variable's value as their API key; unset, any key is accepted.
        api_key_env: API_KEY_ENV_SCHEMA,
        // Requests in flight per provider, and how many more wait before a 429.
        max_concurrent: { type: 'integer', minimum: 1, maximum: 10000, allowed: 'an integer from 1 to 10000' },
        max_queue: { type: 'integer', minimum: 0, maximum: 100000, allowed: 'an integer from 0 to 100000' },
        // Servers acode started that may be up at once; the least recently used idle one is stopped first.
        max_loaded: { type: 'integer', minimum: 1, maximum: 1000, allowed: 'an integer from 1 to 1000' },
        // Model names clients send, mapped to `<provider>/<model>` or a provider id.
        aliases: {
          type: 'object',
          additionalProperties: { type: 'string', minLength: 1, allowed: 'a <provider>/<model> or a provider id' },
          allowed: 'a mapping of model names to <provider>/<model>',
        },
      },
    },
    mode: {
      type: 'string',
      enum: ['local-only', 'burst', 'airgapped'],
      default: 'local-only',
      allowed: 'one of local-only, burst, airgapped',
    },
    fallback: {
      type: 'array',
      items: { type: 'string', minLength: 1, allowed: 'a provider id' },
      uniqueItems: true,
      allowed: 'a list of distinct provider ids',
    },
    providers: {
      type: section,
      allowed: 'a mapping with active and one entry per provider id',
      additionalProperties: false,
      properties: {
        active: { type: 'string', minLength: 1, default: 'ollama', allowed: 'a provider id' },
        ...Object.fromEntries(KNOWN_PROVIDER_IDS.map((id) => [id, { $ref: '#/$defs/knownProvider' }])),
      },
      patternProperties: { [`^(?!(?:${reserved})$)[a-z][a-z0-9_-]*$`]: { $ref: '#/$defs/customProvider' } },
    },
  },
} as const;

/** The YAML shape after validation (snake_case, everything optional but custom type/base_url). */
export interface RawLifecycle {
  mode?: 'managed' | 'monitored' | 'external';
  start_timeout_seconds?: number;
  health_check_interval_seconds?: number;
  model_load_timeout_seconds?: number;
  stop_on_exit?: boolean;
  max_restarts?: number;
  idle_stop_seconds?: number;
  restart_window_seconds?: number;
}

export interface RawProvider {
  type?: 'ollama' | 'openai-compatible';
  base_url?: string;
  model?: string;
  host?: string;
  port?: number;
  binary?: string;
  args?: string[];
  /** Lets `args` carry --trust-remote-code (the model repo's own Python runs in the server). */
  allow_remote_code?: boolean;
  lifecycle?: RawLifecycle | null;
  timeouts?: { connect_seconds?: number; response_seconds?: number; idle_seconds?: number } | null;
  gpu?: { memory_utilization?: number; tensor_parallel_size?: number; required?: boolean } | null;
  api_key_env?: string;
}

export interface RawConfig {
  mode?: 'local-only' | 'burst' | 'airgapped';
  models?: { allow_download?: boolean } | null;
  serve?: {
    api_key_env?: string;
    aliases?: Record<string, string>;
    max_concurrent?: number;
    max_queue?: number;
    max_loaded?: number;
  } | null;
  fallback?: string[];
  providers?: ({ active?: string } & { [id: string]: RawProvider | string | null | undefined }) | null;
}
