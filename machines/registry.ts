// The registry's handle: what the CLI and the gateway call. It owns the registry supervisor actor, turns
// provider ids into healthy, crash-safe ModelProviders, walks the fallback order when one fails, and
// spawns the request machines (machines/request.machine.ts) that `answer` runs. openRegistry (at the
// end) wires it to real I/O.
import { createActor, fromPromise, waitFor, type InspectionEvent } from 'xstate';
import { adapterFactory, createActorImplementations, settleCleanups, type ActorDeps } from '../actors/index.js';
import { processLogger, type Logger } from '../log/index.js';
import {
  AcodeError,
  providerUnknownError,
  resolveStateDir,
  type AcodeConfig,
  type Env,
  type ProviderConfig,
} from '../config/index.js';
import {
  createConnectionPools,
  type Capabilities,
  type ConnectionPools,
  type ModelProvider,
} from '../adapters/index.js';
import { configChanges, registryMachine, type ConfigChanges, type DisposeInput } from './registry.machine.js';
import { modeRefusalError } from './policy.js';
import { allowsFallback, noneLeft, reasonOf, type FallbackReason } from './request-errors.js';
import { providerStatus, topState, type ProviderStatus } from './status.js';
import { resilientProvider, type SpawnRequest } from './request-actors.js';
import type { RetryInfo, Selection } from './request.machine.js';
import { capabilityRefusal, selectProviders, type HealthView, type Requirements } from './selector.js';
import { serviceMachine } from './service.machine.js';
import type { ServiceInput } from './service-types.js';
import {
  bindService,
  type AdapterFactory,
  type ServiceActor,
  type ServiceHandle,
  type ServiceLogic,
} from './service.js';

export interface RegistryOptions {
  config: AcodeConfig;
  stateDir: string;
  /** The service machine with its actors provided (real I/O in the CLI, fakes in tests). */
  serviceLogic: ServiceLogic;
  /** Builds the adapters handed out for requests. Default: the adapters' createProvider. */
  createAdapter?: AdapterFactory;
  /** Extra input for every service actor (random, backoff, graceMs ...), e.g. deterministic tests. */
  serviceInput?: Omit<ServiceInput, 'ref'>;
  /** Capabilities known before a provider answered (tests, static tables); learned on first use otherwise. */
  capabilities?: Record<string, Capabilities>;
  inspect?: (event: InspectionEvent) => void;
  /** Where the registry logs retries and fallbacks; default: the process logger. */
  log?: Logger;
}

export interface AcquireOptions {
  /** Tried first (an explicit --provider); defaults to providers.active. */
  preferred?: string;
  requirements?: Requirements;
  /** Offer every configured provider, not only the preferred one and the fallback list. */
  anyConfigured?: boolean;
  /** Providers not to try (already tried by the caller). */
  exclude?: readonly string[];
  /** Providers the caller tried, with why each failed: not tried again, and listed when none is left. */
  tried?: readonly FallbackReason[];
  signal?: AbortSignal;
  onRetry?: (info: RetryInfo) => void;
  /** Called when a provider could not be used and the next one is tried. */
  onFallback?: (failed: FallbackReason, next: string) => void;
}

export interface Acquired {
  id: string;
  provider: ModelProvider;
  /** Providers tried before this one, with the reason each was passed over. */
  fallbacks: FallbackReason[];
}

export { allowsFallback, type FallbackReason };

export type Registry = ReturnType<typeof createRegistry>;

/** What a reload changed, per provider id (for the one-line notice a long-running command prints). */
export interface ReloadSummary extends ConfigChanges {
  /** Of `changed`: servers of ours being restarted with the new launch settings. */
  restarting: string[];
}

