// One request's life as a chart: which provider is asked, getting it healthy, streaming, what a broken
// stream does (retry, resume after the text shown, or restart the answer), falling back to the next
// provider, and the end. The rules are the named guards below; the I/O is four invoked actors whose
// implementations machines/request-actors.ts provides (placeholders here, so importing this file runs
// nothing). Chunks never pass through the machine: the stream actor writes them to the caller's sink and
// sends only lifecycle events (STREAM_STARTED, INTERRUPTED, ANSWERED).
//
//   selecting -> acquiring -> streaming -> done
//                    |            |
//                    |            v
//                    |       interrupted -> recovering -> resuming | restarting-answer | streaming (retry)
//                    v            |
//               falling-back <----+  -> selecting ...      (anything else) -> failed
import { assign, emit, enqueueActions, fromCallback, fromPromise, setup } from 'xstate';
import { isServerGone } from '../adapters/index.js';
import { allFailed, allowsFallback, gaveUp, noneLeft, reasonOf, type FallbackReason } from './request-errors.js';
import type { Refusal } from './selector.js';

/** How a broken stream goes on: resumed after the partial text, restarted from scratch, or retried (nothing shown). */
export type RecoveryPath = 'resume' | 'restart' | 'retry';

export interface RetryInfo {
  provider: string;
  /** 1-based retry number. */
  attempt: number;
  code: string;
  reason: string;
  path: RecoveryPath;
}

export const DEFAULT_MAX_RETRIES = 3;

export interface RequestInput {
  /** Retries per provider after its first attempt (the "at most 3 times"). */
  maxRetries?: number;
  /** Whether the next provider may answer when one cannot (false: a provider handed out by id). */
  fallback?: boolean;
}

/** What the stream actor says when a request broke. */
export interface Interruption {
  error: unknown;
  /** Text reached the caller since the answer (re)started. */
  textShown: boolean;
  /** Tool-call deltas reached the caller: a half-built call cannot be continued. */
  toolCalls: boolean;
  /** The adapter can continue a trailing assistant message (capabilities.continueFinalMessage). */
  canContinue: boolean;
}

export interface RequestContext {
  maxRetries: number;
  fallback: boolean;
  /** The provider being asked. */
  provider?: string;
  /** Retries spent on this provider. */
  retriesUsed: number;
  /** Text of this provider reached the caller: another provider's answer would splice two answers. */
  answerShown: boolean;
  interruption?: Interruption;
  /** How the current attempt started (the stream actor's input). */
  path?: RecoveryPath;
  /** Providers passed over, with why. */
  fallbacks: FallbackReason[];
  retries: RetryInfo[];
  /** Passed over, announced (a `fallback` emit) once the next provider is chosen. */
  passedOver?: FallbackReason;
  /** The first acquire failure since the last broken stream (its code and hint lead a none-left error). */
  firstAcquireError?: unknown;
  /** The last broken stream's error, when it sent the request to the next provider. */
  brokenError?: unknown;
  /** The caller cancelled (its AbortSignal): nothing is retried or tried next. */
  cancelled: boolean;
  error?: unknown;
}

export type RequestEvent =
  { type: 'STREAM_STARTED' } | ({ type: 'INTERRUPTED' } & Interruption) | { type: 'ANSWERED' } | { type: 'CANCEL' };

export type RequestEmitted =
  { type: 'retry'; info: RetryInfo } | { type: 'fallback'; failed: FallbackReason; next: string };

export interface Selection {
  order: string[];
  refused: Refusal[];
}

export interface RequestOutput {
  provider?: string;
  fallbacks: FallbackReason[];
  retries: RetryInfo[];
  error?: unknown;
}

const never = () => new Promise<never>(() => {});

/** The resume rule: text was shown, no tool call was started, and the adapter continues a message. */
export function resumable(i: Interruption): boolean {
  return i.textShown && !i.toolCalls && i.canContinue;
}

/** The path a broken stream takes (see resumable); nothing shown is a plain retry. */
export function recoveryPath(i: Interruption): RecoveryPath {
  if (!i.textShown && !i.toolCalls) return 'retry';
  return resumable(i) ? 'resume' : 'restart';
}

