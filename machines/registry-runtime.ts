// The registry wired to real I/O: the service machine with the actors of actors/, the adapters'
// factory, and the state directory. The CLI and the gateway open one of these per process.
import type { InspectionEvent } from 'xstate';
import { adapterFactory, createActorImplementations, type ActorDeps } from '../actors/index.js';
import { createConnectionPools, type ConnectionPools } from '../adapters/index.js';
import { resolveStateDir, type AcodeConfig, type Env } from '../config/index.js';
import { serviceMachine } from './service.machine.js';
import { bindServiceRef } from './registry-binding.js';
import { createRegistry, type Registry } from './registry.js';

export interface OpenRegistryOptions {
  config: AcodeConfig;
  env: Env;
  /** Default: resolveStateDir(env) ($ACODE_STATE_DIR, XDG state dir, ~/.local/state/acode). */
  stateDir?: string;
  /** Seams for the actors (clock, adapter factory ...); real ones by default. */
  actorDeps?: Partial<ActorDeps>;
  /** The connection pools every adapter of this registry shares; default: new ones, closed on dispose. */
  pools?: ConnectionPools;
  inspect?: (event: InspectionEvent) => void;
}

/** A registry whose services detect, start and watch real servers. */
export function openRegistry(options: OpenRegistryOptions): Registry {
  const env = { ...options.env };
  // One factory for the actors' probes and the adapters handed out for requests: both send the API key
  // from this environment (the CLI's), not whatever process.env happens to hold.
  // One pool per provider endpoint, shared by detect, the health poller, the model check and the adapter
  // a request streams through; closed once the registry lets go of its services.
  const pools = options.pools ?? createConnectionPools();
  const createAdapter = options.actorDeps?.createAdapter ?? adapterFactory(env, pools);
  const actors = createActorImplementations({ env, ...options.actorDeps, createAdapter });
  const registry = createRegistry({
    config: options.config,
    stateDir: options.stateDir ?? resolveStateDir(options.env),
    serviceLogic: serviceMachine.provide({ actors }),
    bindService: (ref, provider, mode) => bindServiceRef(ref, provider, mode, { createAdapter }),
    ...(options.inspect ? { inspect: options.inspect } : {}),
  });
  // Letting go of the services (dispose or detach) also lets go of their connections.
  const thenClosePools = <A extends unknown[]>(release: (...args: A) => Promise<void>) => async (...args: A): Promise<void> => {
    try {
      await release(...args);
    } finally {
      await pools.close();
    }
  };
  registry.dispose = thenClosePools(registry.dispose);
  registry.detach = thenClosePools(registry.detach);
  return registry;
}