export function createRegistry(options: RegistryOptions) {
  // Replaced by reconfigure(): every lookup below reads the current one.
  let config = options.config;
  const handles = new Map<string, ServiceHandle>();
  const startedHere = new Set<string>();
  const listeners = new Set<(status: ProviderStatus) => void>();
  const capabilities: Record<string, Capabilities> = { ...options.capabilities };
  const watched = new WeakSet<ServiceActor>();

  const machine = registryMachine.provide({
    actors: {
      service: options.serviceLogic,
      disposeServices: fromPromise<void, DisposeInput>(async ({ input, signal }) => {
        const ids = input.stopOnExit.filter((id) => startedHere.has(id));
        await Promise.allSettled(ids.flatMap((id) => handles.get(id)?.stop({ signal }) ?? []));
      }),
    },
  });
  const actor = createActor(machine, {
    input: {
      config,
      stateDir: options.stateDir,
      ...(options.serviceInput ? { serviceInput: options.serviceInput } : {}),
    },
    ...(options.inspect ? { inspect: options.inspect } : {}),
  });
  actor.start();

  function provider(id: string): ProviderConfig {
    const found = config.providers[id];
    if (found) return found;
    throw providerUnknownError(id, Object.keys(config.providers), config.file ? { file: config.file } : {});
  }

  // Watches a new service for progress lines and for "this process started it" (stop_on_exit).
  function watch(id: string, ref: ServiceActor, cfg: ProviderConfig): void {
    ref.subscribe({
      next: (snapshot) => {
        const status = providerStatus(config.providers[id] ?? cfg, ref);
        if (snapshot.context.spawnedHere) startedHere.add(id);
        for (const l of listeners) l(status);
      },
      error: () => {},
    });
  }

  /**
   * The service actor of a provider, created on first use (lazily: only the providers asked for).
   * Throws PROVIDER_UNKNOWN, or the mode's refusal for a provider off loopback (no actor is created).
   */
  function service(id: string): ServiceHandle {
    const cfg = provider(id);
    const existing = handles.get(id);
    if (existing) return existing;
    const refusal = modeRefusalError(config.mode, cfg);
    if (refusal) throw refusal;
    actor.send({ type: 'SPAWN', id });
    const ref = actor.getSnapshot().context.services[id];
    if (!ref)
      throw new AcodeError(
        'INTERNAL',
        `The registry did not create a service for ${id}.`,
        'This is a bug in acode; report it.',
      );
    const handle = bindService(
      ref,
      { provider: cfg, mode: config.mode },
      options.createAdapter ? { createAdapter: options.createAdapter } : {},
    );
    handles.set(id, handle);
    if (!watched.has(ref)) {
      watched.add(ref);
      watch(id, ref, cfg);
    }
    return handle;
  }

  // The adapter a handle hands out lives as long as the handle (a config change rebuilds both), so it
  // asks its server once what the model can do, not on every request.
  const asked = new WeakMap<ModelProvider, Promise<void>>();
  function learn(id: string, adapter: ModelProvider, signal?: AbortSignal): Promise<void> {
    const model = config.providers[id]?.model;
    if (model === undefined) return Promise.resolve();
    let asking = asked.get(adapter);
    if (!asking) {
      // A failed answer leaves the capabilities unknown (tried after known fits); only an abort asks again.
      asking = adapter.modelInfo(model, signal ? { signal } : {}).then(
        () => undefined,
        () => {
          if (signal?.aborted) asked.delete(adapter);
        },
      );
      asked.set(adapter, asking);
    }
    return asking;
  }

  /**
   * `id`'s adapter once its service is healthy, with what it can do learned from the server; throws
   * MODE_FORBIDDEN (the next provider may be tried) when the server says it lacks what `requirements` need.
   */
  async function healthyAdapter(id: string, signal?: AbortSignal, requirements?: Requirements): Promise<ModelProvider> {
    const adapter = await service(id).ensureHealthy({ signal });
    await learn(id, adapter, signal);
    capabilities[id] = adapter.capabilities;
    const refusal = requirements && capabilityRefusal(id, requirements, capabilities[id]);
    if (refusal) {
      throw new AcodeError(
        'MODE_FORBIDDEN',
        `${refusal.reason}: its server says so for the configured model.`,
        `Set providers.${id}.model to a model that has it, or ask without needing it.`,
        { details: { provider: id } },
      );
    }
    return adapter;
  }

  /** Reports a request broken by `id`'s server and waits until the service is healthy again. */
  async function recover(id: string, error: unknown, signal?: AbortSignal): Promise<ModelProvider> {
    const handle = service(id);
    handle.requestFailed(error);
    return handle.ensureHealthy({ signal });
  }

  // Request machines are root actors of their own (a request ends, the registry lives on), inspected
  // with the registry: `--record` and the inspector see `request.1`, `request.2` ... beside the services.
  let requests = 0;
  // Retries and fallbacks are what a user asks about afterwards ("why was that answer slow?").
  const log = options.log ?? processLogger();
  const spawnRequest: SpawnRequest = (logic, input) => {
    const request = createActor(logic, {
      input,
      systemId: `request.${++requests}`,
      ...(options.inspect ? { inspect: options.inspect } : {}),
    });
    request.on('retry', ({ info }) =>
      log.info({ provider: info.provider, attempt: info.attempt, code: info.code, path: info.path }, 'request retried'),
    );
    request.on('fallback', ({ failed, next }) =>
      log.info({ provider: failed.id, code: failed.code, next }, 'request fell back'),
    );
    return request;
  };

  /** A healthy, crash-safe provider for `id`; throws the service's typed error when it cannot be had. */
  async function getProvider(
    id: string,
    opts: { signal?: AbortSignal; onRetry?: (info: RetryInfo) => void; requirements?: Requirements } = {},
  ): Promise<ModelProvider> {
    const adapter = await healthyAdapter(id, opts.signal, opts.requirements);
    return resilientProvider(service(id), adapter, {
      spawn: spawnRequest,
      ...(opts.onRetry ? { onRetry: opts.onRetry } : {}),
    });
  }

  // Every request ranks the providers by state: read only the top state, not a whole status report.
  function health(): Record<string, HealthView> {
    const services = actor.getSnapshot().context.services;
    const out: Record<string, HealthView> = {};
    for (const id of Object.keys(config.providers)) {
      const ref = services[id];
      out[id] = ref ? topState(ref.getSnapshot().value) : 'unspawned';
    }
    return out;
  }

  function select(opts: Pick<AcquireOptions, 'preferred' | 'requirements' | 'anyConfigured' | 'exclude'>) {
    return selectProviders({
      config,
      health: health(),
      capabilities,
      exclude: opts.exclude ?? [],
      anyConfigured: opts.anyConfigured === true,
      ...(opts.preferred !== undefined ? { preferred: opts.preferred } : {}),
      ...(opts.requirements ? { requirements: opts.requirements } : {}),
    });
  }

  /** The best allowed provider that becomes healthy, walking the ranked candidates in order. */
  async function acquire(opts: AcquireOptions = {}): Promise<Acquired> {
    if (opts.preferred !== undefined) provider(opts.preferred);
    const fallbacks: FallbackReason[] = [];
    const earlier = opts.tried ?? [];
    const rank = () =>
      select({ ...opts, exclude: [...(opts.exclude ?? []), ...[...earlier, ...fallbacks].map((f) => f.id)] });
    let firstError: unknown;
    for (let sel = rank(); ; sel = rank()) {
      const next = sel.order[0];
      if (next === undefined) throw noneLeft(firstError, [...earlier, ...fallbacks], sel.refused);
      try {
        const provider = await getProvider(next, {
          signal: opts.signal,
          onRetry: opts.onRetry,
          ...(opts.requirements ? { requirements: opts.requirements } : {}),
        });
        return { id: next, provider, fallbacks };
      } catch (error) {
        if (!allowsFallback(error) || opts.signal?.aborted) throw error;
        firstError ??= error;
        const reason = reasonOf(next, error);
        fallbacks.push(reason);
        const after = rank().order[0];
        if (after !== undefined) opts.onFallback?.(reason, after);
      }
    }
  }

  function status(): ProviderStatus[] {
    const services = actor.getSnapshot().context.services;
    return Object.values(config.providers).map((p) => providerStatus(p, services[p.id]));
  }

  /**
   * Applies an edited config to the running services: only what changed is touched. A removed
   * provider this process started with stop_on_exit is stopped (as exit would have); its handle and
   * those of changed providers are rebuilt on next use, so adapters get the new address and timeouts.
   */
  async function reconfigure(next: AcodeConfig, { signal }: { signal?: AbortSignal } = {}): Promise<ReloadSummary> {
    const before = config;
    const services = actor.getSnapshot().context.services;
    const summary: ReloadSummary = { ...configChanges(before, next), restarting: [] };
    const stopping = summary.removed.filter((id) => startedHere.has(id) && before.providers[id]?.lifecycle.stopOnExit);
    await Promise.allSettled(stopping.flatMap((id) => handles.get(id)?.stop({ ...(signal ? { signal } : {}) }) ?? []));
    config = next;
    for (const id of [...summary.removed, ...summary.changed]) {
      const handle = handles.get(id);
      handles.delete(id);
      void handle?.close();
      if (summary.removed.includes(id)) startedHere.delete(id);
    }
    actor.send({ type: 'RECONFIGURE', config: next });
    summary.restarting = summary.changed.filter((id) => services[id]?.getSnapshot().matches('reloading'));
    for (const l of listeners) for (const s of status()) l(s);
    return summary;
  }

  /** Stops the servers this process started whose stop_on_exit is set, then the supervisor itself. */
  async function dispose({ signal }: { signal?: AbortSignal } = {}): Promise<void> {
    if (actor.getSnapshot().status === 'active') actor.send({ type: 'DISPOSE' });
    await waitFor(actor, (s) => s.status !== 'active', { ...(signal ? { signal } : {}), timeout: Infinity });
    await released();
  }

  /** Stops the supervisor and its watching only: the servers keep running (an explicit start). */
  async function detach(): Promise<void> {
    actor.stop();
    await released();
  }

  // A start cut short (Ctrl-C) kills the child it spawned in the background: wait for that (each
  // clean-up bounds itself), so the CLI never exits with a half-killed server behind it.
  async function released(): Promise<void> {
    await Promise.allSettled([...handles.values()].map((h) => h.close()));
    await settleCleanups();
  }

  return {
    get config(): AcodeConfig {
      return config;
    },
    actor,
    service,
    getProvider,
    getDefaultProvider: (opts: { signal?: AbortSignal; onRetry?: (info: RetryInfo) => void } = {}) =>
      getProvider(config.active, opts),
    getProviderFor: (requirements: Requirements, opts: Omit<AcquireOptions, 'requirements'> = {}) =>
      acquire({ anyConfigured: true, ...opts, requirements }),
    acquire,
    /** The allowed candidates, best first, and why the others are refused; throws PROVIDER_UNKNOWN for an unknown `preferred`. */
    candidates(opts: Pick<AcquireOptions, 'preferred' | 'requirements' | 'exclude'>): Selection {
      if (opts.preferred !== undefined) provider(opts.preferred);
      const sel = select(opts);
      return { order: sel.order, refused: sel.refused };
    },
    healthyAdapter,
    recover,
    spawnRequest,
    /** The allowed candidates, best first, as acquire() would try them now. */
    acquireOrder: (opts: Pick<AcquireOptions, 'preferred' | 'requirements' | 'anyConfigured' | 'exclude'> = {}) =>
      select(opts).order,
    status,
    onStatus(listener: (status: ProviderStatus) => void): () => void {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    reconfigure,
    dispose,
    detach,
  };
}

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

/** A registry whose services detect, start and watch real servers: the CLI and the gateway open one per process. */
export function openRegistry(options: OpenRegistryOptions): Registry {
  const env = { ...options.env };
  // One pool per provider endpoint, shared by detect, the health poller, the model check and the adapter
  // a request streams through; closed once the registry lets go of its services. One factory for the
  // actors' probes and the adapters handed out for requests: both send the API key from this
  // environment (the CLI's), not whatever process.env happens to hold.
  const pools = options.pools ?? createConnectionPools();
  const createAdapter = options.actorDeps?.createAdapter ?? adapterFactory(env, pools);
  const actors = createActorImplementations({ env, ...options.actorDeps, createAdapter });
  const registry = createRegistry({
    config: options.config,
    stateDir: options.stateDir ?? resolveStateDir(options.env),
    serviceLogic: serviceMachine.provide({ actors }),
    createAdapter,
    ...(options.actorDeps?.log ? { log: options.actorDeps.log } : {}),
    ...(options.inspect ? { inspect: options.inspect } : {}),
  });
  // Letting go of the services (dispose or detach) also lets go of their connections.
  const thenClosePools =
    <A extends unknown[]>(release: (...args: A) => Promise<void>) =>
    async (...args: A): Promise<void> => {
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
