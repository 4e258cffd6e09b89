// Re-runs a recording against the real service machine: every event a service actor received is sent
// again, in order, at its recorded time (the clock's now() returns it; timers never fire on their own,
// the recorded `xstate.after.*` events stand for them). The invoked actors are fakes that do nothing:
// their outcomes are the recorded done/error/sent-back events. The state path must come out the same.
import { createActor, fromCallback, fromPromise, type AnyActorRef, type AnyEventObject, type StateValue } from 'xstate';
import { AcodeError } from '../config/index.js';
import { serviceMachine, stateLabel, type ServiceActorLogic, type ServiceInput } from '../machines/index.js';
import type { EventRecord, InspectionRecord, SnapshotRecord } from './record-format.js';
import { replayRequest, requestsIn } from './replay-request.js';

export interface TimelineEntry {
  t: number;
  event: string;
  source?: string;
  /** A short summary of the payload (`kind=absent`, `signal=SIGKILL` ...), empty when there is none. */
  detail: string;
  /** State label after the event, as replayed. */
  state: string;
}

// The few payload fields that tell the story, `k=v` with long values cut.
function detailOf(event: Record<string, unknown>): string {
  const body = (event.output ?? event.error ?? event) as unknown;
  if (typeof body !== 'object' || body === null)
    return body === undefined ? '' : typeof body === 'string' ? body : JSON.stringify(body);
  const parts: string[] = [];
  for (const [k, v] of Object.entries(body)) {
    if (k === 'type' || k === 'actorId' || k === 'logTail' || k === 'input' || v === null || typeof v === 'object')
      continue;
    parts.push(`${k}=${String(v).slice(0, 40)}`);
  }
  return parts.join(' ').slice(0, 80);
}

export interface ServiceReplay {
  actor: string;
  recorded: string[];
  replayed: string[];
  timeline: TimelineEntry[];
  ok: boolean;
  /** Human-readable differences (empty when ok). */
  diff: string[];
}

const SERVICE_ACTOR = /^service\.[^/]+$/;

/** Consecutive duplicates collapsed: the path a user sees. */
export function collapse(labels: readonly string[]): string[] {
  return labels.filter((l, i) => i === 0 || labels[i - 1] !== l);
}

function label(value: unknown): string {
  try {
    return stateLabel(value as StateValue);
  } catch {
    return JSON.stringify(value);
  }
}

// Invoked actors do nothing; what they did is in the recording as events to their parent.
const inert: ServiceActorLogic = {
  detect: fromPromise(() => new Promise<never>(() => {})),
  spawnServer: fromPromise(() => new Promise<never>(() => {})),
  checkGpus: fromPromise(() => new Promise<never>(() => {})),
  fetchModel: fromPromise(() => new Promise<never>(() => {})),
  watchGpus: fromCallback(() => () => {}),
  checkModel: fromPromise(() => new Promise<never>(() => {})),
  stopServer: fromPromise(() => new Promise<never>(() => {})),
  watchProcess: fromCallback(() => () => {}),
  healthPoller: fromCallback(() => () => {}),
  watchLog: fromCallback(() => () => {}),
  pullModel: fromCallback(() => () => {}),
} as unknown as ServiceActorLogic;

/** The service actors of a recording, in the order they were created. */
export function servicesIn(records: readonly InspectionRecord[]): string[] {
  const names: string[] = [];
  for (const r of records) {
    if (r.kind === 'event' && SERVICE_ACTOR.test(r.actor) && r.event.type === 'xstate.init' && !names.includes(r.actor))
      names.push(r.actor);
  }
  return names;
}

function inputOf(records: readonly InspectionRecord[], actor: string): { input: ServiceInput; t: number } {
  const init = records.find(
    (r): r is EventRecord => r.kind === 'event' && r.actor === actor && r.event.type === 'xstate.init',
  );
  const input = init?.event.input as ServiceInput | undefined;
  if (!init || !input?.ref?.provider) {
    throw new AcodeError(
      'USAGE',
      `The recording has no start (xstate.init with input) for ${actor}.`,
      'Record the whole run with --record from the start of the command.',
    );
  }
  return { input, t: init.t };
}

// A vLLM start recorded before the GPU check existed went straight to spawning: replay it without the
// check, or the recorded spawn's done event would reach a machine still waiting for checkGpus.
function withoutGpuCheckIfUnrecorded(
  records: readonly InspectionRecord[],
  actor: string,
  input: ServiceInput,
): ServiceInput {
  const checked = records.some(
    (r) => r.kind === 'event' && r.actor === actor && r.event.type.endsWith('.starting.proc.checkingGpus'),
  );
  if (checked) return input;
  const provider = input.ref.provider;
  return { ...input, ref: { ...input.ref, provider: { ...provider, gpu: { ...provider.gpu, required: false } } } };
}

// Likewise a vLLM start recorded before the hub fetch existed (starting.proc.pulling) went from the GPU
// check straight to spawning: replay it without that step.
function fetchRecorded(records: readonly InspectionRecord[], actor: string): boolean {
  return records.some(
    (r) => r.kind === 'event' && r.actor === actor && r.event.type.endsWith('.starting.proc.pulling'),
  );
}

