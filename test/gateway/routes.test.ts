// The gateway's embedding, completion, fill-in-the-middle and pull routes through the built CLI, with the
// official `openai` and `ollama` clients, against each stand-in kind: Ollama (embed, /api/generate with
// suffix, pull), vLLM (completions, suffix refused, embeddings of a pooling model, Hugging Face pull
// through the hub stand-in) and llama-server (completions, /infill and embeddings refused the way build
// 9431 refuses them). Every refusal is a typed 4xx naming the provider and the fix.
import OpenAI from 'openai';
import { Ollama } from 'ollama';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cachedModel, hubEnv } from '../../adapters/index.js';
import { STAGED_GGUF, freePort } from '../servers/harness.js';
import { startHub, type HubServer } from '../servers/harness-hub.js';
import { embedding } from '../servers/lib/embeddings.js';
import { DEFAULT_MODELS } from '../servers/lib/knobs.js';
import { providerYaml } from '../e2e/project.js';
import { completion, fim, liveGateways } from './live-gateway.js';
import { mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const VLLM_MODEL = 'Qwen/Qwen2.5-0.5B-Instruct';
const VLLM_EMBEDDER = 'BAAI/bge-small-en-v1.5';
const OLLAMA_CODER = 'qwen2.5-coder:1.5b';
const OLLAMA_EMBEDDER = 'nomic-embed-text:latest';
const OLLAMA_CHAT = 'llama3.2:latest';
/** The stand-ins' catalogue (Ollama's pullable models, the repos vLLM knows): the defaults plus a code and an embedding model. */
const CATALOGUE = [...new Set([...DEFAULT_MODELS, OLLAMA_CODER, OLLAMA_EMBEDDER, VLLM_EMBEDDER])].join(',');

const gateway = liveGateways();

async function refusal(promise: Promise<unknown>): Promise<{ status: number | undefined; message: string }> {
  const e = await promise.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e, 'the request should have been refused').toBeDefined();
  return {
    status: (e as { status?: number }).status ?? (e as { status_code?: number }).status_code,
    message: String((e as Error).message),
  };
}

