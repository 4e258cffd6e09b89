// One provider's service as the rest of the program uses it: a service actor plus the calls around it
// (start, stop, ensureHealthy, status, requestFailed). createService builds a root actor for it; the
// registry binds the same handle to the actors it spawns, so the product, the tests and the bench all
// wait by the same rules. Adapters are handed out only while the snapshot is healthy with the model
// ready, and handing one out on that path costs no request at all.
import { createActor } from 'xstate';
import type { ActorRefFrom, InspectionEvent, SnapshotFrom } from 'xstate';
import { AcodeError, ERROR_CODES, toAcodeError } from '../config/index.js';
import type { AcodeErrorCode, OperatingMode, ProviderConfig } from '../config/index.js';
import { createProvider, type ModelProvider } from '../adapters/index.js';
import { createActorImplementations, realClock, settleCleanups, type Clock, type ServiceRef } from '../actors/index.js';
import { serviceMachine } from './service.machine.js';
import type { ServiceActorLogic } from './service-actors.js';
import type { ServiceInput } from './service-types.js';
import { isStartPulling, stateLabel, statusOf, type StatusReport } from './status.js';

/** The service machine with its actors provided: what createService and the registry run. */
export type ServiceLogic = typeof serviceMachine;
export type ServiceActor = ActorRefFrom<ServiceLogic>;
export type ServiceSnapshot = SnapshotFrom<ServiceLogic>;
export type AdapterFactory = (provider: ProviderConfig, options: { mode: OperatingMode }) => ModelProvider;

interface Subscribable {
  getSnapshot(): ServiceSnapshot;
  subscribe(observer: { next: (s: ServiceSnapshot) => void; error: (e: unknown) => void; complete: () => void }): {
    unsubscribe(): void;
  };
}

/** Healthy with the model ready, and not re-checking a server a request just found gone. */
export function isUsable(s: ServiceSnapshot): boolean {
  if (!s.matches({ healthy: { model: 'ready' } })) return false;
  return !s.matches({ healthy: { probe: 'reprobing' } });
}

/**
 * Failed, with nothing of ours left running. `failed` first reaps a process we gave up on (a start
 * timeout, a hung server): until that is done the pid is still ours, and a CLI that exited then would
 * abandon the reap between SIGTERM and SIGKILL.
 */
export function hasFailed(s: ServiceSnapshot): boolean {
  return s.matches('failed') && !s.matches({ failed: 'reaping' });
}

/** States in which waiting longer will not help: the machine waits for the user (or a poll) there. */
export function isSettled(s: ServiceSnapshot): boolean {
  return (
    isUsable(s) ||
    s.status !== 'active' ||
    hasFailed(s) ||
    s.matches('unavailable') ||
    s.matches('stopped') ||
    s.matches({ healthy: { model: 'missing' } })
  );
}

const isCode = (code: string): code is AcodeErrorCode => code in ERROR_CODES;

/** The snapshot's recorded failure as an AcodeError (code, message, hint, details). */
export function errorFromSnapshot(s: ServiceSnapshot): AcodeError {
  const { lastError, ref } = s.context;
  const provider = ref.provider.id;
  const state = stateLabel(s.value);
  if (lastError) {
    const code = isCode(lastError.code) ? lastError.code : 'INTERNAL';
    return new AcodeError(code, lastError.message, lastError.hint, {
      details: { provider, state, ...lastError.details },
    });
  }
  return new AcodeError(
    'PROVIDER_UNAVAILABLE',
    `${provider} is not available (${state}).`,
    `Run \`acode providers status ${provider}\` to see why, then \`acode providers start ${provider}\`.`,
    { details: { provider, state } },
  );
}

export interface WaitOptions {
  done: (s: ServiceSnapshot) => boolean;
  /** Give up after this many clock ms (unbounded when absent). */
  boundMs?: number;
  /** When the bound is reached in such a state, wait another bound instead of giving up. */
  extendWhile?: (s: ServiceSnapshot) => boolean;
  signal?: AbortSignal;
}

