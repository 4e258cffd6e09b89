// One provider's service as the rest of the program uses it: a running service actor plus the calls
// around it (start, stop, ensureHealthy, status). Adapters are handed out only while the snapshot is
// healthy with the model ready, and handing one out on that path costs no request at all.
import { createActor } from 'xstate';
import type { ActorRefFrom, InspectionEvent } from 'xstate';
import type { OperatingMode, ProviderConfig } from '../config/index.js';
import type { ModelProvider } from '../adapters/index.js';
import { settleCleanups, type ServiceRef } from '../actors/index.js';
import { serviceMachine } from './service.machine.js';
import type { ServiceActorLogic } from './service-actors.js';
import type { ServiceInput } from './service-types.js';
import { isStartPulling, statusOf, type StatusReport } from './status.js';
import { errorFromSnapshot, hasFailed, isSettled, isUsable, waitForService, type ServiceSnapshot } from './service-wait.js';
import { ensureRetries } from './policy.js';
import { defaultCreateAdapter, defaultServiceActors } from './default-actors.js';

export type ServiceActor = ActorRefFrom<typeof serviceMachine>;
export type AdapterFactory = (provider: ProviderConfig, options: { mode: OperatingMode }) => ModelProvider;
/** XState's clock shape, plus now() where it has one (SimulatedClock does). */
export interface ServiceClock {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  now?(): number;
}

export interface CreateServiceOptions {
  ref: ServiceRef;
  /**
   * The I/O actors (fakes in tests). Default: actors/ implementations over `clock`. When given, a
   * missing one keeps the placeholder, which fails loudly if invoked.
   */
  actors?: Partial<ServiceActorLogic>;
  /** Default: the adapters' createProvider. */
  createAdapter?: AdapterFactory;
  /** Drives the machine's delays and the ensureHealthy bound; a SimulatedClock in tests. */
  clock?: ServiceClock;
  /** Backoff jitter source in [0, 1). */
  random?: () => number;
  inspect?: (event: InspectionEvent) => void;
  /** Backoff, probe misses and stop grace (defaults in service-types.ts). */
  tuning?: Omit<ServiceInput, 'ref' | 'random'>;
}

export interface Service {
  readonly actor: ServiceActor;
  /** Detect, and start if the lifecycle and mode allow (START). */
  start(): void;
  /** STOP, then wait for stopped (or failed when the stop itself failed). */
  stop(opts?: { signal?: AbortSignal }): Promise<void>;
  /** A provider ready for requests, or the typed error that says what to do. */
  ensureHealthy(opts?: { signal?: AbortSignal }): Promise<ModelProvider>;
  status(): StatusReport;
  /** A request hit a "server is gone" error: the machine probes once now. */
  requestFailed(detail?: string): void;
  /** Stops the actor (a running server stays; a spawn it cuts short kills its child) and closes the adapter's connections. */
  dispose(): Promise<void>;
}

const wallClock: ServiceClock = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
  now: () => Date.now(),
};

/** Builds and starts the service actor (in `stopped`); nothing happens until start() or ensureHealthy(). */
export function createService(options: CreateServiceOptions): Service {
  const { ref } = options;
  const clock = options.clock ?? wallClock;
  const now = () => (clock.now ? clock.now() : Date.now());
  const createAdapter = options.createAdapter ?? defaultCreateAdapter;
  const actors = options.actors ?? defaultServiceActors({ clock, now });
  const machine = serviceMachine.provide({ actors });
  const input: ServiceInput = { ...options.tuning, ref, ...(options.random ? { random: options.random } : {}) };
  const actor = createActor(machine, { input, clock, ...(options.inspect ? { inspect: options.inspect } : {}) });
  actor.start();
  let adapter: ModelProvider | undefined;
  const snapshot = (): ServiceSnapshot => actor.getSnapshot();
  const handOut = (): ModelProvider => (adapter ??= createAdapter(ref.provider, { mode: ref.mode }));
  const { startTimeoutSeconds, modelLoadTimeoutSeconds } = ref.provider.lifecycle;
  const boundMs = (startTimeoutSeconds + modelLoadTimeoutSeconds) * 1000;

  return {
    actor,
    start() {
      actor.send({ type: 'START' });
    },
    async stop({ signal } = {}) {
      const before = snapshot();
      if (before.matches('stopped')) return;
      actor.send({ type: 'STOP' });
      const after = await waitForService(actor, clock, {
        done: (s) => s.matches('stopped') || hasFailed(s),
        ...(signal ? { signal } : {}),
      });
      if (after.matches('failed')) throw errorFromSnapshot(after);
    },
    async ensureHealthy({ signal } = {}) {
      const current = snapshot();
      if (isUsable(current)) return handOut();
      if (hasFailed(current) && !ensureRetries(current.context.lastError?.code)) {
        throw errorFromSnapshot(current);
      }
      actor.send({ type: 'ENSURE' });
      const settled = await waitForService(actor, clock, {
        done: isSettled,
        boundMs,
        // A pull is bounded by its own progress (the pull actor fails a stalled download), not by us.
        extendWhile: (s) => s.matches({ healthy: { model: 'pulling' } }) || isStartPulling(s.value),
        ...(signal ? { signal } : {}),
      });
      if (isUsable(settled)) return handOut();
      throw errorFromSnapshot(settled);
    },
    status() {
      return statusOf(snapshot(), now());
    },
    requestFailed(detail) {
      actor.send({ type: 'REQUEST_FAILED', ...(detail ? { detail } : {}) });
    },
    async dispose() {
      actor.stop();
      // A spawn cut short by the stop kills its child in the background: wait for it.
      await settleCleanups();
      const a = adapter;
      adapter = undefined;
      await a?.close();
    },
  };
}