describe('gateway routes: embeddings, completions, fill in the middle, pull', () => {
  it('openai client: completions from vLLM, llama-server and Ollama; FIM where the backend can; typed 400s where it cannot', async () => {
    const yaml =
      `providers:\n  active: vllm\n${providerYaml('vllm', { model: VLLM_MODEL, port: await freePort() })}` +
      `${providerYaml('llamacpp', { model: STAGED_GGUF, port: await freePort() })}${providerYaml('ollama', { model: OLLAMA_CHAT, port: await freePort() })}`;
    const { url } = await gateway(yaml, {
      ACODE_FAKE_TOKENS: '6',
      ACODE_FAKE_MODELS: CATALOGUE,
      ACODE_FAKE_PULLED: [OLLAMA_CHAT, OLLAMA_CODER, OLLAMA_EMBEDDER].join(','),
    });
    const client = new OpenAI({ baseURL: `${url}/v1`, apiKey: 'x', maxRetries: 0 });
    const prompt = 'def fibonacci(n):';

    const whole = await client.completions.create({
      model: `vllm/${VLLM_MODEL}`,
      prompt,
      max_tokens: 10,
      temperature: 0,
    });
    expect(whole.object).toBe('text_completion');
    expect(whole.choices[0]!.text).toBe(completion(VLLM_MODEL, prompt, 10, 6));
    expect(whole.usage).toMatchObject({ completion_tokens: 6 });

    let streamed = '';
    let usage: OpenAI.CompletionUsage | undefined;
    let finish: string | null = null;
    for await (const chunk of await client.completions.create({
      model: `vllm/${VLLM_MODEL}`,
      prompt,
      max_tokens: 10,
      stream: true,
      stream_options: { include_usage: true },
    })) {
      expect(chunk.object).toBe('text_completion');
      streamed += chunk.choices[0]?.text ?? '';
      finish = chunk.choices[0]?.finish_reason ?? finish;
      if (chunk.usage) usage = chunk.usage;
    }
    expect(streamed).toBe(completion(VLLM_MODEL, prompt, 10, 6));
    expect(finish).toBe('stop');
    expect(usage).toMatchObject({ completion_tokens: 6 });

    const vllmFim = await refusal(
      client.completions.create({ model: 'vllm', prompt, suffix: '    return n', max_tokens: 10 }),
    );
    expect(vllmFim.status).toBe(400);
    expect(vllmFim.message).toMatch(/vllm cannot fill in the middle.*Ollama provider with a code model.*llama-server/s);

    const llama = await client.completions.create({ model: 'llamacpp', prompt, max_tokens: 10, temperature: 0 });
    expect(llama.choices[0]!.text).toBe(completion(STAGED_GGUF, prompt, 10, 6));
    const llamaFim = await refusal(
      client.completions.create({ model: 'llamacpp', prompt, suffix: '    return n', max_tokens: 10 }),
    );
    expect(llamaFim.status).toBe(400);
    expect(llamaFim.message).toMatch(/llamacpp cannot fill in the middle.*Infill is not supported by this model/s);

    const ollamaFim = await client.completions.create({
      model: `ollama/${OLLAMA_CODER}`,
      prompt,
      suffix: '    return n',
      max_tokens: 10,
    });
    expect(ollamaFim.choices[0]!.text).toBe(completion(OLLAMA_CODER, fim(prompt, '    return n'), 10, 6));
    const rawOllama = await client.completions.create({ model: `ollama/${OLLAMA_CHAT}`, prompt, max_tokens: 10 });
    expect(rawOllama.choices[0]!.text).toBe(completion(OLLAMA_CHAT, prompt, 10, 6));

    // Ollama's /api/generate with raw: true is the same raw completion (no chat template), on every backend.
    const ollama = new Ollama({ host: url });
    for (const [model, served] of [
      [`vllm/${VLLM_MODEL}`, VLLM_MODEL],
      ['llamacpp', STAGED_GGUF],
      [`ollama/${OLLAMA_CHAT}`, OLLAMA_CHAT],
    ] as const) {
      const raw = await ollama.generate({ model, prompt, raw: true, options: { num_predict: 10 } });
      expect(raw.response, model).toBe(completion(served, prompt, 10, 6));
      let streamedRaw = '';
      for await (const part of await ollama.generate({ model, prompt, raw: true, stream: true })) {
        streamedRaw += part.response;
      }
      expect(streamedRaw, model).toBe(completion(served, prompt, null, 6));
    }
    const rawWithSystem = await refusal(ollama.generate({ model: 'vllm', prompt, raw: true, system: 'be brief' }));
    expect(rawWithSystem).toMatchObject({
      status: 400,
      message: expect.stringMatching(/raw mode does not support template, system, or context/),
    });

    const tokens = await refusal(client.completions.create({ model: 'vllm', prompt: [1, 2, 3], max_tokens: 4 }));
    expect(tokens).toMatchObject({ status: 400, message: expect.stringMatching(/"prompt" is a list of token ids/) });

    const vectors = await client.embeddings.create({ model: `ollama/${OLLAMA_EMBEDDER}`, input: ['alpha', 'beta'] });
    expect(vectors.data.map((d) => d.index)).toEqual([0, 1]);
    const alpha = embedding(OLLAMA_EMBEDDER, 'alpha', 768);
    expect(vectors.data[0]!.embedding).toHaveLength(768);
    vectors.data[0]!.embedding.forEach((x, i) => expect(x).toBeCloseTo(alpha[i]!, 6));
    const floats = await client.embeddings.create({
      model: `ollama/${OLLAMA_EMBEDDER}`,
      input: 'alpha',
      encoding_format: 'float',
    });
    expect(floats.data[0]!.embedding).toEqual(alpha);

    const chatModel = await refusal(client.embeddings.create({ model: `vllm/${VLLM_MODEL}`, input: 'alpha' }));
    expect(chatModel).toMatchObject({
      status: 400,
      message: expect.stringMatching(/vllm cannot embed .*does not support Embeddings API/),
    });
    const noFlag = await refusal(client.embeddings.create({ model: 'llamacpp', input: 'alpha' }));
    expect(noFlag).toMatchObject({
      status: 400,
      message: expect.stringMatching(
        /llamacpp cannot embed.*Start it with `--embeddings`.*Start llama-server with --embeddings/s,
      ),
    });
    const tokenInput = await refusal(
      client.embeddings.create({ model: `ollama/${OLLAMA_EMBEDDER}`, input: [[1, 2, 3]] }),
    );
    expect(tokenInput).toMatchObject({ status: 400, message: expect.stringMatching(/"input" is a list of token ids/) });

    const pull = await fetch(`${url}/api/pull`, { method: 'POST', body: JSON.stringify({ model: 'llamacpp' }) });
    expect(pull.status).toBe(400);
    expect(await pull.json()).toMatchObject({
      code: 'BAD_REQUEST',
      error: expect.stringMatching(/llamacpp \(llamacpp\) cannot pull models/),
    });
  }, 180_000);

  it('ollama client: embed, legacy embeddings, generate with suffix (streamed), pull with progress, and the refusals', async () => {
    const { url } = await gateway(
      `providers:\n  active: ollama\n${providerYaml('ollama', { model: OLLAMA_CHAT, port: await freePort() })}`,
      {
        ACODE_FAKE_TOKENS: '5',
        ACODE_FAKE_MODELS: CATALOGUE,
        ACODE_FAKE_PULLED: [OLLAMA_CHAT, OLLAMA_CODER, OLLAMA_EMBEDDER].join(','),
      },
    );
    const ollama = new Ollama({ host: url });

    const embedded = await ollama.embed({ model: `ollama/${OLLAMA_EMBEDDER}`, input: ['one', 'two'] });
    expect(embedded.embeddings).toEqual([
      embedding(OLLAMA_EMBEDDER, 'one', 768),
      embedding(OLLAMA_EMBEDDER, 'two', 768),
    ]);
    expect(embedded.prompt_eval_count).toBeGreaterThan(0);
    const legacy = await ollama.embeddings({ model: `ollama/${OLLAMA_EMBEDDER}`, prompt: 'one' });
    expect(legacy.embedding).toEqual(embedding(OLLAMA_EMBEDDER, 'one', 768));

    let text = '';
    let last: { done?: boolean; done_reason?: string; eval_count?: number } = {};
    for await (const part of await ollama.generate({
      model: `ollama/${OLLAMA_CODER}`,
      prompt: 'const add = (a, b) =>',
      suffix: ';\nexport default add;',
      stream: true,
    })) {
      text += part.response;
      last = part;
    }
    expect(text).toBe(completion(OLLAMA_CODER, fim('const add = (a, b) =>', ';\nexport default add;'), null, 5));
    expect(last).toMatchObject({ done: true, done_reason: 'stop', eval_count: 5 });

    const insert = await ollama
      .generate({ model: `ollama/${OLLAMA_CHAT}`, prompt: 'x', suffix: 'y' })
      .catch((e: unknown) => e);
    expect(String(insert)).toMatch(/does not support insert/);
    const chatEmbedder = await ollama
      .chat({ model: `ollama/${OLLAMA_EMBEDDER}`, messages: [{ role: 'user', content: 'hi' }] })
      .catch((e: unknown) => e);
    expect(String(chatEmbedder)).toMatch(/does not support chat/);

    const lines: Array<{ status: string; total?: number; completed?: number }> = [];
    for await (const line of await ollama.pull({ model: 'ollama/qwen2.5:0.5b', stream: true })) lines.push(line);
    expect(lines[0]).toMatchObject({ status: 'pulling manifest' });
    expect(lines.some((l) => /^pulling [0-9a-f]{12}$/.test(l.status) && typeof l.total === 'number')).toBe(true);
    expect(lines.at(-1)).toEqual({ status: 'success' });
    expect((await ollama.list()).models.map((m) => m.name)).toContain('ollama/qwen2.5:0.5b');
    const unknown = await ollama.pull({ model: 'ollama/no-such-model:7b', stream: false }).catch((e: unknown) => e);
    expect(String(unknown)).toMatch(/no-such-model.*file does not exist/s);
  }, 120_000);

  it('llama-server with a code model and --embeddings: /infill answers FIM (streamed and whole, both clients), embeddings answer', async () => {
    const models = await mkdtemp(join(tmpdir(), 'acode-gguf-'));
    try {
      const coder = join(models, 'qwen2.5-coder-0.5b-q4_k_m.gguf');
      await symlink(STAGED_GGUF, coder);
      const { url } = await gateway(
        `providers:\n  active: llamacpp\n${providerYaml('llamacpp', { model: coder, port: await freePort() })}    args: ["--embeddings"]\n`,
        { ACODE_FAKE_TOKENS: '4' },
      );
      const client = new OpenAI({ baseURL: `${url}/v1`, apiKey: 'x', maxRetries: 0 });
      const expected = completion(coder, fim('int main() {', '}'), 12, 4);
      const whole = await client.completions.create({
        model: 'llamacpp',
        prompt: 'int main() {',
        suffix: '}',
        max_tokens: 12,
      });
      expect(whole.choices[0]).toMatchObject({ text: expected, finish_reason: 'stop' });
      let streamed = '';
      for await (const chunk of await client.completions.create({
        model: 'llamacpp',
        prompt: 'int main() {',
        suffix: '}',
        max_tokens: 12,
        stream: true,
      }))
        streamed += chunk.choices[0]?.text ?? '';
      expect(streamed).toBe(expected);
      const generated = await new Ollama({ host: url }).generate({
        model: 'llamacpp',
        prompt: 'int main() {',
        suffix: '}',
        options: { num_predict: 12 },
        stream: false,
      });
      expect(generated).toMatchObject({ response: expected, done: true, eval_count: 4 });
      const vectors = await client.embeddings.create({ model: 'llamacpp', input: 'hello', encoding_format: 'float' });
      expect(vectors.data[0]!.embedding).toEqual(embedding(coder, 'hello', 896));
    } finally {
      await rm(models, { recursive: true, force: true });
    }
  }, 120_000);

  describe('vLLM with a pooling model, and the Hugging Face pull', () => {
    let hub: HubServer;
    beforeAll(async () => {
      hub = await startHub({ repos: ['acode-test/tiny-llm', VLLM_EMBEDDER, VLLM_MODEL], weightBytes: 300_000 });
    });
    afterAll(async () => hub.stop());

    it('embeds through vLLM, refuses chat with its model, and pulls a repo through the hub stand-in with Ollama progress lines', async () => {
      const { p, url } = await gateway(
        `providers:\n  active: vllm\n${providerYaml('vllm', { model: VLLM_EMBEDDER, port: await freePort() })}`,
        { HF_ENDPOINT: hub.url, ACODE_FAKE_MODELS: CATALOGUE },
      );
      const client = new OpenAI({ baseURL: `${url}/v1`, apiKey: 'x', maxRetries: 0 });
      const vectors = await client.embeddings.create({
        model: 'vllm',
        input: ['left', 'right'],
        encoding_format: 'float',
      });
      expect(vectors.data.map((d) => d.embedding)).toEqual([
        embedding(VLLM_EMBEDDER, 'left', 768),
        embedding(VLLM_EMBEDDER, 'right', 768),
      ]);
      expect(vectors.usage.prompt_tokens).toBeGreaterThan(0);
      const chat = await refusal(
        client.chat.completions.create({ model: 'vllm', messages: [{ role: 'user', content: 'hi' }] }),
      );
      expect(chat).toMatchObject({
        status: 400,
        message: expect.stringMatching(/does not support Chat Completions API/),
      });

      const ollama = new Ollama({ host: url });
      const lines: Array<{ status: string; digest?: string; total?: number; completed?: number }> = [];
      for await (const line of await ollama.pull({ model: 'vllm/acode-test/tiny-llm', stream: true })) lines.push(line);
      expect(lines[0]).toEqual({ status: 'pulling manifest' });
      expect(lines).toContainEqual({
        status: 'pulling model.safetensors',
        digest: 'model.safetensors',
        total: 300_000,
        completed: 300_000,
      });
      expect(lines.at(-1)).toEqual({ status: 'success' });
      expect(await cachedModel(hubEnv({ HF_HOME: join(p.dir, 'hf') }).cacheDir, 'acode-test/tiny-llm')).toMatchObject({
        complete: true,
      });
      const whole = await fetch(`${url}/api/pull`, {
        method: 'POST',
        body: JSON.stringify({ name: 'vllm/acode-test/tiny-llm', stream: false }),
      });
      expect(await whole.json()).toEqual({ status: 'success' });
    }, 120_000);

    it('airgapped: the pull is refused with 403 and the pre-stage steps', async () => {
      const { url } = await gateway(
        `mode: airgapped\nproviders:\n  active: vllm\n${providerYaml('vllm', { model: VLLM_MODEL, port: await freePort() })}`,
        { HF_ENDPOINT: hub.url },
      );
      const res = await fetch(`${url}/api/pull`, {
        method: 'POST',
        body: JSON.stringify({ model: 'vllm/acode-test/tiny-llm' }),
      });
      expect(res.status).toBe(403);
      expect(await res.json()).toMatchObject({
        code: 'AIRGAP_VIOLATION',
        error: expect.stringMatching(/airgapped mode forbids downloading acode-test\/tiny-llm.*Pre-stage it/s),
      });
    }, 60_000);
  });
});
