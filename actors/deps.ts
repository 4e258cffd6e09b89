// The seams of the actors: time, the adapter factory, and waits. Real implementations by default;
// tests and the replay runner pass their own (a SimulatedClock fits the Clock interface).
import type { OperatingMode, ProviderConfig } from '../config/index.js';
import { createProvider, type ConnectionPools, type ModelProvider } from '../adapters/index.js';
import { GPU_PROBE_TIMEOUT_MS } from './gpu-probe.js';
import { processLogger, type Logger } from '../log/index.js';

/**
 * Time, the one interface: now() and timers, as xstate's SimulatedClock and the global timers both
 * offer them. The service machine gets it through its input; its actors through ActorDeps.
 */
export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export type CreateAdapter = (provider: ProviderConfig, options: { mode: OperatingMode }) => ModelProvider;

export interface ActorDeps {
  /** Timers, and wall time for pull rates. */
  clock: Clock;
  /** Default: adapters' createProvider. */
  createAdapter: CreateAdapter;
  /** How long spawnServer waits for another acode process's start lock. */
  lockTimeoutMs: number;
  /** How long stopServer waits for a SIGKILLed process to disappear. */
  killWaitMs: number;
  /** How long one nvidia-smi run may take before the GPU probe counts it as failed. */
  gpuProbeTimeoutMs: number;
  /** The environment spawned servers inherit (PATH, HF_TOKEN ...). */
  env: NodeJS.ProcessEnv;
  /** What the actors did (locks, port checks, probes, signals, spawns); default: the process logger. */
  log: Logger;
}

export const realClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/**
 * The adapters' factory: health, listModels and pull go through the same ModelProvider as requests,
 * with the API key read from the same environment the actors were given.
 */
export function adapterFactory(env: NodeJS.ProcessEnv, pools?: ConnectionPools): CreateAdapter {
  return (provider, { mode }) => createProvider(provider, { mode, env, ...(pools ? { pools } : {}) });
}

export function resolveDeps(partial: Partial<ActorDeps> = {}): ActorDeps {
  const env = partial.env ?? process.env;
  return {
    clock: partial.clock ?? realClock,
    createAdapter: partial.createAdapter ?? adapterFactory(env),
    lockTimeoutMs: partial.lockTimeoutMs ?? 60_000,
    killWaitMs: partial.killWaitMs ?? 10_000,
    gpuProbeTimeoutMs: partial.gpuProbeTimeoutMs ?? GPU_PROBE_TIMEOUT_MS,
    env,
    log: partial.log ?? processLogger(),
  };
}
