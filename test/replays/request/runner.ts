// Plays a request-machine replay file: fake actors from the file (one outcome per invocation), the
// stream's lifecycle events as steps, XState's SimulatedClock (time moves only on `advance`; the 0-ms
// settle delays run after every step). Out come the state path, what the machine emitted, what each
// stream attempt was asked to do, and its output.
import { createActor, fromCallback, fromPromise, SimulatedClock } from 'xstate';
import { reviveErrors } from '../../../inspector/index.js';
import { requestMachine, type RequestEmitted, type RequestEvent, type RequestInput } from '../../../machines/index.js';

/** One invocation of a promise actor: resolve with a value, reject with an error ({ code, message, hint }), or stay pending. */
export type Outcome =
  { resolve: unknown } | { reject: { code: string; message: string; hint?: string } } | { pending: true };

export type Step = ({ send: RequestEvent } | { advance: number }) & { expect?: string };

export interface RequestReplayFile {
  name: string;
  /** The chart transitions this replay exercises, as "from -> to (guard)". */
  covers: string[];
  input: RequestInput;
  /** Per actor, its outcomes in turn; the last repeats. */
  actors: Partial<Record<'selectProvider' | 'acquireProvider' | 'recoverProvider', Outcome[]>>;
  steps: Step[];
  expect: {
    states: string[];
    /** What the machine emitted, as "retry vllm 1 resume" / "fallback vllm START_FAILED -> llamacpp". */
    emitted?: string[];
    /** Each stream attempt's path ("first" for an attempt with none). */
    attempts?: string[];
    /** The output: the provider that answered, or the error's code (and a part of its message). */
    output: {
      provider?: string;
      fallbacks?: string[];
      retries?: number;
      errorCode?: string;
      errorMessage?: { $contains: string };
    };
  };
}

export interface RequestReplayResult {
  states: string[];
  emitted: string[];
  attempts: string[];
  output: { provider?: string; fallbacks: string[]; retries: number; errorCode?: string; errorMessage?: string };
  stepMismatches: string[];
}

const drain = () => new Promise<void>((resolve) => setImmediate(resolve));

function promiseActor(outcomes: Outcome[] = []) {
  let calls = 0;
  return fromPromise(async () => {
    const outcome = outcomes[Math.min(calls++, outcomes.length - 1)] ?? { pending: true };
    if ('resolve' in outcome) return outcome.resolve;
    if ('reject' in outcome)
      throw (reviveErrors({ type: 'x', error: outcome.reject }) as unknown as { error: unknown }).error;
    return new Promise<never>(() => {});
  });
}

function describeEmitted(e: RequestEmitted): string {
  return e.type === 'retry'
    ? `retry ${e.info.provider} ${e.info.attempt} ${e.info.path}`
    : `fallback ${e.failed.id} ${e.failed.code} -> ${e.next}`;
}

export async function runRequestReplay(replay: RequestReplayFile): Promise<RequestReplayResult> {
  const attempts: string[] = [];
  const logic = requestMachine.provide({
    actors: {
      selectProvider: promiseActor(replay.actors.selectProvider) as never,
      acquireProvider: promiseActor(replay.actors.acquireProvider) as never,
      recoverProvider: promiseActor(replay.actors.recoverProvider) as never,
      streamAnswer: fromCallback<RequestEvent, { path?: string }>(({ input }) => {
        attempts.push(input.path ?? 'first');
        return () => {};
      }) as never,
    },
  });
  const clock = new SimulatedClock();
  const actor = createActor(logic, { input: replay.input, clock });
  const states: string[] = [];
  const emitted: string[] = [];
  actor.subscribe((s) => {
    if (states.at(-1) !== String(s.value)) states.push(String(s.value));
  });
  actor.on('*', (e) => emitted.push(describeEmitted(e)));
  const settle = async () => {
    for (let i = 0; i < 10; i++) {
      await drain();
      clock.increment(0);
    }
  };
  actor.start();
  await settle();
  const stepMismatches: string[] = [];
  for (const [i, step] of replay.steps.entries()) {
    if ('send' in step) actor.send(reviveErrors(step.send) as RequestEvent);
    else clock.increment(step.advance);
    await settle();
    const now = String(actor.getSnapshot().value);
    if (step.expect !== undefined && step.expect !== now)
      stepMismatches.push(`step ${i + 1}: expected ${step.expect}, got ${now}`);
  }
  const snapshot = actor.getSnapshot();
  actor.stop();
  const out = snapshot.output;
  const error = out?.error as { code?: string; message?: string } | undefined;
  return {
    states,
    emitted,
    attempts,
    stepMismatches,
    output: {
      ...(out?.provider !== undefined && !error ? { provider: out.provider } : {}),
      fallbacks: (out?.fallbacks ?? []).map((f) => `${f.id} ${f.code}`),
      retries: out?.retries.length ?? 0,
      ...(error?.code ? { errorCode: error.code, errorMessage: error.message ?? '' } : {}),
    },
  };
}