// Params of the named actions and guards, read off the event or context that triggered them.
const selection = ({ event }: { event: unknown }) => (event as { output: Selection }).output;
const failure = ({ event }: { event: unknown }) => (event as { error: unknown }).error;
const breakage = ({ context }: { context: RequestContext }) => context.interruption?.error;

// Every field of the input is optional, so `{} as RequestInput` reads as a needless assertion to the
// linter; a typed value carries the type to setup() without one.
const inputType: RequestInput = {};

export const requestSetup = setup({
  types: {
    input: inputType,
    context: {} as RequestContext,
    events: {} as RequestEvent,
    emitted: {} as RequestEmitted,
    output: {} as RequestOutput,
  },
  actors: {
    /** The allowed candidates, best first, not counting those passed over. */
    selectProvider: fromPromise<Selection, { exclude: string[] }>(never),
    /** ensureHealthy for `provider`; outputs plain data only (the adapter stays with the actors). */
    acquireProvider: fromPromise<{ id: string }, { provider: string }>(never),
    /** One attempt: writes chunks to the sink, sends STREAM_STARTED, then ANSWERED or INTERRUPTED. */
    streamAnswer: fromCallback<RequestEvent, { provider: string; path?: RecoveryPath; attempt: number }>(
      () => () => {},
    ),
    /** Reports the broken request to the service and waits until it is healthy again. */
    recoverProvider: fromPromise<{ id: string }, { provider: string; error: unknown }>(never),
  },
  guards: {
    hasCandidate: (_, selection: Selection) => selection.order.length > 0,
    /** A failure to get a provider healthy: the next one may be tried. */
    mayFallBack: ({ context }, error: unknown) =>
      context.fallback && !context.cancelled && !context.answerShown && allowsFallback(error),
    /** The server went away and this provider's retry budget is not spent. */
    withinRetryBudget: ({ context }) => {
      const i = context.interruption;
      return i !== undefined && !context.cancelled && isServerGone(i.error) && context.retriesUsed < context.maxRetries;
    },
    /** A broken answer may go to the next provider only while none of its text reached the caller. */
    mayFallBackAfterBreak: ({ context }) =>
      context.fallback && !context.cancelled && !context.answerShown && allowsFallback(context.interruption?.error),
    resumable: ({ context }) => context.path === 'resume',
    answerStarted: ({ context }) => context.path === 'restart',
  },
  actions: {
    /** The error a broken stream ends with: past the retry budget, one that no longer promises a retry. */
    settleInterruption: assign(({ context, event }) => {
      const e = event as Extract<RequestEvent, { type: 'INTERRUPTED' }>;
      const { type: _type, ...interruption } = e;
      const spent = isServerGone(e.error) && !context.cancelled && context.retriesUsed >= context.maxRetries;
      return {
        interruption: spent
          ? { ...interruption, error: gaveUp(e.error, context.provider ?? '', context.maxRetries) }
          : interruption,
      };
    }),
    countRetry: assign(({ context }) => {
      const i = context.interruption!;
      const info: RetryInfo = {
        provider: context.provider ?? '',
        attempt: context.retriesUsed + 1,
        path: recoveryPath(i),
        code: reasonOf('', i.error).code,
        reason: reasonOf('', i.error).message,
      };
      return { retriesUsed: info.attempt, path: info.path, retries: [...context.retries, info] };
    }),
    announceRetry: emit(({ context }) => ({ type: 'retry' as const, info: context.retries.at(-1)! })),
    passOver: assign(({ context }, error: unknown) => {
      const reason = reasonOf(context.provider ?? '', error);
      return {
        fallbacks: [...context.fallbacks, reason],
        passedOver: reason,
        firstAcquireError: context.firstAcquireError ?? error,
      };
    }),
    passOverBroken: assign(({ context }, error: unknown) => {
      const reason = reasonOf(context.provider ?? '', error);
      return {
        fallbacks: [...context.fallbacks, reason],
        passedOver: reason,
        brokenError: error,
        firstAcquireError: undefined,
      };
    }),
    choose: assign((_, selection: Selection) => ({
      provider: selection.order[0],
      retriesUsed: 0,
      answerShown: false,
      interruption: undefined,
      path: undefined,
      passedOver: undefined,
    })),
    announceFallback: enqueueActions(({ context, enqueue }, selection: Selection) => {
      if (context.passedOver) enqueue.emit({ type: 'fallback', failed: context.passedOver, next: selection.order[0]! });
    }),
    noneLeft: assign(({ context }, selection: Selection) => ({
      error:
        context.firstAcquireError === undefined && context.brokenError !== undefined
          ? allFailed(context.fallbacks, context.brokenError)
          : noneLeft(context.firstAcquireError, context.fallbacks, selection.refused),
    })),
    fail: assign((_, error: unknown) => ({ error })),
    failBroken: assign(({ context }) => ({ error: context.interruption?.error })),
  },
  delays: {
    // The in-between states rest 0 ms, so they show in snapshots, recordings and replays.
    settle: 0,
  },
});

