// The resolved configuration every other folder reads. The YAML keys (snake_case) are the user's
// contract; these camelCase shapes are the code's, produced by config/load.ts after validation,
// defaults and environment overrides.

export type OperatingMode = 'local-only' | 'burst' | 'airgapped';
export type LifecycleMode = 'managed' | 'monitored' | 'external';
/** The wire protocol a provider speaks. */
export type WireType = 'ollama' | 'openai-compatible';
/** Which server it is: decides argv, health route, readiness semantics and wire quirks. */
export type ProviderKind = 'ollama' | 'vllm' | 'llamacpp' | 'lmstudio' | 'custom';

export const KNOWN_PROVIDER_IDS = ['ollama', 'vllm', 'llamacpp', 'lmstudio'] as const;
export type KnownProviderId = (typeof KNOWN_PROVIDER_IDS)[number];

export interface LifecycleConfig {
  mode: LifecycleMode;
  startTimeoutSeconds: number;
  healthCheckIntervalSeconds: number;
  modelLoadTimeoutSeconds: number;
  stopOnExit: boolean;
  maxRestarts: number;
  restartWindowSeconds: number;
  /** acode serve stops a server it started after this long without requests; undefined = never. */
  idleStopSeconds?: number;
}

/** How long one request may take at each step; see TIMEOUTS_SCHEMA. */
export interface RequestTimeouts {
  /** TCP connect. */
  connectSeconds: number;
  /** Until the response headers and the first streamed token (prompt processing, a model load). */
  responseSeconds: number;
  /** Between two pieces of a streamed answer. */
  idleSeconds: number;
}

export interface GpuConfig {
  memoryUtilization?: number;
  tensorParallelSize?: number;
  /** vLLM: check the GPUs before a start and watch them while healthy (default true; false for a CPU build). */
  required?: boolean;
}

export interface ProviderConfig {
  id: string;
  kind: ProviderKind;
  type: WireType;
  model?: string;
  /** The address the server binds (may be 0.0.0.0 from OLLAMA_HOST); connect through baseUrl instead. */
  host: string;
  port: number;
  /** e.g. http://127.0.0.1:8000 (no trailing slash, no /v1); unspecified bind addresses become loopback. */
  baseUrl: string;
  /** A path or a name looked up on PATH; undefined means the kind's default binary name. */
  binary?: string;
  args: string[];
  lifecycle: LifecycleConfig;
  timeouts: RequestTimeouts;
  gpu: GpuConfig;
  /**
   * The environment variable whose value is sent as `Authorization: Bearer` (a name, never the key);
   * undefined for servers without authentication (Ollama) unless configured.
   */
  apiKeyEnv?: string;
}

export interface AcodeConfig {
  /** Absolute path of the file this came from, or undefined when no file exists (defaults only). */
  file?: string;
  mode: OperatingMode;
  /** providers.active, after ACODE_PROVIDER. */
  active: string;
  fallback: string[];
  /** models.allow_download: false forbids pulls (Ollama's registry, the Hugging Face hub) in any mode. */
  models?: { allowDownload: boolean };
  /** The gateway's settings (`acode serve`). */
  serve?: {
    apiKeyEnv?: string;
    aliases: Record<string, string>;
    maxConcurrent: number;
    maxQueue: number;
    maxLoaded?: number;
  };
  providers: Record<string, ProviderConfig>;
  /** Environment variables that changed the file's values (for `acode config show`); never secrets. */
  overrides?: EnvOverride[];
}

/** The process environment, passed in explicitly so nothing deep inside reads `process.env`. */
export type Env = Readonly<Record<string, string | undefined>>;

export interface EnvOverride {
  /** e.g. OLLAMA_HOST */
  name: string;
  /** Dotted YAML key paths it replaced, e.g. ['providers.ollama.host', 'providers.ollama.port']. */
  paths: string[];
  value: string;
}

export const DEFAULT_PORTS: Record<KnownProviderId, number> = {
  ollama: 11434,
  vllm: 8000,
  llamacpp: 8080,
  lmstudio: 1234,
};

/** The variable each server reads its own API key from (vLLM, llama-server; LM Studio's SDK token). */
export const SERVER_API_KEY_ENV: Partial<Record<ProviderKind, string>> = {
  vllm: 'VLLM_API_KEY',
  llamacpp: 'LLAMA_API_KEY',
  lmstudio: 'LM_API_TOKEN',
};

export const DEFAULT_REQUEST_TIMEOUTS: RequestTimeouts = { connectSeconds: 5, responseSeconds: 60, idleSeconds: 60 };

export const DEFAULT_LIFECYCLE: LifecycleConfig = {
  mode: 'managed',
  startTimeoutSeconds: 30,
  healthCheckIntervalSeconds: 60,
  modelLoadTimeoutSeconds: 300,
  stopOnExit: false,
  maxRestarts: 3,
  restartWindowSeconds: 60,
};
