// The registry wired to real I/O: the service machine with the actors of actors/, the adapters'
// factory, and the state directory. The CLI and the gateway open one of these per process.
import type { InspectionEvent } from 'xstate';
import { adapterFactory, createActorImplementations, type ActorDeps } from '../actors/index.js';
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
  inspect?: (event: InspectionEvent) => void;
}

/** A registry whose services detect, start and watch real servers. */
export function openRegistry(options: OpenRegistryOptions): Registry {
  const env = { ...options.env };
  // One factory for the actors' probes and the adapters handed out for requests: both send the API key
  // from this environment (the CLI's), not whatever process.env happens to hold.
  const createAdapter = options.actorDeps?.createAdapter ?? adapterFactory(env);
  const actors = createActorImplementations({ env, ...options.actorDeps, createAdapter });
  return createRegistry({
    config: options.config,
    stateDir: options.stateDir ?? resolveStateDir(options.env),
    serviceLogic: serviceMachine.provide({ actors }),
    bindService: (ref, provider, mode) => bindServiceRef(ref, provider, mode, { createAdapter }),
    ...(options.inspect ? { inspect: options.inspect } : {}),
  });
}