export const requestMachine = requestSetup.createMachine({
  id: 'request',
  context: ({ input }) => ({
    maxRetries: input.maxRetries ?? DEFAULT_MAX_RETRIES,
    fallback: input.fallback ?? true,
    retriesUsed: 0,
    answerShown: false,
    fallbacks: [],
    retries: [],
    cancelled: false,
  }),
  initial: 'selecting',
  on: {
    CANCEL: { actions: assign({ cancelled: true }) },
  },
  states: {
    selecting: {
      invoke: {
        id: 'select',
        src: 'selectProvider',
        input: ({ context }) => ({ exclude: context.fallbacks.map((f) => f.id) }),
        onDone: [
          {
            guard: { type: 'hasCandidate', params: selection },
            target: 'acquiring',
            actions: [
              { type: 'announceFallback', params: selection },
              { type: 'choose', params: selection },
            ],
          },
          { target: 'failed', actions: { type: 'noneLeft', params: selection } },
        ],
        onError: { target: 'failed', actions: { type: 'fail', params: failure } },
      },
    },
    acquiring: {
      invoke: {
        id: 'acquire',
        src: 'acquireProvider',
        input: ({ context }) => ({ provider: context.provider! }),
        onDone: 'streaming',
        onError: [
          {
            guard: { type: 'mayFallBack', params: failure },
            target: 'falling-back',
            actions: { type: 'passOver', params: failure },
          },
          { target: 'failed', actions: { type: 'fail', params: failure } },
        ],
      },
    },
    streaming: {
      invoke: {
        id: 'stream',
        src: 'streamAnswer',
        input: ({ context }) => ({
          provider: context.provider!,
          attempt: context.retriesUsed,
          ...(context.path ? { path: context.path } : {}),
        }),
      },
      on: {
        STREAM_STARTED: { actions: assign({ answerShown: true }) },
        INTERRUPTED: { target: 'interrupted', actions: 'settleInterruption' },
        ANSWERED: 'done',
      },
    },
    interrupted: {
      after: {
        settle: [
          { guard: 'withinRetryBudget', target: 'recovering', actions: ['countRetry', 'announceRetry'] },
          {
            guard: 'mayFallBackAfterBreak',
            target: 'falling-back',
            actions: { type: 'passOverBroken', params: breakage },
          },
          { target: 'failed', actions: 'failBroken' },
        ],
      },
    },
    recovering: {
      invoke: {
        id: 'recover',
        src: 'recoverProvider',
        input: ({ context }) => ({ provider: context.provider!, error: context.interruption?.error }),
        onDone: [
          { guard: 'resumable', target: 'resuming' },
          { guard: 'answerStarted', target: 'restarting-answer' },
          { target: 'streaming' },
        ],
        onError: [
          {
            guard: { type: 'mayFallBack', params: failure },
            target: 'falling-back',
            actions: { type: 'passOverBroken', params: failure },
          },
          { target: 'failed', actions: { type: 'fail', params: failure } },
        ],
      },
    },
    resuming: { after: { settle: 'streaming' } },
    'restarting-answer': { after: { settle: 'streaming' } },
    'falling-back': { after: { settle: 'selecting' } },
    done: { type: 'final' },
    failed: { type: 'final' },
  },
  output: ({ context }) => ({
    ...(context.provider !== undefined ? { provider: context.provider } : {}),
    fallbacks: context.fallbacks,
    retries: context.retries,
    ...(context.error !== undefined ? { error: context.error } : {}),
  }),
});
