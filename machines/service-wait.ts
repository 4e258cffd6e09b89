// Waiting on a service actor for a usable (or hopeless) state, bounded by the actor's own clock and
// cancellable by a signal, and the typed error a waiter gets when the answer is "no".
import type { SnapshotFrom } from 'xstate';
import { AcodeError, ERROR_CODES, toAcodeError } from '../config/index.js';
import type { AcodeErrorCode } from '../config/index.js';
import type { Clock } from '../actors/index.js';
import type { serviceMachine } from './service.machine.js';
import { stateLabel } from './status.js';

export type ServiceSnapshot = SnapshotFrom<typeof serviceMachine>;

interface Subscribable {
  getSnapshot(): ServiceSnapshot;
  subscribe(observer: { next: (s: ServiceSnapshot) => void; error: (e: unknown) => void; complete: () => void }): { unsubscribe(): void };
}

type TimerClock = Pick<Clock, 'setTimeout' | 'clearTimeout'>;

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
  return isUsable(s) || s.status !== 'active' || hasFailed(s) || s.matches('unavailable') || s.matches('stopped')
    || s.matches({ healthy: { model: 'missing' } });
}

const isCode = (code: string): code is AcodeErrorCode => code in ERROR_CODES;

/** The snapshot's recorded failure as an AcodeError (code, message, hint, details). */
export function errorFromSnapshot(s: ServiceSnapshot): AcodeError {
  const { lastError, ref } = s.context;
  const provider = ref.provider.id;
  const state = stateLabel(s.value);
  if (lastError) {
    const code = isCode(lastError.code) ? lastError.code : 'INTERNAL';
    return new AcodeError(code, lastError.message, lastError.hint, { details: { provider, state, ...lastError.details } });
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
export function waitForService(actor: Subscribable, clock: TimerClock, options: WaitOptions): Promise<ServiceSnapshot> {
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
  return new AcodeError('ABORTED', `${provider}: waiting for the server was cancelled.`, 'Run the command again when you are ready.', {
    cause: reason,
    details: { provider, state: stateLabel(s.value) },
  });
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
