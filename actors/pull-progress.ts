// The rxjs half of pullModel: the adapter's pull stream as an Observable, folded into byte totals over
// all layers and a rate, throttled to ~10 events/s. Loaded by pull-model.ts only when a pull starts,
// so the many commands that never pull do not load rxjs.
import { Observable, asyncScheduler, map, scan, tap, throttleTime } from 'rxjs';
import { AcodeError } from '../config/index.js';
import type { PullProgress } from '../adapters/index.js';
import type { PullOutcomeEvent, ServiceRef } from './contracts.js';
import type { ActorEvent } from './events.js';
import type { ActorDeps } from './deps.js';

const PULL_THROTTLE_MS = 100;

export type PullProgressEvent = Extract<ActorEvent, { type: 'PULL_PROGRESS' }>;

/** The adapter's async iterable as a cold Observable: unsubscribing aborts the download request. */
function pullObservable(ref: ServiceRef, deps: ActorDeps, model: string): Observable<PullProgress> {
  return new Observable<PullProgress>((subscriber) => {
    const ac = new AbortController();
    const adapter = deps.createAdapter(ref.provider, { mode: ref.mode });
    void (async () => {
      try {
        if (!adapter.pull) {
          throw new AcodeError(
            'PULL_FAILED',
            `${ref.provider.id}: ${ref.provider.kind} cannot download models; ${model} must already be on disk.`,
            `Download ${model} yourself and point providers.${ref.provider.id}.model at it.`,
            { details: { provider: ref.provider.id, model } },
          );
        }
        for await (const progress of adapter.pull(model, { signal: ac.signal })) {
          if (subscriber.closed) return;
          subscriber.next(progress);
        }
        subscriber.complete();
      } catch (error) {
        if (!subscriber.closed) subscriber.error(error);
      } finally {
        await adapter.close().catch(() => undefined);
      }
    })();
    return () => ac.abort();
  });
}

interface Totals {
  layers: Map<string, { completed: number; total: number }>;
  status: string;
  completed: number;
  total: number;
  bytesPerSecond: number;
  lastAt: number;
  lastCompleted: number;
}

/** Folds progress lines into bytes summed over layers and a smoothed rate (unthrottled). */
function toProgressEvents(source: Observable<PullProgress>, now: () => number): Observable<PullProgressEvent> {
  const start: Totals = {
    layers: new Map(),
    status: '',
    completed: 0,
    total: 0,
    bytesPerSecond: 0,
    lastAt: now(),
    lastCompleted: 0,
  };
  return source.pipe(
    scan((acc, line) => {
      if (line.digest && line.total) {
        acc.layers.set(line.digest, {
          total: line.total,
          completed: line.completed ?? acc.layers.get(line.digest)?.completed ?? 0,
        });
      }
      let completed = 0;
      let total = 0;
      for (const layer of acc.layers.values()) {
        completed += layer.completed;
        total += layer.total;
      }
      const t = now();
      const dt = (t - acc.lastAt) / 1000;
      // Re-estimate at most ~4 times a second, blending with the last estimate so the number is readable.
      if (dt >= 0.25) {
        const instant = Math.max(0, completed - acc.lastCompleted) / dt;
        acc.bytesPerSecond = acc.bytesPerSecond === 0 ? instant : 0.5 * acc.bytesPerSecond + 0.5 * instant;
        acc.lastAt = t;
        acc.lastCompleted = completed;
      }
      return { ...acc, status: line.status, completed, total };
    }, start),
    map((acc): PullProgressEvent => ({
      type: 'PULL_PROGRESS',
      status: acc.status,
      completed: acc.completed,
      total: acc.total,
      bytesPerSecond: Math.round(acc.bytesPerSecond),
    })),
  );
}

/** Subscribes to the pull; progress and PULL_DONE go to sendBack, a failure to fail. Returns the unsubscribe. */
export function subscribePull(
  ref: ServiceRef,
  deps: ActorDeps,
  model: string,
  sendBack: (event: PullProgressEvent | PullOutcomeEvent) => void,
  fail: (error: unknown) => void,
): () => void {
  let latest: PullProgressEvent | undefined;
  let lastSent: PullProgressEvent | undefined;
  const subscription = toProgressEvents(pullObservable(ref, deps, model), () => deps.clock.now())
    .pipe(
      tap((event) => (latest = event)),
      throttleTime(PULL_THROTTLE_MS, asyncScheduler, { leading: true, trailing: true }),
    )
    .subscribe({
      next: (event) => {
        lastSent = event;
        sendBack(event);
      },
      error: (error: unknown) => {
        // The throttle drops its pending value on error: show where the pull stopped before failing.
        if (latest && latest !== lastSent) sendBack(latest);
        fail(error);
      },
      complete: () => {
        deps.log.info({ provider: ref.provider.id, model }, 'pull done');
        sendBack({ type: 'PULL_DONE' });
      },
    });
  return () => subscription.unsubscribe();
}