/** Resolves with the first snapshot (current included) that is `done`; rejects on bound or abort. */
export function waitForService(
  actor: Subscribable,
  clock: Pick<Clock, 'setTimeout' | 'clearTimeout'>,
  options: WaitOptions,
): Promise<ServiceSnapshot> {
  const { done, boundMs, extendWhile, signal } = options;
  return new Promise<ServiceSnapshot>((resolve, reject) => {
    const first = actor.getSnapshot();
    if (done(first)) return resolve(first);
    if (signal?.aborted) return reject(aborted(first, signal.reason));
    let timer: unknown;
    let settled = false;
    const finish = (settle: () => void) => {
      if (settled) return;
      settled = true;
      if (timer !== undefined) clock.clearTimeout(timer);
      sub.unsubscribe();
      signal?.removeEventListener('abort', onAbort);
      settle();
    };
    const onAbort = () => finish(() => reject(aborted(actor.getSnapshot(), signal?.reason)));
    const onBound = () => {
      const s = actor.getSnapshot();
      if (extendWhile?.(s)) return arm();
      finish(() => reject(timedOut(s, boundMs ?? 0)));
    };
    const arm = () => {
      if (boundMs !== undefined) timer = clock.setTimeout(onBound, boundMs);
    };
    const sub = actor.subscribe({
      next: (s) => {
        if (done(s)) finish(() => resolve(s));
      },
      error: (e) => finish(() => reject(toAcodeError(e))),
      complete: () => finish(() => resolve(actor.getSnapshot())),
    });
    signal?.addEventListener('abort', onAbort, { once: true });
    arm();
  });
}

function aborted(s: ServiceSnapshot, reason: unknown): AcodeError {
  const provider = s.context.ref.provider.id;
  return new AcodeError(
    'ABORTED',
    `${provider}: waiting for the server was cancelled.`,
    'Run the command again when you are ready.',
    {
      cause: reason,
      details: { provider, state: stateLabel(s.value) },
    },
  );
}

function timedOut(s: ServiceSnapshot, boundMs: number): AcodeError {
  const provider = s.context.ref.provider.id;
  const state = stateLabel(s.value);
  return new AcodeError(
    'START_TIMEOUT',
    `${provider}: not healthy after ${Math.round(boundMs / 1000)} s (still ${state}).`,
    `Check \`acode providers status ${provider}\` and its log, or raise providers.${provider}.lifecycle.start_timeout_seconds / model_load_timeout_seconds.`,
    { details: { provider, state, boundMs } },
  );
}

/** The calls on one service actor; the registry and the retry layer drive a spawned one through it. */
export interface ServiceHandle {
  readonly actor: ServiceActor;
  /** Detect, and start if the lifecycle and mode allow (START). */
  start(): void;
  /** STOP, then wait for stopped (or failed when the stop itself failed). Stops the server only if this tool may. */
  stop(opts?: { signal?: AbortSignal }): Promise<void>;
  /** A provider ready for requests, or the typed error that says what to do. */
  ensureHealthy(opts?: { signal?: AbortSignal }): Promise<ModelProvider>;
  status(): StatusReport;
  /** A request hit a "server is gone" error (its `code` travels as the detail): the machine probes once now. */
  requestFailed(error?: unknown): void;
  /** Releases the adapter's connections (never touches the server or the actor). */
  close(): Promise<void>;
}

export interface BindOptions {
  /** Default: the adapters' createProvider. */
  createAdapter?: AdapterFactory;
  /** The actor's clock: bounds ensureHealthy's wait and dates status(). Default: the wall clock. */
  clock?: Clock;
}

/**
 * Upper bound on one ensureHealthy wait; the machine's own timeouts (start, model load, restart budget)
 * normally end it first. Generous on purpose: after a crash mid-request the service may go through a
 * backoff and up to max_restarts whole restarts before it is usable, each bounded by the machine.
 */
