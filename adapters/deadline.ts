// A signal that aborts when the caller's does or when `ms` have passed, and lets go of both when the
// work is done. Not AbortSignal.any + AbortSignal.timeout: on Node 20 every AbortSignal.any() result
// stays attached to a long-lived input signal (nodejs/node#55351, about 1.2 KB each, for good), and a
// health poller combines its own lifetime signal with a deadline on every probe. A timeout signal also
// keeps its timer, and fires and builds a DOMException long after the probe finished.
export interface Deadline {
  readonly signal: AbortSignal;
  /** True once the time ran out (not when the caller aborted). */
  readonly timedOut: boolean;
  /** Clears the timer and detaches from the caller's signal; idempotent. */
  dispose(): void;
}

export function withDeadline(ms: number, parent?: AbortSignal): Deadline {
  const controller = new AbortController();
  let timedOut = false;
  const onParentAbort = (): void => controller.abort(parent?.reason);
  // unref: like AbortSignal.timeout, the deadline alone does not keep the process alive.
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort(new DOMException(`The operation timed out after ${ms} ms`, 'TimeoutError'));
  }, ms).unref();
  if (parent?.aborted) onParentAbort();
  else parent?.addEventListener('abort', onParentAbort, { once: true });
  return {
    signal: controller.signal,
    get timedOut() {
      return timedOut;
    },
    dispose() {
      clearTimeout(timer);
      parent?.removeEventListener('abort', onParentAbort);
    },
  };
}
