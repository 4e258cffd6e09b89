// One provider's service as the rest of the program uses it: a running service actor plus the calls
// around it (start, stop, ensureHealthy, status). Adapters are handed out only while the snapshot is
// healthy with the model ready, and handing one out on that path costs no request at all.
import { createActor } from 'xstate';
import type { ActorRefFrom, InspectionEvent } from 'xstate';
import type { OperatingMode, ProviderConfig } from '../config/index.js';
import type { ModelProvider } from '../adapters/index.js';
import { realClock, settleCleanups, type Clock, type ServiceRef } from '../actors/index.js';
import { serviceMachine } from './service.machine.js';
import type { ServiceActorLogic } from './service-actors.js';
import type { ServiceInput } from './service-types.js';
import { statusOf, type StatusReport } from './status.js';
import { errorFromSnapshot, hasFailed, isSettled, isUsable, waitForService, type ServiceSnapshot } from './service-wait.js';
import { ensureRetries } from './policy.js';
import { defaultCreateAdapter, defaultServiceActors } from './default-actors.js';

export type ServiceActor = ActorRefFrom<typeof serviceMachine>;
export type AdapterFactory = (provider: ProviderConfig, options: { mode: OperatingMode }) => ModelProvider;

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
  clock?: Clock;
  /** Backoff jitter source in [0, 1). */
  random?: () => number;
  inspect?: (event: InspectionEvent) => void;
  /** Backoff, probe misses and stop grace (defaults in service-types.ts). */
  tuning?: Omit<ServiceInput, 'ref' | 'random' | 'clock'>;
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

/** Builds and starts the service actor (in `stopped`); nothing happens until start() or ensureHealthy(). */
export function createService(options: CreateServiceOptions): Service {
  const { ref } = options;
  const clock = options.clock ?? realClock;
  const createAdapter = options.createAdapter ?? defaultCreateAdapter;
  const actors = options.actors ?? defaultServiceActors({ clock });
  const machine = serviceMachine.provide({ actors });
  // One clock for the machine's delays (XState's), its notion of now (input) and its actors (deps).
  const input: ServiceInput = { ...options.tuning, ref, clock, ...(options.random ? { random: options.random } : {}) };
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
        extendWhile: (s) => s.matches({ healthy: { model: 'pulling' } }),
        ...(signal ? { signal } : {}),
      });
      if (isUsable(settled)) return handOut();
      throw errorFromSnapshot(settled);
    },
    status() {
      return statusOf(snapshot(), clock.now());
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

