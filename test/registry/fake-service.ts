// A stand-in for the service machine with the same contract states and context fields the registry
// reads, driven by a per-provider script, so registry tests run without processes or sockets.
import { assign, fromPromise, setup } from 'xstate';
import type { ServiceRef, SerializedError } from '../../actors/index.js';
import type { ServiceLogic } from '../../machines/index.js';

/** `adopted`: healthy on a server another acode process spawned (owned by pid file, not spawned here). */
export type Outcome = { kind: 'healthy' } | { kind: 'adopted' } | { kind: 'fail'; error: SerializedError };

export interface FakeScript {
  /** What ENSURE leads to, per provider id; default healthy. Each ENSURE consumes one entry of an array. */
  outcomes: Record<string, Outcome | Outcome[]>;
  /** Every provider id whose service was asked to detect/start, in order. */
  started: string[];
  stopped: string[];
}

// Typed as the service machine the registry runs: the registry reads only the contract states and the
// context fields this stand-in has, which is what these tests check.
export function fakeServiceLogic(script: FakeScript): ServiceLogic {
  return fakeMachine(script) as unknown as ServiceLogic;
}

function fakeMachine(script: FakeScript) {
  const next = (id: string): Outcome => {
    const o = script.outcomes[id];
    if (Array.isArray(o)) return o.length > 1 ? (o.shift() as Outcome) : (o[0] ?? { kind: 'healthy' });
    return o ?? { kind: 'healthy' };
  };
  return setup({
    types: {
      input: {} as { ref: ServiceRef },
      context: {} as {
        ref: ServiceRef;
        lastError: SerializedError | null;
        pid: number | null;
        owned: boolean;
        spawnedHere: boolean;
        pull: null;
        load: null;
      },
      events: {} as
        { type: 'ENSURE' } | { type: 'START' } | { type: 'STOP' } | { type: 'REQUEST_FAILED' } | { type: 'RETRY' },
    },
    actors: {
      detect: fromPromise<Outcome, ServiceRef>(async ({ input }) => {
        script.started.push(input.provider.id);
        const outcome = next(input.provider.id);
        if (outcome.kind === 'fail') throw outcome.error;
        return outcome;
      }),
      stopServer: fromPromise<void, ServiceRef>(async ({ input }) => {
        script.stopped.push(input.provider.id);
      }),
    },
  }).createMachine({
    id: 'service',
    initial: 'stopped',
    context: ({ input }) => ({
      ref: input.ref,
      lastError: null,
      pid: null,
      owned: false,
      spawnedHere: false,
      pull: null,
      load: null,
    }),
    states: {
      stopped: { on: { ENSURE: 'detecting', START: 'detecting' } },
      detecting: {
        invoke: {
          src: 'detect',
          input: ({ context }) => context.ref,
          onDone: [
            {
              guard: ({ event }) => event.output.kind === 'adopted',
              target: 'starting',
              actions: assign({ pid: 4343, owned: true }),
            },
            { target: 'starting' },
          ],
          onError: { target: 'failed', actions: assign({ lastError: ({ event }) => event.error as SerializedError }) },
        },
      },
      // Rests on an event-less delay so the contract state is observable, like the real machine.
      starting: {
        // An adopted server arrives with its pid already set: starting, owned, but not spawned here.
        entry: assign(({ context }) => (context.pid === null ? { pid: 4242, owned: true, spawnedHere: true } : {})),
        after: { 1: 'healthy' },
      },
      healthy: {
        type: 'parallel',
        states: {
          model: { initial: 'ready', states: { ready: {} } },
          probe: {
            initial: 'idle',
            states: { idle: { on: { REQUEST_FAILED: 'reprobing' } }, reprobing: { after: { 1: 'idle' } } },
          },
        },
        on: { STOP: 'stopping' },
      },
      stopping: { invoke: { src: 'stopServer', input: ({ context }) => context.ref, onDone: 'stopped' } },
      failed: { on: { RETRY: 'detecting', STOP: 'stopped' } },
    },
  });
}