function ensureBoundMs(provider: ProviderConfig): number {
  const l = provider.lifecycle;
  return ((l.startTimeoutSeconds + l.modelLoadTimeoutSeconds) * (l.maxRestarts + 1) + 60) * 1000;
}

/** The handle over a running service actor (a root one, or one the registry spawned). */
export function bindService(
  actor: ServiceActor,
  ref: Pick<ServiceRef, 'provider' | 'mode'>,
  options: BindOptions = {},
): ServiceHandle {
  const createAdapter = options.createAdapter ?? createProvider;
  const clock = options.clock ?? realClock;
  let adapter: ModelProvider | undefined;
  const handOut = (): ModelProvider => (adapter ??= createAdapter(ref.provider, { mode: ref.mode }));

  return {
    actor,
    start() {
      actor.send({ type: 'START' });
    },
    async stop({ signal } = {}) {
      if (actor.getSnapshot().matches('stopped')) return;
      actor.send({ type: 'STOP' });
      const after = await waitForService(actor, clock, {
        done: (s) => s.status !== 'active' || s.matches('stopped') || hasFailed(s),
        ...(signal ? { signal } : {}),
      });
      if (after.matches('failed')) throw errorFromSnapshot(after);
    },
    async ensureHealthy({ signal } = {}) {
      if (isUsable(actor.getSnapshot())) return handOut();
      // The machine decides whether ENSURE retries a failure (policy.ensureRetries); if it does not,
      // the snapshot is already settled and the wait below returns it at once.
      actor.send({ type: 'ENSURE' });
      const settled = await waitForService(actor, clock, {
        done: isSettled,
        boundMs: ensureBoundMs(ref.provider),
        // A pull is bounded by its own progress (the pull actor fails a stalled download), not by us.
        extendWhile: (s) => s.matches({ healthy: { model: 'pulling' } }) || isStartPulling(s.value),
        ...(signal ? { signal } : {}),
      });
      if (isUsable(settled)) return handOut();
      throw errorFromSnapshot(settled);
    },
    status() {
      return statusOf(actor.getSnapshot(), clock.now());
    },
    requestFailed(error) {
      const code = (error as { code?: unknown } | undefined)?.code;
      actor.send({ type: 'REQUEST_FAILED', ...(typeof code === 'string' ? { detail: code } : {}) });
    },
    async close() {
      const a = adapter;
      adapter = undefined;
      await a?.close();
    },
  };
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
  clock?: Clock;
  /** Backoff jitter source in [0, 1). */
  random?: () => number;
  inspect?: (event: InspectionEvent) => void;
  /** Backoff, probe misses and stop grace (defaults in service-types.ts). */
  tuning?: Omit<ServiceInput, 'ref' | 'random' | 'clock'>;
}

/** A service that owns its actor: the handle, plus dispose(). */
export interface Service extends ServiceHandle {
  /** Stops the actor (a running server stays; a spawn it cuts short kills its child) and closes the adapter's connections. */
  dispose(): Promise<void>;
}

/** Builds and starts the service actor (in `stopped`); nothing happens until start() or ensureHealthy(). */
export function createService(options: CreateServiceOptions): Service {
  const { ref } = options;
  const clock = options.clock ?? realClock;
  const actors = options.actors ?? createActorImplementations({ clock });
  const machine = serviceMachine.provide({ actors });
  // One clock for the machine's delays (XState's), its notion of now (input) and its actors (deps).
  const input: ServiceInput = { ...options.tuning, ref, clock, ...(options.random ? { random: options.random } : {}) };
  const actor = createActor(machine, { input, clock, ...(options.inspect ? { inspect: options.inspect } : {}) });
  actor.start();
  const handle = bindService(actor, ref, {
    clock,
    ...(options.createAdapter ? { createAdapter: options.createAdapter } : {}),
  });
  return {
    ...handle,
    async dispose() {
      actor.stop();
      // A spawn cut short by the stop kills its child in the background: wait for it.
      await settleCleanups();
      await handle.close();
    },
  };
}
