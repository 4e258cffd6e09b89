// Plays a replay file against the service machine: fake actors from the file, a SimulatedClock that
// moves only on `advance` steps, and the sequence of state labels it went through. No real time, no
// network, no process. The file format is plain JSON so a recorded incident can become a replay.
import { createActor, fromCallback, fromPromise, SimulatedClock } from 'xstate';
import type { EventObject, StateValue } from 'xstate';
import { DEFAULT_LIFECYCLE, DEFAULT_REQUEST_TIMEOUTS } from '../../config/index.js';
import type { LifecycleMode, OperatingMode, ProviderConfig, ProviderKind } from '../../config/index.js';
import type { SerializedError, ServiceRef } from '../../actors/index.js';
import { serviceMachine, stateLabel, statusOf } from '../../machines/index.js';
import type { ServiceEvent, StatusReport } from '../../machines/index.js';

/** What one invocation of a promise actor does. */
export type Outcome = { resolve: unknown } | { reject: SerializedError } | { pending: true };

/** What one invocation of a callback actor does: run quietly, or fail at once. */
export type CallbackOutcome = { ok: true } | { reject: SerializedError };

export interface ReplayInput {
  id?: string;
  kind?: ProviderKind;
  model?: string;
  host?: string;
  port?: number;
  lifecycle?: LifecycleMode;
  mode?: OperatingMode;
  maxRestarts?: number;
  restartWindowSeconds?: number;
  startTimeoutSeconds?: number;
  modelLoadTimeoutSeconds?: number;
  healthCheckIntervalSeconds?: number;
  maxMisses?: number;
  /** providers.<id>.gpu.required (false: a CPU build of vLLM, no GPU check). */
  gpuRequired?: boolean;
  /** A constant, or a sequence used in turn (and then repeated from the start). */
  random?: number | number[];
}

/**
 * Send an event, move the clock by `advance` ms, or reload the config with `reconfigure` (the input
 * with these fields changed, sent as RECONFIGURE); `expect` is the state label right after the step.
 */
export type Step = ({ send: ServiceEvent } | { advance: number } | { reconfigure: Partial<ReplayInput> }) & {
  expect?: string;
};

export interface ReplayFile {
  name: string;
  description?: string;
  /** The chart transitions this replay exercises, as "from -> to" (see README.md). */
  covers: string[];
  input: ReplayInput;
  /**
   * Promise actors' outcomes, one per invocation; the last one repeats. Default: pending (checkGpus and
   * fetchModel: pass). Callback
   * actors (watchProcess, watchLog, healthPoller, pullModel, watchGpus) take { "ok": true } or { "reject": error } per
   * invocation; by default they run and send nothing (their events are scripted as steps).
   */
  actors?: Partial<
    Record<'detect' | 'spawnServer' | 'checkModel' | 'stopServer' | 'checkGpus' | 'fetchModel', Outcome[]>
  > &
    Partial<Record<'watchProcess' | 'watchLog' | 'healthPoller' | 'pullModel' | 'watchGpus', CallbackOutcome[]>>;
  steps: Step[];
  expect: {
    /** State labels ("stopped", "healthy/ready" ...), consecutive duplicates collapsed. */
    states: string[];
    /** Dotted paths into the final StatusReport, e.g. "lastError.code": "CRASH_LOOP"; a value
     *  { "$contains": "text" } checks a substring instead. */
    final?: Record<string, unknown>;
    /** How many times each actor was invoked. */
    invocations?: Record<string, number>;
  };
}

export interface ReplayResult {
  states: string[];
  final: StatusReport;
  invocations: Record<string, number>;
  /** Clock time of each label's first appearance, for timing assertions in tests. */
  times: number[];
  /** Steps whose `expect` label did not match, as "step N: expected X, got Y". */
  stepMismatches: string[];
}

const KIND_TYPE: Record<ProviderKind, ProviderConfig['type']> = {
  ollama: 'ollama',
  vllm: 'openai-compatible',
  llamacpp: 'openai-compatible',
  lmstudio: 'openai-compatible',
  custom: 'openai-compatible',
};

export function replayRef(input: ReplayInput): ServiceRef {
  const kind = input.kind ?? 'vllm';
  const host = input.host ?? '127.0.0.1';
  const port = input.port ?? 8000;
  const provider: ProviderConfig = {
    id: input.id ?? kind,
    kind,
    type: KIND_TYPE[kind],
    model: input.model ?? 'test-model',
    host,
    port,
    baseUrl: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    args: [],
    timeouts: DEFAULT_REQUEST_TIMEOUTS,
    gpu: input.gpuRequired === undefined ? {} : { required: input.gpuRequired },
    lifecycle: {
      ...DEFAULT_LIFECYCLE,
      mode: input.lifecycle ?? 'managed',
      ...(input.maxRestarts !== undefined && { maxRestarts: input.maxRestarts }),
      ...(input.restartWindowSeconds !== undefined && { restartWindowSeconds: input.restartWindowSeconds }),
      ...(input.startTimeoutSeconds !== undefined && { startTimeoutSeconds: input.startTimeoutSeconds }),
      ...(input.modelLoadTimeoutSeconds !== undefined && { modelLoadTimeoutSeconds: input.modelLoadTimeoutSeconds }),
      ...(input.healthCheckIntervalSeconds !== undefined && {
        healthCheckIntervalSeconds: input.healthCheckIntervalSeconds,
      }),
    },
  };
  return { provider, mode: input.mode ?? 'local-only', stateDir: '/nonexistent/acode-replay' };
}

