// A client that goes away mid-answer: the gateway aborts the upstream request, so the server stops
// generating for nobody. Seen from the server's side: vLLM's own `num_requests_running` gauge drops
// back to 0 long before the answer it was asked for could have ended.
import { request } from 'undici';
import { describe, expect, it } from 'vitest';
import { freePort } from '../servers/harness.js';
import { providerYaml } from '../e2e/project.js';
import { liveGateways } from './live-gateway.js';
import { until } from '../support/processes.js';

const VLLM_MODEL = 'Qwen/Qwen2.5-0.5B-Instruct';
// 2,000 tokens at 20 ms each: a 40 s answer, so a gauge back at 0 within the wait below is the abort.
const TOKENS = 2000;
const TOKEN_DELAY_MS = 20;

const gateway = liveGateways();

async function runningOn(vllmUrl: string): Promise<number> {
  const res = await request(`${vllmUrl}/metrics`);
  const text = await res.body.text();
  const line = text.split('\n').find((l) => l.startsWith('vllm:num_requests_running'));
  return Number(line?.split(' ').pop() ?? NaN);
}

describe('acode serve: a client that disconnects mid-stream', () => {
  it.each([
    { protocol: 'openai', path: '/v1/chat/completions', body: { stream: true } },
    { protocol: 'ollama', path: '/api/chat', body: {} },
  ])('$protocol: the upstream request is aborted, the server stops generating', async ({ path, body }) => {
    const vllmPort = await freePort();
    const { url } = await gateway(
      `providers:\n  active: vllm\n${providerYaml('vllm', { model: VLLM_MODEL, port: vllmPort })}`,
      { ACODE_FAKE_TOKENS: String(TOKENS), ACODE_FAKE_TOKEN_DELAY_MS: String(TOKEN_DELAY_MS) },
    );
    const vllmUrl = `http://127.0.0.1:${vllmPort}`;

    const ac = new AbortController();
    const res = await request(`${url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        model: `vllm/${VLLM_MODEL}`,
        messages: [{ role: 'user', content: 'talk for a long time' }],
        ...body,
      }),
      signal: ac.signal,
    });
    expect(res.statusCode).toBe(200);
    // Wait for real answer text, not just headers or a keep-alive frame, then hang up.
    let seen = '';
    // (Read by hand: leaving a for-await loop would destroy the body, the very disconnect under test.)
    const frames = res.body[Symbol.asyncIterator]();
    while (!/"content":"[^"]+"/.test(seen)) {
      const next = (await frames.next()) as IteratorResult<Buffer>;
      if (next.done) throw new Error(`the answer ended before any text: ${seen}`);
      seen += next.value.toString('utf8');
    }
    await until(async () => (await runningOn(vllmUrl)) === 1, { timeoutMs: 5_000, what: 'vLLM to count the request' });
    ac.abort();
    res.body.destroy();

    await until(async () => (await runningOn(vllmUrl)) === 0, {
      timeoutMs: 15_000,
      what: 'vLLM to stop generating for the client that left',
    });
    // And nothing asks again for the client that left (a retry would count 1 again).
    for (let i = 0; i < 5; i++) {
      await new Promise((r) => setTimeout(r, 100));
      expect(await runningOn(vllmUrl)).toBe(0);
    }
    // The gateway is still fine: the next client gets an answer.
    const next = await request(`${url}/v1/models`);
    expect(next.statusCode).toBe(200);
    await next.body.dump();
  });
});
