// A provider config that points at a stand-in server (test/servers) on a loopback port: what the tests
// that run real processes start, detect, watch and stop.
import { DEFAULT_LIFECYCLE, DEFAULT_REQUEST_TIMEOUTS } from '../../config/index.js';
import type { ProviderConfig, ProviderKind } from '../../config/index.js';
import { STAGED_GGUF } from '../servers/harness.js';

/** The model each stand-in serves by default. */
export const MODELS: Record<'llamacpp' | 'vllm' | 'ollama', string> = {
  llamacpp: STAGED_GGUF,
  vllm: 'Qwen/Qwen2.5-0.5B-Instruct',
  ollama: 'llama3.2:latest',
};

/** Polls every 0.2 s (the stand-ins answer at once); `overrides` replaces whole fields. */
export function providerConfig(
  kind: ProviderKind,
  port: number,
  overrides: Partial<ProviderConfig> = {},
): ProviderConfig {
  const model = (MODELS as Record<string, string | undefined>)[kind];
  return {
    id: kind,
    kind,
    type: kind === 'ollama' ? 'ollama' : 'openai-compatible',
    ...(model ? { model } : {}),
    host: '127.0.0.1',
    port,
    baseUrl: `http://127.0.0.1:${port}`,
    args: [],
    lifecycle: { ...DEFAULT_LIFECYCLE, healthCheckIntervalSeconds: 0.2 },
    timeouts: DEFAULT_REQUEST_TIMEOUTS,
    gpu: {},
    ...overrides,
  };
}
