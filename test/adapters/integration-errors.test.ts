// Every error class and every way a stream can break, against each server: refused, crash mid-stream,
// killed mid-stream, hangs (before and after headers, mid-stream stall), garbage, truncation, wrong
// content type, cancel mid-stream, and a slow consumer (memory bounded by back-pressure).
import { afterEach, describe, expect, it } from 'vitest';
import { createProvider, isServerGone, type StreamChunk } from '../../adapters/index.js';
import { caught, freePort, providerConfig } from './fixture-server.js';
import { standInIt, start, targets, type Running } from './integration-targets.js';
import { until } from '../support/processes.js';

const user = [{ role: 'user' as const, content: 'Tell me a long story.' }];

async function consume(
  stream: AsyncIterable<StreamChunk>,
  onChunk?: (c: StreamChunk, n: number) => void,
): Promise<{ got: StreamChunk[]; err: Awaited<ReturnType<typeof caught>> }> {
  const got: StreamChunk[] = [];
  const err = await caught(async () => {
    for await (const c of stream) {
      got.push(c);
      onChunk?.(c, got.length);
    }
  });
  return { got, err };
}

describe.each(targets())('$name', (t) => {
  let run: Running | undefined;
  afterEach(async () => {
    await run?.stop();
    run = undefined;
  });
  const knob = standInIt(t);

  it('nothing listening: CONNECTION_REFUSED, server gone', async () => {
    const port = await freePort();
    const p = createProvider(providerConfig(t.kind, t.type, `http://127.0.0.1:${port}`, 'm'));
    const err = await caught(p.complete({ messages: user }));
    const health = await p.health();
    await p.close();
    expect(err.code).toBe('CONNECTION_REFUSED');
    expect(isServerGone(err)).toBe(true);
    expect(health).toMatchObject({ ok: false, status: 'down', code: 'CONNECTION_REFUSED' });
  });

  knob('server crashes mid-stream: STREAM_INTERRUPTED with the chunks delivered, server gone', async () => {
    run = await start(t, { knobs: { crashAfterTokens: 3 } });
    const { got, err } = await consume(run.provider.stream({ messages: user }));
    expect(err.code).toBe('STREAM_INTERRUPTED');
    expect(got).toHaveLength(3);
    expect(err.details).toMatchObject({ chunksDelivered: 3 });
    expect(isServerGone(err)).toBe(true);
  });

  knob('server killed (SIGKILL) mid-stream by the test: STREAM_INTERRUPTED', async () => {
    run = await start(t, { knobs: { tokenDelayMs: 20, tokens: 500 } });
    const server = run.server!;
    const { got, err } = await consume(run.provider.stream({ messages: user }), (_c, n) => {
      if (n === 2) server.kill('SIGKILL');
    });
    expect(err.code).toBe('STREAM_INTERRUPTED');
    expect(got.length).toBeGreaterThanOrEqual(2);
    expect(got.length).toBeLessThan(500);
    expect(err.details!.chunksDelivered).toBe(got.length);
  });

  knob('server never answers the request: RESPONSE_TIMEOUT (headers), not "gone"', async () => {
    run = await start(t, { knobs: { hang: 'work' }, provider: { timeouts: { headersMs: 500 } } });
    const err = await caught(run.provider.complete({ messages: user }));
    expect(err.code).toBe('RESPONSE_TIMEOUT');
    expect(err.details).toMatchObject({ phase: 'headers' });
    expect(isServerGone(err)).toBe(false);
    expect(await run.provider.health()).toEqual({ ok: true, status: 'ready' });
  });

  knob('server hangs after headers: RESPONSE_TIMEOUT (body)', async () => {
    run = await start(t, { knobs: { hang: 'headers' }, provider: { timeouts: { bodyMs: 500 } } });
    const err = await caught(run.provider.complete({ messages: user }));
    expect(err.code).toBe('RESPONSE_TIMEOUT');
    expect(err.details).toMatchObject({ phase: 'body', chunksDelivered: 0 });
  });

  knob('server stalls mid-stream: RESPONSE_TIMEOUT (body) after the delivered chunks', async () => {
    run = await start(t, { knobs: { stallAfterTokens: 2 }, provider: { timeouts: { bodyMs: 500 } } });
    const { got, err } = await consume(run.provider.stream({ messages: user }));
    expect(err.code).toBe('RESPONSE_TIMEOUT');
    expect(got).toHaveLength(2);
    expect(err.details).toMatchObject({ phase: 'body', chunksDelivered: 2 });
  });

  knob('1 MB of garbage: PROTOCOL_ERROR showing the first bytes', async () => {
    run = await start(t, { knobs: { malformed: 'garbage', malformedBytes: 1024 * 1024 } });
    const err = await caught(run.provider.complete({ messages: user }));
    expect(err.code).toBe('PROTOCOL_ERROR');
    expect(err.message).toContain('#<garbage>');
    expect(String(err.details!.firstBytes).length).toBeLessThanOrEqual(120);
    expect(isServerGone(err)).toBe(false);
  });

  knob('a body cut inside its last record: PROTOCOL_ERROR', async () => {
    run = await start(t, { knobs: { malformed: 'truncated' } });
    const err = await caught(run.provider.complete({ messages: user }));
    expect(['PROTOCOL_ERROR', 'STREAM_INTERRUPTED']).toContain(err.code);
    expect(err.code).toBe('PROTOCOL_ERROR');
  });

  knob('the right body with the wrong content type: PROTOCOL_ERROR naming it', async () => {
    run = await start(t, { knobs: { malformed: 'content-type' } });
    const err = await caught(run.provider.complete({ messages: user }));
    expect(err.code).toBe('PROTOCOL_ERROR');
    expect(err.message).toContain('text/html');
  });

  knob('cancel mid-stream: ABORTED, no further chunks, the socket is closed', async () => {
    run = await start(t, { knobs: { tokenDelayMs: 20, tokens: 500 } });
    const ac = new AbortController();
    const { got, err } = await consume(run.provider.stream({ messages: user }, { signal: ac.signal }), (_c, n) => {
      if (n === 2) ac.abort();
    });
    expect(err.code).toBe('ABORTED');
    expect(got).toHaveLength(2);
    const socket = run.sockets[0]!;
    await until(() => socket.destroyed, { what: 'the client socket to close', timeoutMs: 5_000 });
  });

  knob(
    'slow consumer: reads from the socket stay bounded while paused; nothing is lost',
    async () => {
      const tokens = 100_000;
      run = await start(t, { knobs: { tokens } });
      const it = run.provider.stream({ messages: user })[Symbol.asyncIterator]();
      expect((await it.next()).done).toBe(false);
      // Paused. Round trips on another connection give both processes many turns to move data.
      const probe = run.another();
      const reads: number[] = [];
      for (let i = 0; i < 20; i++) {
        await probe.health();
        reads.push(run.sockets[0]!.bytesRead);
      }
      expect(reads.at(-1)!).toBeLessThan(4 * 1024 * 1024);
      let n = 1;
      let last: StreamChunk | undefined;
      for (let r = await it.next(); !r.done; r = await it.next()) {
        n++;
        last = r.value;
      }
      expect(last?.type).toBe('final');
      expect(n).toBe(tokens + 1);
      // The whole answer was several times the bound: back-pressure, not a small answer, kept it low.
      expect(run.sockets[0]!.bytesRead).toBeGreaterThan(3 * reads.at(-1)!);
      expect(run.sockets[0]!.bytesRead).toBeGreaterThan(8 * 1024 * 1024);
    },
    120_000,
  );
});
