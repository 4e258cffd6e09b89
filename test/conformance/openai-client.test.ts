// The official `openai` npm client against the vLLM and llama-server stand-ins (always), the real
// llama-server of ../shared/real-servers (when it is there) and a real OpenAI-compatible server (when
// ACODE_TEST_OPENAI_URL is set). Against a real server the tests assert the protocol, not the words:
// any model (even random weights) passes. Every generation is bounded (max_tokens, temperature 0).

import { Ajv } from 'ajv';
import OpenAI from 'openai';
import type {
  ChatCompletionCreateParamsStreaming,
  ChatCompletionMessageParam,
} from 'openai/resources/chat/completions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectedChat } from '../servers/harness.js';
import { realLlama, realLlamaSkipReason, startRealLlama } from '../real/llama-server.js';
import {
  fakeTarget,
  openaiClient,
  personSchema,
  REAL_MODEL,
  REAL_OPENAI_URL,
  realTarget,
  weatherTool,
  type Target,
} from './targets.js';

const user: ChatCompletionMessageParam[] = [{ role: 'user', content: 'Say something short about clouds.' }];
/** Every chat is bounded: a real model may never stop by itself, and sampling must be deterministic. */
const MAX_TOKENS = 16;
const bounded = { max_tokens: MAX_TOKENS, temperature: 0 } as const;
/** A real server ends a bounded answer on its own (stop) or at the bound (length). */
const ENDINGS = ['stop', 'length'];

