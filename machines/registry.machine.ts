// The registry supervisor: one service actor per configured provider, spawned on first use only, so a
// one-shot `acode ask --provider vllm` creates vLLM's actor and nothing else. No I/O here: the service
// logic and the shutdown work are named actors that registry.ts (or a test) provides.
import { assign, enqueueActions, fromPromise, setup } from 'xstate';
import type { AcodeConfig } from '../config/index.js';
import type { ServiceRef } from '../actors/index.js';
import { modeAllowsProvider } from './policy.js';
import { serviceMachine } from './service.machine.js';
import type { ServiceActor } from './service.js';
import type { ServiceInput } from './service-types.js';

export interface RegistryInput {
  config: AcodeConfig;
  stateDir: string;
  /** Extra service input for every spawned service (jitter source, backoff, grace): tests and replays. */
  serviceInput?: Omit<ServiceInput, 'ref'>;
}

/** What a service's actors know about it: its provider, the mode, where state lives, whether it may download. */
function serviceRef(config: AcodeConfig, id: string, stateDir: string): ServiceRef {
  return {
    provider: config.providers[id]!,
    mode: config.mode,
    stateDir,
    allowDownload: config.models?.allowDownload !== false,
  };
}

export interface RegistryContext extends RegistryInput {
  /** Spawned service actors by provider id, in spawn order. */
  services: Record<string, ServiceActor>;
}

export type RegistryEvent =
  /** Create the service actor for this provider if it does not exist yet (idempotent). */
  | { type: 'SPAWN'; id: string }
  /** Stop what must be stopped on exit, then stop every service actor. */
  | { type: 'DISPOSE' }
  /**
   * The config file was edited and reloaded: services of removed (or now forbidden) providers stop
   * watching; each service whose provider or mode changed gets RECONFIGURE; the others are untouched.
   */
  | { type: 'RECONFIGURE'; config: AcodeConfig };

/** Input of the `disposeServices` actor: the providers whose servers are stopped when we exit. */
export interface DisposeInput {
  stopOnExit: string[];
  services: Record<string, ServiceActor>;
}

export const serviceSystemId = (id: string): string => `service.${id}`;

/** Provider ids an edited config adds, removes (gone, or no longer allowed by the mode) and changes. */
export interface ConfigChanges {
  added: string[];
  removed: string[];
  /** Still allowed, and its settings or the operating mode differ. */
  changed: string[];
}

export function configChanges(before: AcodeConfig, next: AcodeConfig): ConfigChanges {
  const allowed = (id: string): boolean => {
    const provider = next.providers[id];
    return provider !== undefined && modeAllowsProvider(next.mode, provider);
  };
  return {
    added: Object.keys(next.providers).filter((id) => before.providers[id] === undefined),
    removed: Object.keys(before.providers).filter((id) => !allowed(id)),
    changed: Object.keys(next.providers).filter(
      (id) =>
        before.providers[id] !== undefined &&
        allowed(id) &&
        (before.mode !== next.mode || JSON.stringify(before.providers[id]) !== JSON.stringify(next.providers[id])),
    ),
  };
}

export const registryMachine = setup({
  types: {
    context: {} as RegistryContext,
    events: {} as RegistryEvent,
    input: {} as RegistryInput,
  },
  actors: {
    // The service machine; registry.ts provides it with its actors (real I/O, or a test's fakes). Unprovided,
    // its placeholder actors fail loudly with INTERNAL.
    service: serviceMachine,
    // Stops (through each service) the servers this process started whose stop_on_exit is set.
    disposeServices: fromPromise<void, DisposeInput>(async () => {}),
  },
  guards: {
    // Configured, not yet spawned, and allowed by the operating mode (a provider off loopback never gets
    // a service in local-only or airgapped mode). SPAWN is idempotent; the facade raises the errors.
    spawnable: ({ context, event }) => {
      if (event.type !== 'SPAWN' || context.services[event.id] !== undefined) return false;
      const provider = context.config.providers[event.id];
      return provider !== undefined && modeAllowsProvider(context.config.mode, provider);
    },
  },
  actions: {
    reconfigure: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'RECONFIGURE') return;
      const next = event.config;
      const { removed, changed } = configChanges(context.config, next);
      const services: Record<string, ServiceActor> = {};
      for (const [id, ref] of Object.entries(context.services)) {
        if (removed.includes(id)) {
          // Stops watching only: a service actor stopping never signals its server.
          enqueue.stopChild(ref);
          continue;
        }
        services[id] = ref;
        if (changed.includes(id)) {
          enqueue.sendTo(ref, { type: 'RECONFIGURE', ref: serviceRef(next, id, context.stateDir) });
        }
      }
      enqueue.assign({ config: next, services });
    }),
    spawnService: assign({
      services: ({ context, event, spawn }) => {
        const provider = event.type === 'SPAWN' ? context.config.providers[event.id] : undefined;
        if (event.type !== 'SPAWN' || provider === undefined) return context.services;
        const ref = spawn('service', {
          id: serviceSystemId(event.id),
          systemId: serviceSystemId(event.id),
          // The service machine's ServiceInput: everything its actors need to know about the provider.
          input: { ...context.serviceInput, ref: serviceRef(context.config, event.id, context.stateDir) },
        });
        return { ...context.services, [event.id]: ref };
      },
    }),
  },
}).createMachine({
  id: 'registry',
  initial: 'running',
  context: ({ input }) => ({ ...input, services: {} }),
  states: {
    running: {
      on: {
        SPAWN: { guard: 'spawnable', actions: 'spawnService' },
        RECONFIGURE: { actions: 'reconfigure' },
        DISPOSE: 'disposing',
      },
    },
    disposing: {
      invoke: {
        src: 'disposeServices',
        input: ({ context }) => ({
          services: context.services,
          stopOnExit: Object.keys(context.services).filter((id) => context.config.providers[id]?.lifecycle.stopOnExit),
        }),
        onDone: 'disposed',
        onError: 'disposed',
      },
    },
    // Final: XState stops every spawned child with it; a service actor stopping never kills a server it
    // started (only a spawn cut short kills the child it made).
    disposed: { type: 'final' },
  },
});
