// Health probes run every few seconds for as long as a service is watched, each under the poller's
// lifetime signal: nothing of a finished probe may stay attached to that signal.
import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import { createProvider } from '../../adapters/index.js';
import { withDeadline } from '../../adapters/deadline.js';
import { providerConfig, startFixture } from './fixture-server.js';

/** Signals Node still links to `signal` (AbortSignal.any's dependants); 0 where Node has no such field. */
function dependants(signal: AbortSignal): number {
  const key = Object.getOwnPropertySymbols(signal).find((s) => s.toString() === 'Symbol(kDependantSignals)');
  const set = key ? (signal as unknown as Record<symbol, Set<unknown> | undefined>)[key] : undefined;
  return set?.size ?? 0;
}

describe('withDeadline', () => {
  it("aborts with the caller's reason, and not as a timeout", () => {
    const parent = new AbortController();
    const d = withDeadline(60_000, parent.signal);
    parent.abort(new Error('user pressed ^C'));
    expect(d.signal.aborted).toBe(true);
    expect((d.signal.reason as Error).message).toBe('user pressed ^C');
    expect(d.timedOut).toBe(false);
    d.dispose();
  });

  it('aborts at once for an already aborted caller', () => {
    const parent = new AbortController();
    parent.abort();
    expect(withDeadline(60_000, parent.signal).signal.aborted).toBe(true);
  });

  it('times out with a TimeoutError and says so', async () => {
    const d = withDeadline(5);
    await new Promise((done) => d.signal.addEventListener('abort', done, { once: true }));
    expect(d.timedOut).toBe(true);
    expect((d.signal.reason as DOMException).name).toBe('TimeoutError');
  });

  it("dispose detaches: the caller's later abort and the timer no longer reach it", async () => {
    const parent = new AbortController();
    const d = withDeadline(5, parent.signal);
    d.dispose();
    expect(getEventListeners(parent.signal, 'abort')).toHaveLength(0);
    await new Promise((done) => setTimeout(done, 20));
    parent.abort();
    expect(d.signal.aborted).toBe(false);
    expect(d.timedOut).toBe(false);
  });
});

describe('health probes under a long-lived signal', () => {
  it('200 probes leave no listener and no linked signal on it', async () => {
    const fixture = await startFixture((_q, res) => {
      res.end('Ollama is running');
    });
    const provider = createProvider(providerConfig('ollama', 'ollama', fixture.url, 'm'));
    try {
      const lifetime = new AbortController();
      for (let i = 0; i < 200; i++) {
        expect((await provider.health({ signal: lifetime.signal })).ok).toBe(true);
      }
      expect(getEventListeners(lifetime.signal, 'abort')).toHaveLength(0);
      expect(dependants(lifetime.signal)).toBe(0);
    } finally {
      await provider.close();
      await fixture.close();
    }
  });
});
