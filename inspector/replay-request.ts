// Re-runs a recorded request machine (`request.1` ...: one `ask`, or one request through a handed-out
// provider) with actors that do nothing: the recorded done/error events and the stream's lifecycle
// events (STREAM_STARTED, INTERRUPTED, ANSWERED) drive it, so the path of selecting, acquiring,
// streaming, recovering and falling back must come out as recorded.
import { createActor, fromCallback, fromPromise, type AnyEventObject } from 'xstate';
import { AcodeError, type AcodeErrorCode } from '../config/index.js';
import { requestMachine } from '../machines/index.js';
import type { EventRecord, InspectionRecord } from './record-format.js';
import { replayActor, replayClock, type ServiceReplay } from './replay.js';

const REQUEST_ACTOR = /^request\.\d+$/;

const never = () => new Promise<never>(() => {});
const inert = {
  selectProvider: fromPromise(never),
  acquireProvider: fromPromise(never),
  recoverProvider: fromPromise(never),
  streamAnswer: fromCallback(() => () => {}),
} as never;

/** The request machines of a recording, in the order they started. */
export function requestsIn(records: readonly InspectionRecord[]): string[] {
  const names: string[] = [];
  for (const r of records) {
    if (r.kind === 'event' && REQUEST_ACTOR.test(r.actor) && r.event.type === 'xstate.init' && !names.includes(r.actor))
      names.push(r.actor);
  }
  return names;
}

// A recorded error is plain data; the guards ask for the typed error it was (its code decides).
export function reviveErrors(event: AnyEventObject): AnyEventObject {
  const error = (event as { error?: unknown }).error as
    { code?: unknown; message?: unknown; hint?: unknown; details?: unknown } | undefined;
  if (typeof error?.code !== 'string') return event;
  const details =
    typeof error.details === 'object' && error.details !== null
      ? { details: error.details as Record<string, unknown> }
      : {};
  return {
    ...event,
    error: new AcodeError(
      error.code as AcodeErrorCode,
      typeof error.message === 'string' ? error.message : '',
      typeof error.hint === 'string' ? error.hint : '',
      details,
    ),
  };
}

export function replayRequest(records: readonly InspectionRecord[], actor: string): ServiceReplay {
  const init = records.find(
    (r): r is EventRecord => r.kind === 'event' && r.actor === actor && r.event.type === 'xstate.init',
  );
  const clock = replayClock(init?.t ?? 0);
  const replayed = createActor(requestMachine.provide({ actors: inert }), { input: init?.event.input ?? {}, clock });
  return replayActor(records, actor, replayed, clock, (value) => String(value), reviveErrors);
}