export function replayService(records: readonly InspectionRecord[], actor: string): ServiceReplay {
  const { input: recordedInput, t: t0 } = inputOf(records, actor);
  const input = withoutGpuCheckIfUnrecorded(records, actor, recordedInput);
  const clock = replayClock(t0);
  // The recorded jitter is already inside the recorded after-events; random only feeds delays that never fire.
  const machine = fetchRecorded(records, actor)
    ? serviceMachine.provide({ actors: inert })
    : serviceMachine.provide({ actors: inert, guards: { fetchesModel: () => false } });
  const service = createActor(machine, { input: { ...input, random: () => 0.5, clock }, clock });
  return replayActor(records, actor, service, clock, label, (e) => e);
}

/** A clock whose now() is the recorded time of the event being replayed; its timers never fire. */
export function replayClock(t0: number) {
  const clock = { t: t0, setTimeout: () => ({}), clearTimeout: () => {}, now: () => clock.t };
  return clock;
}

/**
 * Sends `actor`'s recorded events (xstate.init aside) to `replayed`, at their recorded times, and compares
 * the state path that comes out with the recorded one. `revive` turns a recorded event back into what the
 * machine received (errors, for instance, were recorded as plain data).
 */
export function replayActor(
  records: readonly InspectionRecord[],
  actor: string,
  replayed: AnyActorRef,
  clock: { t: number },
  labelOf: (value: unknown) => string,
  revive: (event: AnyEventObject) => AnyEventObject,
): ServiceReplay {
  const replayedRaw: string[] = [];
  let failure: unknown;
  replayed.subscribe({
    next: (s) => replayedRaw.push(labelOf((s as { value?: unknown }).value)),
    error: (e) => {
      failure = e;
    },
  });
  replayed.start();
  const timeline: TimelineEntry[] = [];
  for (const r of records) {
    if (r.kind !== 'event' || r.actor !== actor || r.event.type === 'xstate.init') continue;
    clock.t = r.t;
    replayed.send(revive(r.event));
    if (failure) break;
    timeline.push({
      t: r.t,
      event: r.event.type,
      ...(r.source ? { source: r.source } : {}),
      detail: detailOf(r.event),
      state: labelOf((replayed.getSnapshot() as { value?: unknown }).value),
    });
  }
  replayed.stop();
  const recorded = collapse(
    records
      .filter((r): r is SnapshotRecord => r.kind === 'snapshot' && r.actor === actor && r.value !== undefined)
      .map((r) => labelOf(r.value)),
  );
  const path = collapse(replayedRaw);
  const diff = pathDiff(recorded, path);
  if (failure)
    diff.push(
      `the machine failed while replaying: ${failure instanceof Error ? failure.message : JSON.stringify(failure)}`,
    );
  return { actor, recorded, replayed: path, timeline, ok: diff.length === 0, diff };
}

/** Where two state paths part, with a little context either side. */
export function pathDiff(recorded: readonly string[], replayed: readonly string[]): string[] {
  const n = Math.max(recorded.length, replayed.length);
  for (let i = 0; i < n; i++) {
    if (recorded[i] === replayed[i]) continue;
    const from = Math.max(0, i - 2);
    return [
      `state ${i + 1} differs: recorded ${recorded[i] ?? '(end)'}, replayed ${replayed[i] ?? '(end)'}`,
      `  recorded: ${recorded.slice(from, i + 3).join(' -> ')}`,
      `  replayed: ${replayed.slice(from, i + 3).join(' -> ')}`,
    ];
  }
  return [];
}

/**
 * The recording cut at each start (xstate.init) of `actor`: one slice per lifetime, since a command
 * may create the same service actor again (a registry per watch cycle, for instance).
 */
export function lifetimes(records: readonly InspectionRecord[], actor: string): InspectionRecord[][] {
  const starts = records.flatMap((r, i) =>
    r.kind === 'event' && r.actor === actor && r.event.type === 'xstate.init' ? [i] : [],
  );
  return starts.map((from, k) => records.slice(from, starts[k + 1] ?? records.length));
}

/**
 * Replays every service actor of the recording (or only `only`, e.g. "vllm"), each lifetime on its own,
 * then every request machine (`request.1` ...) when no single service is asked for.
 */
export function replayRecording(records: readonly InspectionRecord[], only?: string): ServiceReplay[] {
  const names = servicesIn(records).filter((n) => only === undefined || n === `service.${only}`);
  const requests = only === undefined ? requestsIn(records) : [];
  if (names.length === 0 && requests.length === 0) {
    throw new AcodeError(
      'USAGE',
      only ? `The recording has no service "${only}".` : 'The recording holds no service actor.',
      only
        ? `Services in it: ${
            servicesIn(records)
              .map((n) => n.slice('service.'.length))
              .join(', ') || 'none'
          }.`
        : 'Record a command that starts or uses a provider (acode --record FILE ask ..., acode --record FILE demo).',
    );
  }
  const services = names.flatMap((n) => {
    const runs = lifetimes(records, n);
    return runs.map((slice, k) => ({
      ...replayService(slice, n),
      ...(runs.length > 1 ? { actor: `${n}#${k + 1}` } : {}),
    }));
  });
  return [...services, ...requests.map((n) => replayRequest(records, n))];
}
