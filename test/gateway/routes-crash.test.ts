// Crash safety beyond chat: `acode serve` (the built CLI) with the official `openai` and `ollama` clients,
// stand-in servers that die mid-answer (SIGKILL after N tokens, or on receiving a request), and the
// answer checked to the character: raw completions and fill in the middle resumed on the same response,
// embeddings asked again after a restart or answered by a provider with the same model only, a pull
// asked again after its server died, and a typed error event where acode cannot recover.
import OpenAI from 'openai';
import { Ollama } from 'ollama';
import { describe, expect, it } from 'vitest';
import { freePort, startTestServer } from '../servers/harness.js';
import { providerYaml } from '../e2e/project.js';
import { completion, fim, liveGateways } from './live-gateway.js';

const VLLM_MODEL = 'Qwen/Qwen2.5-0.5B-Instruct';
const CODER = 'qwen2.5-coder:0.5b';
const EMBEDDER = 'nomic-embed-text:latest';
const CHAT_MODEL = 'llama3.2:latest';

const gateway = liveGateways();

/** What the stand-ins answer a raw prompt with when it runs to its end. */
const expectedText = (model: string, prompt: string, tokens: number) => completion(model, prompt, null, tokens);

describe('acode serve: raw completions and fill in the middle survive a SIGKILL mid-answer', () => {
  it('openai client: /v1/completions streamed and whole, vLLM killed mid-stream, the exact text on the same response', async () => {
    const { url } = await gateway(
      `providers:\n  active: vllm\n${providerYaml('vllm', { model: VLLM_MODEL, port: await freePort() }, { max_restarts: 10 })}`,
      { ACODE_FAKE_TOKENS: '8', ACODE_FAKE_CRASH_AFTER_TOKENS: '5', ACODE_FAKE_CRASH_MODE: 'sigkill' },
    );
    const client = new OpenAI({ baseURL: `${url}/v1`, apiKey: 'x', maxRetries: 0 });
    const prompt = 'def fib(n):';
    const expected = expectedText(VLLM_MODEL, prompt, 8);

    const raw = await client.completions.create({ model: 'vllm', prompt, stream: true }).withResponse();
    let text = '';
    let finish: string | null = null;
    for await (const chunk of raw.data) {
      text += chunk.choices[0]?.text ?? '';
      finish = chunk.choices[0]?.finish_reason ?? finish;
    }
    expect(text).toBe(expected);
    expect(finish).toBe('stop');
    const resumes = async () =>
      /^acode_gateway_resumes_total (\d+)$/m.exec(await (await fetch(`${url}/metrics`)).text())?.[1];
    expect(await resumes()).toBe('1');

    // The restarted server has 2 tokens left before it dies: the whole answer is resumed too.
    const whole = await client.completions.create({ model: 'vllm', prompt });
    expect(whole.choices[0]!.text).toBe(expected);
    expect(whole.choices[0]!.finish_reason).toBe('stop');
    expect(await resumes()).toBe('3');
    const metrics = await (await fetch(`${url}/metrics`)).text();
    expect(metrics).toMatch(/^acode_gateway_requests_total\{provider="vllm",outcome="ok"\} 2$/m);
  }, 120_000);

  it('ollama client: /api/generate with a suffix (fill in the middle) killed mid-stream, the exact infill', async () => {
    const { url } = await gateway(
      `providers:\n  active: ollama\n${providerYaml('ollama', { model: CODER, port: await freePort() }, { max_restarts: 10 })}`,
      {
        ACODE_FAKE_MODELS: `${CODER},${CHAT_MODEL}`,
        ACODE_FAKE_PULLED: CODER,
        ACODE_FAKE_TOKENS: '8',
        ACODE_FAKE_CRASH_AFTER_TOKENS: '5',
        ACODE_FAKE_CRASH_MODE: 'sigkill',
      },
    );
    const ollama = new Ollama({ host: url });
    const [prefix, suffix] = ['function add(a, b) {\n', '\n}'];
    let text = '';
    let last: { done?: boolean; done_reason?: string } = {};
    for await (const part of await ollama.generate({ model: 'ollama', prompt: prefix, suffix, stream: true })) {
      text += part.response;
      last = part;
    }
    expect(text).toBe(expectedText(CODER, fim(prefix, suffix), 8));
    expect(last).toMatchObject({ done: true, done_reason: 'stop' });
    const metrics = await (await fetch(`${url}/metrics`)).text();
    expect(metrics).toMatch(/^acode_gateway_resumes_total 1$/m);
  }, 120_000);

  it('where the retries are spent: a typed error event ends the stream (OpenAI data: {"error"}, Ollama {"error"} line)', async () => {
    const { url } = await gateway(
      `providers:\n  active: vllm\n` +
        providerYaml('vllm', { model: VLLM_MODEL, port: await freePort() }, { max_restarts: 20 }) +
        providerYaml('ollama', { model: CODER, port: await freePort() }, { max_restarts: 20 }),
      {
        ACODE_FAKE_MODELS: `${CODER},${VLLM_MODEL}`,
        ACODE_FAKE_PULLED: CODER,
        // Every server dies after 2 tokens: 20 would take 10 of them, past the 3 retries of a request.
        ACODE_FAKE_TOKENS: '20',
        ACODE_FAKE_CRASH_AFTER_TOKENS: '2',
        ACODE_FAKE_CRASH_MODE: 'sigkill',
      },
    );
    const client = new OpenAI({ baseURL: `${url}/v1`, apiKey: 'x', maxRetries: 0 });
    const stream = await client.completions.create({ model: 'vllm', prompt: 'count:', stream: true, max_tokens: 20 });
    let text = '';
    const failed = await (async () => {
      for await (const chunk of stream) text += chunk.choices[0]?.text ?? '';
    })().catch((e: unknown) => e);
    expect(failed).toBeInstanceOf(OpenAI.APIError);
    expect((failed as Error).message).toMatch(/gave up after 3 retries/);
    expect(text).toBe(expectedText(VLLM_MODEL, 'count:', 20).slice(0, text.length));
    expect(text.length).toBeGreaterThan(0);

    const ollama = new Ollama({ host: url });
    const generated = await (async () => {
      for await (const part of await ollama.generate({ model: 'ollama', prompt: 'let x =', suffix: ';', stream: true }))
        void part;
    })().catch((e: unknown) => e);
    expect(String(generated)).toMatch(/gave up after 3 retries/);
  }, 120_000);
});