function suite(getTarget: () => Promise<Target>, flavor: 'vllm' | 'llama-server' | 'real'): void {
  let t: Target;
  beforeAll(async () => {
    t = await getTarget();
  });
  afterAll(async () => t?.stop());

  it('lists the served model', async () => {
    const ids = [];
    for await (const m of openaiClient(t).models.list()) ids.push(m.id);
    expect(ids).toContain(t.model);
  });

  it('chat without streaming returns the message, finish_reason and usage', async () => {
    const r = await openaiClient(t).chat.completions.create({ model: t.model, messages: user, seed: 5, ...bounded });
    const choice = r.choices[0];
    expect(choice?.message.role).toBe('assistant');
    expect(typeof choice?.message.content).toBe('string');
    expect(r.usage?.completion_tokens).toBeGreaterThan(0);
    expect(r.usage?.completion_tokens).toBeLessThanOrEqual(MAX_TOKENS);
    if (t.fake) {
      const want = expectedChat({ model: t.key, messages: user, seed: 5, maxTokens: MAX_TOKENS });
      expect(choice?.finish_reason).toBe(want.finishReason);
      expect(choice?.message.content).toBe(want.text);
      expect(r.usage?.completion_tokens).toBe(want.pieces.length);
    } else {
      expect(ENDINGS).toContain(choice?.finish_reason);
    }
  });

  it('chat streams SSE deltas, then usage with include_usage, then [DONE]', async () => {
    const stream = await openaiClient(t).chat.completions.create({
      model: t.model,
      messages: user,
      seed: 5,
      ...bounded,
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = '';
    let finish: string | null | undefined;
    let usage: OpenAI.CompletionUsage | undefined | null;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      finish = chunk.choices[0]?.finish_reason ?? finish;
      if (chunk.usage) usage = chunk.usage;
    }
    expect(usage?.completion_tokens).toBeGreaterThan(0);
    expect(usage?.completion_tokens).toBeLessThanOrEqual(MAX_TOKENS);
    if (t.fake) {
      const want = expectedChat({ model: t.key, messages: user, seed: 5, maxTokens: MAX_TOKENS });
      expect(finish).toBe(want.finishReason);
      expect(text).toBe(want.text);
    } else {
      expect(ENDINGS).toContain(finish);
    }
  });

  it('max_tokens cuts the answer with finish_reason length', async () => {
    const r = await openaiClient(t).chat.completions.create({
      model: t.model,
      messages: user,
      ...bounded,
      max_tokens: 3,
    });
    expect(r.choices[0]?.finish_reason).toBe('length');
    expect(r.usage?.completion_tokens).toBeLessThanOrEqual(3);
  });

  it('calls a tool (non-stream and stream) with JSON-string arguments', async () => {
    const messages: ChatCompletionMessageParam[] = [
      { role: 'user', content: 'What is the weather in Oslo? Call get_weather.' },
    ];
    const r = await openaiClient(t).chat.completions.create({
      model: t.model,
      messages,
      tools: [weatherTool],
      ...(t.fake ? {} : bounded),
    });
    if (!t.fake && r.choices[0]?.finish_reason !== 'tool_calls') {
      // A model is free not to call the tool (random weights never do): the server took the tools and answered.
      expect(ENDINGS).toContain(r.choices[0]?.finish_reason);
      expect(r.choices[0]?.message.tool_calls ?? []).toEqual([]);
      return;
    }
    expect(r.choices[0]?.finish_reason).toBe('tool_calls');
    const call = r.choices[0]?.message.tool_calls?.[0];
    expect(call?.type).toBe('function');
    const args = JSON.parse(call?.type === 'function' ? call.function.arguments : '{}') as { city?: unknown };
    expect(typeof args.city).toBe('string');
    const stream = await openaiClient(t).chat.completions.create({
      model: t.model,
      messages,
      tools: [weatherTool],
      stream: true,
    });
    let name = '';
    let streamed = '';
    for await (const chunk of stream) {
      for (const tc of chunk.choices[0]?.delta.tool_calls ?? []) {
        name += tc.function?.name ?? '';
        streamed += tc.function?.arguments ?? '';
      }
    }
    expect(name).toBe('get_weather');
    expect(typeof (JSON.parse(streamed) as { city?: unknown }).city).toBe('string');
  });

  it('returns JSON matching response_format json_schema', async () => {
    const answer = await openaiClient(t)
      .chat.completions.create({
        model: t.model,
        messages: [{ role: 'user', content: 'Invent a person.' }],
        temperature: 0,
        response_format: { type: 'json_schema', json_schema: { name: 'person', schema: personSchema, strict: true } },
      })
      .catch((e: unknown) => e);
    if (!t.fake && answer instanceof OpenAI.BadRequestError) {
      // Some model files cannot build a grammar sampler (llama-server: 400 "Failed to initialize samplers"):
      // the server must say so as a 400 with a message, not a 500 or a hang.
      expect(answer.message.length).toBeGreaterThan(0);
      return;
    }
    if (answer instanceof Error) throw answer;
    const r = answer as OpenAI.ChatCompletion;
    const validate = new Ajv().compile(personSchema);
    const value: unknown = JSON.parse(r.choices[0]?.message.content ?? 'null');
    expect(validate(value), JSON.stringify(validate.errors)).toBe(true);
  });

  it('handles an unknown model name as the server does', async () => {
    const result = await openaiClient(t)
      .chat.completions.create({ model: 'no-such-model-acode', messages: user, ...bounded })
      .catch((e: unknown) => e);
    if (flavor === 'vllm' || (flavor === 'real' && result instanceof Error)) {
      expect(result).toBeInstanceOf(OpenAI.NotFoundError);
      expect((result as InstanceType<typeof OpenAI.NotFoundError>).message).toContain('no-such-model-acode');
    } else {
      // llama-server in single-model mode ignores `model` and answers with its own id.
      expect((result as OpenAI.ChatCompletion).model).toBe(t.model);
    }
  });
}

describe('fake vllm (test/servers) driven by the official openai client', () => {
  suite(() => fakeTarget('vllm', { model: 'Qwen/Qwen2.5-1.5B-Instruct' }), 'vllm');

  describe('fake-only: continuation, completions, version, metrics, errors', () => {
    let t: Target;
    beforeAll(async () => {
      t = await fakeTarget('vllm', {
        args: ['--served-model-name', 'qwen', 'qwen-alias'],
        model: 'Qwen/Qwen2.5-0.5B-Instruct',
      });
    });
    afterAll(async () => t?.stop());

    it('serves every --served-model-name, rooted at the model argument', async () => {
      const page = await openaiClient(t).models.list();
      expect(page.data.map((m) => m.id)).toEqual(['qwen', 'qwen-alias']);
      expect((page.data[0] as unknown as { root: string }).root).toBe('Qwen/Qwen2.5-0.5B-Instruct');
    });

    it('continue_final_message continues the assistant text with exactly the rest of the sequence', async () => {
      const full = expectedChat({ model: t.model, messages: user, seed: 9 });
      const prefix = full.pieces.slice(0, 5).join('');
      const params = {
        model: 'qwen',
        seed: 9,
        stream: true,
        messages: [...user, { role: 'assistant', content: prefix }],
        continue_final_message: true,
        add_generation_prompt: false,
      };
      let text = '';
      for await (const c of await openaiClient(t).chat.completions.create(
        params as ChatCompletionCreateParamsStreaming,
      ))
        text += c.choices[0]?.delta.content ?? '';
      expect(text).toBe(full.pieces.slice(5).join(''));
      const bad = await openaiClient(t)
        .chat.completions.create({ ...params, add_generation_prompt: true } as ChatCompletionCreateParamsStreaming)
        .catch((e: unknown) => e);
      expect(bad).toBeInstanceOf(OpenAI.BadRequestError);
    });

    it('text completions agree between stream and non-stream and honour max_tokens', async () => {
      const r = await openaiClient(t).completions.create({ model: 'qwen', prompt: 'Once upon a time', max_tokens: 4 });
      expect(r.choices[0]?.finish_reason).toBe('length');
      expect(r.usage?.completion_tokens).toBe(4);
      let text = '';
      for await (const c of await openaiClient(t).completions.create({
        model: 'qwen',
        prompt: 'Once upon a time',
        max_tokens: 4,
        stream: true,
      }))
        text += c.choices[0]?.text ?? '';
      expect(text).toBe(r.choices[0]?.text);
    });

    it('answers /version, Prometheus /metrics, FastAPI 404 and the vLLM error envelope', async () => {
      expect(await (await fetch(`${t.url}/version`)).json()).toEqual({
        version: expect.stringMatching(/^\d+\.\d+\.\d+$/),
      });
      const metrics = await (await fetch(`${t.url}/metrics`)).text();
      expect(metrics).toMatch(/^vllm:generation_tokens_total\{model_name="qwen"\} [1-9]\d*$/m);
      expect((await fetch(`${t.url}/nope`)).status).toBe(404);
      const res = await fetch(`${t.url}/v1/chat/completions`, {
        method: 'POST',
        body: JSON.stringify({ model: 'x', messages: user }),
        headers: { 'content-type': 'application/json' },
      });
      expect(res.status).toBe(404);
      expect(await res.json()).toEqual({
        error: { message: 'The model `x` does not exist.', type: 'NotFoundError', param: 'model', code: 404 },
      });
      const so = await fetch(`${t.url}/v1/chat/completions`, {
        method: 'POST',
        body: JSON.stringify({ messages: user, stream_options: { include_usage: true } }),
      });
      expect(so.status).toBe(400);
    });
  });
});

describe('fake llama-server (test/servers) driven by the official openai client', () => {
  suite(() => fakeTarget('llama-server'), 'llama-server');

  describe('fake-only: alias, props, health, errors', () => {
    let t: Target;
    beforeAll(async () => {
      t = await fakeTarget('llama-server', { args: ['--alias', 'tiny', '-c', '2048'] });
    });
    afterAll(async () => t?.stop());

    it('reports --alias as the model id and n_ctx in meta and /props', async () => {
      const page = await openaiClient(t).models.list();
      expect(page.data[0]?.id).toBe('tiny');
      expect((page.data[0] as unknown as { meta: { n_ctx: number } }).meta.n_ctx).toBe(2048);
      const props = (await (await fetch(`${t.url}/props`)).json()) as {
        default_generation_settings: { n_ctx: number };
        model_path: string;
      };
      expect(props.default_generation_settings.n_ctx).toBe(2048);
      expect(props.model_path).toBe(t.model);
      expect(await (await fetch(`${t.url}/health`)).json()).toEqual({ status: 'ok' });
    });

    it('continues a trailing assistant message (prefill)', async () => {
      const full = expectedChat({ model: t.model, messages: user });
      const prefix = full.pieces.slice(0, 2).join('');
      const r = await openaiClient(t).chat.completions.create({
        model: 'tiny',
        messages: [...user, { role: 'assistant', content: prefix }],
      });
      expect(r.choices[0]?.message.content).toBe(full.pieces.slice(2).join(''));
    });

    it('uses llama.cpp error bodies', async () => {
      const nf = await fetch(`${t.url}/nope`);
      expect(nf.status).toBe(404);
      expect(await nf.json()).toEqual({ error: { code: 404, message: 'File Not Found', type: 'not_found_error' } });
      const bad = await fetch(`${t.url}/v1/chat/completions`, { method: 'POST', body: '{nope' });
      expect(bad.status).toBe(500);
      expect(((await bad.json()) as { error: { type: string } }).error.type).toBe('server_error');
      const err = await openaiClient(t)
        .chat.completions.create({ model: 'tiny', messages: [] })
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    });
  });
});

describe.skipIf(!realLlama)(
  `real llama-server (../shared/real-servers) driven by the official openai client${realLlamaSkipReason ? ` (${realLlamaSkipReason})` : ''}`,
  () => {
    suite(async () => {
      const server = await startRealLlama();
      return { fake: false, url: server.url, model: server.model, key: server.model, server: null, stop: server.stop };
    }, 'real');
  },
);

describe.skipIf(REAL_OPENAI_URL === '')(
  'real OpenAI-compatible server at ACODE_TEST_OPENAI_URL (set it, and ACODE_TEST_MODEL to pick one of several models, to run)',
  () => {
    suite(async () => realTarget(REAL_OPENAI_URL, REAL_MODEL, 'openai'), 'real');
    it.skip('knob tests run only against the stand-ins', () => undefined);
  },
);