function replayRandom(spec: number | number[] | undefined): () => number {
  const values = spec === undefined ? [0.5] : Array.isArray(spec) ? spec : [spec];
  let i = 0;
  return () => values[i++ % values.length] ?? 0.5;
}

function fakePromise<O, I>(name: string, outcomes: Outcome[] | undefined, count: (n: string) => void) {
  let calls = 0;
  return fromPromise<O, I>(async () => {
    count(name);
    const outcome = outcomes?.[Math.min(calls++, outcomes.length - 1)] ?? { pending: true };
    if ('resolve' in outcome) return outcome.resolve as O;
    if ('reject' in outcome) throw outcome.reject;
    return new Promise<O>(() => {});
  });
}

function fakeCallback<I>(name: string, outcomes: CallbackOutcome[] | undefined, count: (n: string) => void) {
  let calls = 0;
  // The events these actors send back are scripted as steps, exactly as a recording holds them.
  return fromCallback<EventObject, I>(() => {
    count(name);
    const outcome = outcomes?.[Math.min(calls++, outcomes.length - 1)] ?? { ok: true };
    if ('reject' in outcome) throw outcome.reject;
    return () => {};
  });
}

/** Lets every resolved promise and the machine's reactions to it run; not a wait for time. */
const drain = () => new Promise<void>((resolve) => setImmediate(resolve));

export async function runReplay(replay: ReplayFile): Promise<ReplayResult> {
  const invocations: Record<string, number> = {};
  const count = (n: string) => {
    invocations[n] = (invocations[n] ?? 0) + 1;
  };
  const a = replay.actors ?? {};
  const machine = serviceMachine.provide({
    actors: {
      detect: fakePromise('detect', a.detect, count),
      spawnServer: fakePromise('spawnServer', a.spawnServer, count),
      checkModel: fakePromise('checkModel', a.checkModel, count),
      // vLLM's GPU check passes unless the replay scripts it (a GPU-less replay would otherwise hang here).
      checkGpus: fakePromise('checkGpus', a.checkGpus ?? [{ resolve: { gpus: [] } }], count),
      fetchModel: fakePromise('fetchModel', a.fetchModel ?? [{ resolve: { kind: 'cached', downloaded: 0 } }], count),
      watchGpus: fakeCallback('watchGpus', a.watchGpus, count),
      stopServer: fakePromise('stopServer', a.stopServer, count),
      watchProcess: fakeCallback('watchProcess', a.watchProcess, count),
      watchLog: fakeCallback('watchLog', a.watchLog, count),
      healthPoller: fakeCallback('healthPoller', a.healthPoller, count),
      pullModel: fakeCallback('pullModel', a.pullModel, count),
    },
  });
  const clock = new SimulatedClock();
  const input = {
    ref: replayRef(replay.input),
    random: replayRandom(replay.input.random),
    maxMisses: replay.input.maxMisses ?? 3,
    clock,
  };
  const actor = createActor(machine, { clock, input });
  const states: string[] = [];
  const times: number[] = [];
  const record = (value: StateValue) => {
    const label = stateLabel(value);
    if (states[states.length - 1] !== label) {
      states.push(label);
      times.push(clock.now());
    }
  };
  let failure: unknown;
  actor.subscribe({ next: (s) => record(s.value), error: (e) => (failure = e) });
  actor.start();
  // Settles what follows a step without moving time: resolved actors, then 0-ms delays, until quiet.
  const settle = async () => {
    for (let i = 0; i < 50; i++) {
      const before = actor.getSnapshot();
      await drain();
      clock.increment(0);
      await drain();
      if (actor.getSnapshot() === before) return;
    }
  };
  await settle();
  const stepMismatches: string[] = [];
  for (const [i, step] of replay.steps.entries()) {
    if ('send' in step) actor.send(step.send);
    else if ('reconfigure' in step)
      actor.send({ type: 'RECONFIGURE', ref: replayRef({ ...replay.input, ...step.reconfigure }) });
    else clock.increment(step.advance);
    await settle();
    if (failure) throw failure;
    const label = stateLabel(actor.getSnapshot().value);
    if (step.expect !== undefined && step.expect !== label) {
      stepMismatches.push(`step ${i}: expected ${step.expect}, got ${label}`);
    }
  }
  const final = statusOf(actor.getSnapshot(), clock.now());
  actor.stop();
  return { states, final, invocations, times, stepMismatches };
}

/** Reads a dotted path ("lastError.details.exits") out of a plain object. */
export function pick(value: unknown, path: string): unknown {
  return path
    .split('.')
    .reduce<unknown>(
      (v, k) => (v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined),
      value,
    );
}