describe('acode serve: embeddings are asked again, never answered by another model', () => {
  it('a server that dies on receiving the request is restarted and asked again: the same vectors (openai and ollama clients)', async () => {
    const { url } = await gateway(
      `providers:\n  active: ollama\n${providerYaml('ollama', { model: EMBEDDER, port: await freePort() }, { max_restarts: 10 })}`,
      // Each server answers one work request and dies on receiving the next.
      { ACODE_FAKE_PULLED: EMBEDDER, ACODE_FAKE_CRASH_AFTER_REQUESTS: '1', ACODE_FAKE_CRASH_MODE: 'sigkill' },
    );
    const client = new OpenAI({ baseURL: `${url}/v1`, apiKey: 'x', maxRetries: 0 });
    const input = ['fn main() {}', 'print("hi")'];
    const first = await client.embeddings.create({ model: 'ollama', input });
    expect(first.data).toHaveLength(2);

    const { data: again, response } = await client.embeddings.create({ model: 'ollama', input }).withResponse();
    expect(response.headers.get('x-acode-retries')).toBe('1');
    expect(again.data.map((d) => d.embedding)).toEqual(first.data.map((d) => d.embedding));

    const ollama = new Ollama({ host: url });
    const viaOllama = await ollama.embed({ model: 'ollama', input });
    expect(viaOllama.embeddings).toHaveLength(2);
    for (const [i, v] of viaOllama.embeddings.entries())
      for (const [j, x] of v.entries()) expect(x).toBeCloseTo(first.data[i]!.embedding[j]!, 5);
  }, 120_000);

  it('a server that cannot answer: a provider with the same embedding model answers, one with another model never does', async () => {
    const dying = () =>
      startTestServer('ollama', { model: EMBEDDER, knobs: { crashAfterRequests: 0, crashMode: 'sigkill' } });
    const servers = [await dying(), await dying()];
    const same = await startTestServer('ollama', { model: EMBEDDER });
    const other = await startTestServer('ollama', {
      model: 'all-minilm:latest',
      knobs: { models: ['all-minilm:latest'] },
    });
    servers.push(same, other);
    try {
      const yaml = (port: number, fallback: string) =>
        `providers:\n  active: ollama\n` +
        providerYaml('ollama', { model: EMBEDDER, port }, { mode: 'monitored' }) +
        providerYaml('same', { type: 'ollama', model: EMBEDDER, base_url: same.url }) +
        providerYaml('other', { type: 'ollama', model: 'all-minilm:latest', base_url: other.url }) +
        `fallback: [${fallback}]\n`;

      // Only another model to fall back to: a typed error, not its vectors.
      const alone = await gateway(yaml(servers[0]!.port, 'other'));
      const refused = await new OpenAI({ baseURL: `${alone.url}/v1`, apiKey: 'x', maxRetries: 0 }).embeddings
        .create({ model: 'ollama', input: 'hello' })
        .catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(OpenAI.APIError);
      expect((refused as InstanceType<typeof OpenAI.APIError>).status).toBeGreaterThanOrEqual(500);
      expect(other.logs()).not.toContain('/api/embed');

      const { url } = await gateway(yaml(servers[1]!.port, 'other, same'));
      const client = new OpenAI({ baseURL: `${url}/v1`, apiKey: 'x', maxRetries: 0 });
      const { data: res, response } = await client.embeddings
        .create({ model: 'ollama', input: 'hello' })
        .withResponse();
      expect(response.headers.get('x-acode-provider')).toBe('same');
      const direct = (await (
        await fetch(`${same.url}/api/embed`, {
          method: 'POST',
          body: JSON.stringify({ model: EMBEDDER, input: 'hello' }),
        })
      ).json()) as { embeddings: number[][] };
      expect(res.data[0]!.embedding).toHaveLength(direct.embeddings[0]!.length);
      for (const [j, x] of direct.embeddings[0]!.entries()) expect(res.data[0]!.embedding[j]).toBeCloseTo(x, 5);
      expect(same.logs()).toContain('/api/embed');
      expect(other.logs()).not.toContain('/api/embed');
    } finally {
      await Promise.all(servers.map((s) => s.stop()));
    }
  }, 120_000);
});

