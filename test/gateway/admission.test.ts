// Per-provider admission: the limit holds, waiters go in arrival order, a full queue is a 429 with
// Retry-After, and a client that leaves while queued gives its place up.
import { describe, expect, it } from 'vitest';
import { Admission } from '../../gateway/admission.js';
import { httpStatusOf } from '../../gateway/index.js';

describe('gateway admission', () => {
  it('admits up to the limit, queues in order, refuses past the queue with 429', async () => {
    const a = new Admission({ limit: 2, queue: 1 });
    const signal = new AbortController().signal;
    const r1 = await a.enter('p', signal);
    await a.enter('p', signal);
    const order: string[] = [];
    const third = a.enter('p', signal).then((release) => {
      order.push('third');
      return release;
    });
    const refused = await a.enter('p', signal).catch((e: unknown) => e);
    expect(httpStatusOf(refused)).toBe(429);
    expect(refused).toMatchObject({ code: 'QUEUE_FULL', details: { retryAfterSeconds: 1 } });
    expect(a.inFlight('p')).toBe(2);
    expect(a.queued('p')).toBe(1);
    // Another provider has its own lane.
    await a.enter('q', signal);
    r1();
    await third;
    expect(order).toEqual(['third']);
    expect(a.inFlight('p')).toBe(2);
    expect(a.queued('p')).toBe(0);
  });

  it('a queued client that goes away leaves the queue', async () => {
    const a = new Admission({ limit: 1, queue: 5 });
    const release = await a.enter('p', new AbortController().signal);
    const gone = new AbortController();
    const waiting = a.enter('p', gone.signal);
    expect(a.queued('p')).toBe(1);
    gone.abort();
    await expect(waiting).rejects.toMatchObject({ code: 'ABORTED' });
    expect(a.queued('p')).toBe(0);
    release();
    expect(a.inFlight('p')).toBe(0);
  });
});
