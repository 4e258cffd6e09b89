// Start-up, load, hang, slow and token knobs, observed through the official clients and plain fetch.
// Timing assertions are lower bounds only (a slow machine can only make them pass more easily); each
// test fails when its knob does nothing.

import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { ollamaClient, openaiClient, type Target, using } from './targets.js';

async function refusedCode(url: string): Promise<string | undefined> {
  const err = await fetch(url).then(
    () => undefined,
    (e: unknown) => e as { cause?: { code?: string } },
  );
  return err?.cause?.code;
}
const user = [{ role: 'user' as const, content: 'hi' }];

// Delays are long enough that a probe sent right after the knob's log line still falls inside them on a
// loaded 2-core machine.
describe.concurrent('knobs: start-up and model load (fake servers only)', () => {
  it('ACODE_FAKE_STARTUP_DELAY_MS: connection refused until the delay has passed', async (ctx) => {
    const { server } = using(ctx);
    const t0 = Date.now();
    const s = await server('ollama', { knobs: { startupDelayMs: 2000 }, waitReady: false });
    await s.waitForLog(/start-up delay 2000 ms/);
    expect(await refusedCode(`${s.url}/`)).toBe('ECONNREFUSED');
    await s.ready();
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1_950);
  });

  it('ACODE_FAKE_LOAD_DELAY_MS on vLLM: refused while loading, then healthy', async (ctx) => {
    const { server } = using(ctx);
    const t0 = Date.now();
    const s = await server('vllm', { knobs: { loadDelayMs: 2000 }, waitReady: false });
    await s.waitForLog(/Starting to load model/);
    expect(await refusedCode(`${s.url}/health`)).toBe('ECONNREFUSED');
    await s.ready();
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1_950);
  });

  it('ACODE_FAKE_LOAD_DELAY_MS on llama-server: 503 Loading model (as the openai client sees it), then 200', async (ctx) => {
    const { server } = using(ctx);
    const s = await server('llama-server', { knobs: { loadDelayMs: 2500 }, waitReady: false });
    await s.waitForLog(/loading .* ACODE_FAKE_LOAD_DELAY_MS/);
    const res = await fetch(`${s.url}/health`);
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({ error: { message: 'Loading model', type: 'unavailable_error', code: 503 } });
    const err = await openaiClient({ url: s.url } as Target)
      .models.list()
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.APIError);
    expect((err as InstanceType<typeof OpenAI.APIError>).status).toBe(503);
    await s.ready();
    expect((await fetch(`${s.url}/health`)).status).toBe(200);
  });

  it('ACODE_FAKE_LOAD_DELAY_MS on Ollama: lazy, the first request pays it as load_duration', async (ctx) => {
    const { target } = using(ctx);
    const t = await target('ollama', { model: 'llama3.2:latest', knobs: { loadDelayMs: 400 } });
    const first = await ollamaClient(t).chat({ model: t.model, messages: user });
    const second = await ollamaClient(t).chat({ model: t.model, messages: user });
    expect(first.load_duration).toBeGreaterThanOrEqual(350_000_000);
    expect(second.load_duration).toBe(0);
  });

  it.for(['ollama', 'vllm', 'llama-server'] as const)(
    'ACODE_FAKE_EXIT_CODE: %s exits at start with the code',
    async (kind, ctx) => {
      const { server } = using(ctx);
      const s = await server(kind, { knobs: { exitCodeAtStart: 3 }, waitReady: false });
      expect(await s.exited, s.logs()).toEqual({ code: 3, signal: null });
      expect(s.logs()).toContain('ACODE_FAKE_EXIT_CODE');
    },
  );
});

describe.concurrent('knobs: hang, slow, token delay, token count (fake servers only)', () => {
  it('ACODE_FAKE_HANG=all: requests are accepted and never answered, probes included', async (ctx) => {
    const { server } = using(ctx);
    const s = await server('ollama', { knobs: { hang: 'all' }, waitReady: false });
    await s.waitForLog(/Listening on/);
    const err = await fetch(`${s.url}/`, { signal: AbortSignal.timeout(500) }).catch((e: unknown) => e as Error);
    expect((err as Error).name).toBe('TimeoutError');
  });

  it('ACODE_FAKE_HANG=work: health answers, a chat times out in the openai client', async (ctx) => {
    const { target } = using(ctx);
    const t = await target('vllm', { knobs: { hang: 'work' } });
    expect((await fetch(`${t.url}/health`)).status).toBe(200);
    const err = await openaiClient(t, 500)
      .chat.completions.create({ model: t.model, messages: user })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.APIConnectionTimeoutError);
  });

  it('ACODE_FAKE_HANG=headers: 200 and headers arrive, the body never does', async (ctx) => {
    const { target } = using(ctx);
    const t = await target('ollama', { model: 'llama3.2:latest', knobs: { hang: 'headers' } });
    const ac = new AbortController();
    const res = await fetch(`${t.url}/api/chat`, {
      method: 'POST',
      body: JSON.stringify({ model: t.model, messages: user }),
      signal: ac.signal,
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/x-ndjson');
    const timer = setTimeout(() => ac.abort(), 500);
    const body = await res.text().catch((e: unknown) => e as Error);
    clearTimeout(timer);
    expect((body as Error).name).toBe('AbortError');
  });

  it('ACODE_FAKE_SLOW_BPS: the body is paced to the byte rate', async (ctx) => {
    const { target } = using(ctx);
    const t = await target('vllm', { knobs: { slowBytesPerSecond: 1000 } });
    const t0 = Date.now();
    const res = await fetch(`${t.url}/v1/chat/completions`, {
      method: 'POST',
      body: JSON.stringify({ messages: user }),
    });
    const text = await res.text();
    expect(JSON.parse(text)).toHaveProperty('choices');
    expect(Date.now() - t0).toBeGreaterThanOrEqual(Math.floor((text.length / 1000) * 1000 * 0.8));
    expect(text.length).toBeGreaterThan(300);
  });

  it('ACODE_FAKE_TOKEN_DELAY_MS: each token waits', async (ctx) => {
    const { target } = using(ctx);
    const t = await target('ollama', { model: 'llama3.2:latest', knobs: { tokenDelayMs: 60, tokens: 6 } });
    const t0 = Date.now();
    let n = 0;
    for await (const c of await ollamaClient(t).chat({ model: t.model, messages: user, stream: true }))
      if (!c.done) n += 1;
    expect(n).toBe(6);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(6 * 60 - 20);
  });

  it('ACODE_FAKE_TOKENS: fixes the length of every answer', async (ctx) => {
    const { target } = using(ctx);
    const t = await target('llama-server', { knobs: { tokens: 5 } });
    const r = await openaiClient(t).chat.completions.create({ model: t.model, messages: user });
    expect(r.usage?.completion_tokens).toBe(5);
    const r2 = await openaiClient(t).chat.completions.create({
      model: t.model,
      messages: [{ role: 'user', content: 'something else entirely' }],
    });
    expect(r2.usage?.completion_tokens).toBe(5);
  });
});