describe('acode serve: /api/pull', () => {
  it('an Ollama server killed mid-pull is restarted and the pull asked again: progress says so, the pull ends in success', async () => {
    const { p, url } = await gateway(
      `providers:\n  active: ollama\n${providerYaml('ollama', { model: CHAT_MODEL, port: await freePort() }, { max_restarts: 10 })}`,
      { ACODE_FAKE_PULLED: CHAT_MODEL, ACODE_FAKE_PULL_BYTES: '400000', ACODE_FAKE_PULL_BPS: '400000' },
    );
    const ollama = new Ollama({ host: url });
    const statuses: string[] = [];
    let killed = false;
    for await (const part of await ollama.pull({ model: 'ollama/qwen2.5:0.5b', stream: true })) {
      statuses.push(part.status);
      if (!killed && part.completed > 0 && part.total > 100_000) {
        killed = true;
        const [pid] = p.startedPids();
        process.kill(pid!, 'SIGKILL');
      }
    }
    expect(killed).toBe(true);
    expect(statuses.some((s) => /went away mid-pull .*pulling again, retry 1/.test(s))).toBe(true);
    expect(statuses.at(-1)).toBe('success');
    // Counted as every other route's retries are.
    const metrics = await (await fetch(`${url}/metrics`)).text();
    expect(metrics).toMatch(/^acode_gateway_retries_total [1-9]\d*$/m);
  }, 120_000);
});
