// The named implementations the service machine refers to: guards (policy.ts as predicates over
// context), context updates, and delays fed from configuration. Time comes from the clock in the
// machine's input (a SimulatedClock in replays), never from a global or XState's private system clock.
import { assign, setup } from 'xstate';
import { checksGpus, fetchesModel } from '../actors/index.js';
import { serializeError } from '../config/index.js';
import type { DetectResult, ModelCheckResult, SerializedError } from '../actors/index.js';
import * as policy from './policy.js';
import * as errors from './service-errors.js';
import { placeholderActors } from './service-actors.js';
import { DEFAULT_BACKOFF, DEFAULT_GRACE_MS, DEFAULT_MAX_MISSES } from './service-types.js';
import type { ServiceContext, ServiceEvent, ServiceInput } from './service-types.js';

export function initialContext(input: ServiceInput): ServiceContext {
  return {
    ref: input.ref,
    pid: null,
    owned: false,
    spawnedHere: false,
    restarts: [],
    lastError: null,
    pull: null,
    load: null,
    logTail: [],
    gpuFault: null,
    logFile: null,
    startedAt: null,
    crashedAt: null,
    random: input.random ?? Math.random,
    now: input.clock ? () => input.clock!.now() : Date.now,
    backoff: { ...DEFAULT_BACKOFF, ...input.backoff },
    maxMisses: input.maxMisses ?? DEFAULT_MAX_MISSES,
    graceMs: input.graceMs ?? DEFAULT_GRACE_MS,
    pendingRef: null,
  };
}

// Done and error events of invoked actors are not in the machine's event union; read them here.
const outputOf = <T>(event: unknown): T => (event as { output: T }).output;
const errorOf = (event: unknown): unknown => (event as { error: unknown }).error;
const lifecycleOf = (c: ServiceContext) => c.ref.provider.lifecycle;
const windowMs = (c: ServiceContext) => lifecycleOf(c).restartWindowSeconds * 1000;
type SpawnOutput = { pid?: number; adopted: boolean; owned?: boolean };
// Ours to watch and stop: we spawned it, or adopted it through a pid file of ours that /proc confirmed
// (acode started it; "never stop what acode did not start" is about the other processes).
const spawnOwned = (out: SpawnOutput) => out.pid !== undefined && (!out.adopted || out.owned === true);
const CONNECTION_CODES = new Set(['CONNECTION_REFUSED', 'CONNECT_TIMEOUT']);

type Ctx = { context: ServiceContext };

