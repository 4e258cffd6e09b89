// The real I/O for a service: actors/ implementations over the same clock as the machine, and the
// adapters' factory. createService falls back to these when the caller injects nothing.
import { createActorImplementations } from '../actors/index.js';
import type { ActorDeps } from '../actors/index.js';
import { createProvider } from '../adapters/index.js';
import type { ModelProvider } from '../adapters/index.js';
import type { OperatingMode, ProviderConfig } from '../config/index.js';
import type { ServiceActorLogic } from './service-actors.js';

/** actors/' implementations; `deps` overrides their seams (clock, env, lock and kill waits). */
export function defaultServiceActors(deps: Partial<ActorDeps> = {}): ServiceActorLogic {
  return createActorImplementations(deps);
}

/** The adapters' createProvider, with the operating mode's loopback rule. */
export function defaultCreateAdapter(provider: ProviderConfig, options: { mode: OperatingMode }): ModelProvider {
  return createProvider(provider, { mode: options.mode });
}
