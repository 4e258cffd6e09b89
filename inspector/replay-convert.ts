// A recording as a test/replays/*.json file (the format of test/replays/runner.ts), so a user's incident
// becomes a regression test: promise actors' outcomes from their recorded done/error events (pending when
// they never settled), sent-back and external events as `send` steps, and the clock moved to each
// event's recorded time before it. Jitter is set to 0, the shortest backoff, which the recorded wait
// always covers.
import type { EventRecord, InspectionRecord, ActorRecord } from './record-format.js';
import { replayService } from './replay.js';
import type { ServiceInput } from '../machines/index.js';

const PROMISE_ACTORS = ['detect', 'spawnServer', 'checkModel', 'stopServer'] as const;
type PromiseActor = (typeof PROMISE_ACTORS)[number];
type Outcome = { resolve: unknown } | { reject: unknown } | { pending: true };
type Step = ({ send: Record<string, unknown> } | { advance: number }) & { expect?: string };

export interface ReplayFileJson {
  name: string;
  description?: string;
  covers: string[];
  input: Record<string, unknown>;
  actors: Partial<Record<PromiseActor, Outcome[]>>;
  steps: Step[];
  expect: { states: string[]; invocations: Record<string, number> };
}

const isPromiseActor = (src: string | undefined): src is PromiseActor =>
  (PROMISE_ACTORS as readonly string[]).includes(src ?? '');

export function toReplayFile(records: readonly InspectionRecord[], actor: string, name: string): ReplayFileJson {
  const replay = replayService(records, actor);
  const init = records.find(
    (r): r is EventRecord => r.kind === 'event' && r.actor === actor && r.event.type === 'xstate.init',
  );
  const input = init?.event.input as ServiceInput;
  const { provider, mode } = input.ref;
  const t0 = init?.t ?? 0;

  const actors: Partial<Record<PromiseActor, Outcome[]>> = {};
  const invocations: Record<string, number> = {};
  // A state entered twice invokes a child with the same id twice: pair the k-th start with the k-th settle.
  const settles = new Map<string, EventRecord[]>();
  for (const r of records) {
    if (r.kind !== 'event' || r.actor !== actor || !r.source) continue;
    if (r.event.type.startsWith('xstate.done.actor.') || r.event.type.startsWith('xstate.error.actor.')) {
      settles.set(r.source, [...(settles.get(r.source) ?? []), r]);
    }
  }
  const children = records.filter((r): r is ActorRecord => r.kind === 'actor' && r.parent === actor);
  for (const child of children) {
    if (!isPromiseActor(child.src)) continue;
    invocations[child.src] = (invocations[child.src] ?? 0) + 1;
    const settled = settles.get(child.actor)?.shift();
    const outcome: Outcome = !settled
      ? { pending: true }
      : settled.event.type.startsWith('xstate.done.')
        ? { resolve: settled.event.output ?? null }
        : { reject: settled.event.error };
    (actors[child.src] ??= []).push(outcome);
  }

  const steps: Step[] = [];
  let simNow = 0;
  for (const r of records) {
    if (r.kind !== 'event' || r.actor !== actor) continue;
    const type = r.event.type;
    if (type === 'xstate.init' || type.startsWith('xstate.done.actor.') || type.startsWith('xstate.error.actor.'))
      continue;
    const at = r.t - t0;
    if (at > simNow) {
      steps.push({ advance: at - simNow });
      simNow = at;
    }
    // Timers fire from the advance above; only events from outside or from callback actors are sent.
    if (!type.startsWith('xstate.after.')) steps.push({ send: r.event });
  }

  const lc = provider.lifecycle;
  return {
    name,
    description: `Converted from a recording of ${actor} (acode replay --to-json).`,
    covers: [],
    input: {
      id: provider.id,
      kind: provider.kind,
      model: provider.model,
      host: provider.host,
      port: provider.port,
      lifecycle: lc.mode,
      mode,
      maxRestarts: lc.maxRestarts,
      restartWindowSeconds: lc.restartWindowSeconds,
      startTimeoutSeconds: lc.startTimeoutSeconds,
      modelLoadTimeoutSeconds: lc.modelLoadTimeoutSeconds,
      healthCheckIntervalSeconds: lc.healthCheckIntervalSeconds,
      ...(input.maxMisses !== undefined ? { maxMisses: input.maxMisses } : {}),
      random: 0,
    },
    actors,
    steps,
    expect: { states: replay.recorded, invocations },
  };
}