export const serviceSetup = setup({
  types: {
    context: {} as ServiceContext,
    events: {} as ServiceEvent,
    input: {} as ServiceInput,
  },
  actors: placeholderActors,
  guards: {
    detected: ({ event }, params: { kind: DetectResult['kind'] }) => outputOf<DetectResult>(event).kind === params.kind,
    detectedOwnedLoading: ({ event }) => {
      const out = outputOf<DetectResult>(event);
      return out.kind === 'loading' && out.ownedPid !== undefined;
    },
    spawnedOwnPid: ({ event }) => spawnOwned(outputOf<SpawnOutput>(event)),
    modelPresent: ({ event }) => outputOf<ModelCheckResult>(event).kind === 'ready',
    connectionLost: ({ event }) => CONNECTION_CODES.has(serializeError(errorOf(event)).code),
    providerForbidden: ({ context }: Ctx) => !policy.modeAllowsProvider(context.ref.mode, context.ref.provider),
    assumesUp: ({ context }: Ctx) => policy.lifecycleAssumesUp(lifecycleOf(context).mode),
    maySpawn: ({ context }: Ctx) => policy.lifecycleMaySpawn(lifecycleOf(context).mode),
    mayStart: ({ context }: Ctx) => policy.mayStart(lifecycleOf(context).mode, context.ref.mode),
    mayPull: ({ context }: Ctx) => policy.mayPull(context.ref.provider, context.ref.mode),
    pollsWhileDown: ({ context }: Ctx) => policy.lifecyclePollsWhileDown(lifecycleOf(context).mode),
    hasPid: ({ context }: Ctx) => context.pid !== null,
    // vLLM on GPUs (not a CPU build): checked before a spawn, watched while healthy.
    checksGpus: ({ context }: Ctx) => checksGpus(context.ref.provider),
    // vLLM with a hub id: the model is fetched into the cache (or refused) before the spawn.
    fetchesModel: ({ context }: Ctx) => fetchesModel(context.ref),
    watchesGpus: ({ context }: Ctx) =>
      checksGpus(context.ref.provider) && !policy.lifecycleAssumesUp(lifecycleOf(context).mode),
    ownsProcess: ({ context }: Ctx) => context.owned && context.pid !== null,
    mayStopOwned: ({ context }: Ctx) =>
      policy.lifecycleMayStop(lifecycleOf(context).mode) && context.owned && context.pid !== null,
    mayRestart: ({ context }: Ctx) =>
      policy.mayStart(lifecycleOf(context).mode, context.ref.mode) &&
      policy.hasRestartBudget(
        context.restarts,
        context.crashedAt ?? 0,
        lifecycleOf(context).maxRestarts,
        windowMs(context),
      ),
    ensureRetries: ({ context }: Ctx) => policy.ensureRetries(context.lastError?.code),
    // A reload that changes how our own server was launched, which this lifecycle lets us stop and start again.
    reloadRestartsOwned: ({ context, event }) =>
      event.type === 'RECONFIGURE' &&
      context.owned &&
      context.pid !== null &&
      policy.lifecycleMayStop(lifecycleOf(context).mode) &&
      policy.launchChanged(context.ref.provider, event.ref.provider),
    // The model check found another model on a server we own and did not spawn in this run (an earlier
    // acode started it before the config changed), which this lifecycle and mode let us start again.
    relaunchLoadsModel: ({ context }: Ctx) =>
      context.owned &&
      context.pid !== null &&
      !context.spawnedHere &&
      policy.lifecycleMayStop(lifecycleOf(context).mode) &&
      policy.mayStart(lifecycleOf(context).mode, context.ref.mode) &&
      policy.launchPicksModel(context.ref.provider),
    reloadChangesLaunch: ({ context, event }) =>
      event.type === 'RECONFIGURE' && policy.launchChanged(context.ref.provider, event.ref.provider),
  },
  actions: {
    clearError: assign({ lastError: null }),
    applyConfig: assign(({ event }) => (event.type === 'RECONFIGURE' ? { ref: event.ref, pendingRef: null } : {})),
    holdConfig: assign(({ event }) => (event.type === 'RECONFIGURE' ? { pendingRef: event.ref } : {})),
    applyPendingConfig: assign(({ context }) =>
      context.pendingRef ? { ref: context.pendingRef, pendingRef: null } : {},
    ),
    clearPull: assign({ pull: null }),
    clearLoad: assign({ load: null }),
    recordLoadProgress: assign(({ event }) => {
      if (event.type !== 'LOAD_PROGRESS') return {};
      const { phase, percent, text } = event;
      return { load: { phase, percent, text } };
    }),
    resetRestarts: assign({ restarts: [] }),
    forgetProcess: assign({ pid: null, owned: false, spawnedHere: false }),
    adoptDetected: assign(({ event }) => {
      const out = outputOf<DetectResult>(event);
      const pid = out.kind === 'running' || out.kind === 'loading' ? (out.ownedPid ?? null) : null;
      return { pid, owned: pid !== null, spawnedHere: false };
    }),
    recordSpawn: assign(({ event }) => {
      const out = outputOf<SpawnOutput>(event);
      return { pid: out.pid ?? null, owned: spawnOwned(out), spawnedHere: out.pid !== undefined && !out.adopted };
    }),
    // Sent by a spawning actor before it resolves: the child is ours from this moment.
    recordPid: assign(({ event }) =>
      event.type === 'PROCESS_SPAWNED' ? { pid: event.pid, owned: true, spawnedHere: true } : {},
    ),
    recordActorError: assign(({ event }) => ({ lastError: serializeError(errorOf(event)) })),
    recordModeForbidden: assign(({ context }) => ({ lastError: errors.modeForbiddenError(context.ref) })),
    recordPortTaken: assign(({ context, event }) => {
      const out = outputOf<DetectResult>(event);
      return {
        lastError: errors.portTakenError(context.ref.provider, out.kind === 'foreign' ? out.holder : undefined),
      };
    }),
    recordAirgapStart: assign(({ context }) => ({ lastError: errors.airgapStartError(context.ref) })),
    recordUnavailable: assign(({ context }) => ({
      lastError: errors.unavailableError(context.ref),
      pid: null,
      owned: false,
      spawnedHere: false,
    })),
    recordStartTimeout: assign(({ context }) => ({ lastError: errors.startTimeoutError(context.ref) })),
    recordModelLoadTimeout: assign(({ context }) => ({
      lastError: errors.modelLoadTimeoutError(context.ref, context.load),
    })),
    recordStartExit: assign(({ context, event }) => {
      if (event.type !== 'PROCESS_EXITED') return {};
      const lastError = errors.startExitError(context.ref, event.exitCode, event.signal, event.logTail, event.logFile);
      return { lastError, logTail: event.logTail, logFile: event.logFile ?? null, pid: null };
    }),
    recordExit: assign(({ context, event }) => {
      if (event.type !== 'PROCESS_EXITED') return {};
      const how = event.signal ? `killed by ${event.signal}` : `exit code ${event.exitCode}`;
      return {
        lastError: errors.crashError(context.ref, how, event.logTail),
        logTail: event.logTail,
        logFile: event.logFile ?? null,
        pid: null,
      };
    }),
    recordProbeFailed: assign(({ context, event }) => {
      if (event.type !== 'PROBE_FAILED') return {};
      return { lastError: errors.crashError(context.ref, `${event.misses} failed probes: ${event.detail}`) };
    }),
    recordGone: assign(({ context, event }) => {
      const out = outputOf<DetectResult>(event);
      return { lastError: errors.crashError(context.ref, `a request failed and the probe found it ${out.kind}`) };
    }),
    markCrashed: assign(({ context }) => ({ crashedAt: context.now() })),
    recordRestart: assign(({ context }) => {
      const now = context.now();
      return { restarts: [...policy.restartsInWindow(context.restarts, now, windowMs(context)), now] };
    }),
    recordCrashLoop: assign(({ context }) => {
      const exits = policy.restartsInWindow(context.restarts, context.crashedAt ?? 0, windowMs(context)).length + 1;
      return { lastError: errors.crashLoopError(context.ref, exits, context.logTail, context.logFile ?? undefined) };
    }),
    markHealthy: assign(({ context }) => ({ startedAt: context.now(), lastError: null, gpuFault: null })),
    recordGpuFault: assign(({ event }) => (event.type === 'GPU_FAULT' ? { gpuFault: event.detail } : {})),
    clearGpuFault: assign({ gpuFault: null }),
    recordModelMissing: assign(({ context }) => ({ lastError: errors.modelMissingError(context.ref) })),
    recordPullProgress: assign(({ event }) => {
      if (event.type !== 'PULL_PROGRESS') return {};
      const { status, completed, total, bytesPerSecond } = event;
      return { pull: { status, completed, total, bytesPerSecond } };
    }),
    recordPullFailed: assign(({ event }) => {
      const lastError: SerializedError | null = event.type === 'PULL_FAILED' ? event.error : null;
      return { lastError };
    }),
  },
  delays: {
    settle: 0,
    startTimeout: ({ context }) => lifecycleOf(context).startTimeoutSeconds * 1000,
    modelLoadTimeout: ({ context }) => lifecycleOf(context).modelLoadTimeoutSeconds * 1000,
    pollInterval: ({ context }) => lifecycleOf(context).healthCheckIntervalSeconds * 1000,
    // The latest restart is already recorded: 1 means the first in the window (no wait).
    backoff: ({ context }) => policy.restartDelayMs(context.restarts.length, context.random, context.backoff),
  },
});
