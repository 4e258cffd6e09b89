import { afterEach, describe, expect, it } from 'vitest';
import { createProvider, type ModelProvider, type StreamChunk } from '../../adapters/index.js';
import type { ProviderKind } from '../../config/index.js';
import {
  caught,
  collect,
  freePort,
  providerConfig,
  sse,
  startFixture,
  type Fixture,
  type Handler,
} from './fixture-server.js';

let fixture: Fixture | undefined;
let provider: ModelProvider | undefined;
afterEach(async () => {
  await provider?.close();
  await fixture?.close();
  provider = undefined;
  fixture = undefined;
});

async function setup(
  handler: Handler,
  kind: ProviderKind = 'vllm',
  model: string | undefined = 'm',
): Promise<ModelProvider> {
  fixture = await startFixture(handler);
  provider = createProvider(providerConfig(kind, 'openai-compatible', fixture.url, model));
  return provider;
}

const chunk = (delta: Record<string, unknown>, finish: string | null = null) => ({
  id: 'c1',
  object: 'chat.completion.chunk',
  model: 'm',
  choices: [{ index: 0, delta, finish_reason: finish }],
});
const usage = {
  id: 'c1',
  object: 'chat.completion.chunk',
  model: 'm',
  choices: [],
  usage: { prompt_tokens: 9, completion_tokens: 2, total_tokens: 11 },
};
const user = [{ role: 'user' as const, content: 'hi' }];

describe('openai-compatible wire', () => {
  it('streams text, skips the role chunk and pings, reads usage from the extra chunk', async () => {
    const p = await setup((_q, res) =>
      sse(res, [
        ': ping\n\n',
        chunk({ role: 'assistant', content: '' }),
        chunk({ content: 'Hello' }),
        chunk({ content: '!' }, 'stop'),
        usage,
        'data: [DONE]\n\n',
      ]),
    );
    const chunks = await collect(p.stream({ messages: user, sampling: { maxTokens: 4, temperature: 0 } }));
    expect(chunks).toEqual([
      { type: 'text', text: 'Hello' },
      { type: 'text', text: '!' },
      {
        type: 'final',
        finishReason: 'stop',
        usage: { promptTokens: 9, completionTokens: 2, totalTokens: 11 },
        toolCalls: [],
        model: 'm',
      },
    ]);
    expect(fixture!.requests[0]).toMatchObject({
      url: '/v1/chat/completions',
      body: { model: 'm', stream: true, stream_options: { include_usage: true }, max_tokens: 4, temperature: 0 },
    });
  });

  it('assembles streamed tool-call deltas by index and validates the arguments', async () => {
    const p = await setup((_q, res) =>
      sse(res, [
        chunk({
          tool_calls: [{ index: 0, id: 'call_a', type: 'function', function: { name: 'get_weather', arguments: '' } }],
        }),
        chunk({
          tool_calls: [{ index: 1, id: 'call_b', type: 'function', function: { name: 'get_time', arguments: '{}' } }],
        }),
        chunk({ tool_calls: [{ index: 0, function: { arguments: '{"city": ' } }] }),
        chunk({ tool_calls: [{ index: 0, function: { arguments: '"Tokyo"}' } }] }),
        chunk({}, 'tool_calls'),
        'data: [DONE]\n\n',
      ]),
    );
    const chunks = await collect(p.stream({ messages: user }));
    expect(chunks.filter((c) => c.type === 'tool_call_delta')).toHaveLength(4);
    expect(chunks[0]).toEqual({
      type: 'tool_call_delta',
      index: 0,
      id: 'call_a',
      name: 'get_weather',
      argumentsDelta: '',
    });
    const last = chunks.at(-1) as Extract<StreamChunk, { type: 'final' }>;
    expect(last.finishReason).toBe('tool_calls');
    expect(last.toolCalls).toEqual([
      { id: 'call_a', name: 'get_weather', arguments: { city: 'Tokyo' } },
      { id: 'call_b', name: 'get_time', arguments: {} },
    ]);
  });

  it('rejects tool-call arguments that are not a JSON object', async () => {
    const p = await setup((_q, res) =>
      sse(res, [
        chunk({ tool_calls: [{ index: 0, id: 'x', function: { name: 'f', arguments: '{"a": ' } }] }),
        chunk({}, 'tool_calls'),
        'data: [DONE]\n\n',
      ]),
    );
    const err = await caught(p.complete({ messages: user }));
    expect(err.code).toBe('STRUCTURED_OUTPUT_INVALID');
    expect(err.details).toMatchObject({ tool: 'f', raw: '{"a": ' });
  });

  it('serialises assistant tool calls with string arguments and tool results with tool_call_id', async () => {
    const p = await setup((_q, res) => sse(res, [chunk({ content: 'ok' }, 'stop'), 'data: [DONE]\n\n']));
    await p.complete({
      messages: [
        ...user,
        { role: 'assistant', content: '', toolCalls: [{ id: 'c1', name: 'f', arguments: { a: 1 } }] },
        { role: 'tool', content: '2', toolCallId: 'c1', toolName: 'f' },
      ],
    });
    const body = fixture!.requests[0]!.body as { messages: Record<string, unknown>[] };
    expect(body.messages[1]).toEqual({
      role: 'assistant',
      content: '',
      tool_calls: [{ id: 'c1', type: 'function', function: { name: 'f', arguments: '{"a":1}' } }],
    });
    expect(body.messages[2]).toEqual({ role: 'tool', content: '2', tool_call_id: 'c1' });
  });

  it('vLLM continues the final message with continue_final_message and no generation prompt', async () => {
    const p = await setup((_q, res) => sse(res, [chunk({ content: ' world' }, 'stop'), 'data: [DONE]\n\n']));
    await p.complete({ continueFinalMessage: true, messages: [...user, { role: 'assistant', content: 'hello' }] });
    expect(fixture!.requests[0]!.body).toMatchObject({ continue_final_message: true, add_generation_prompt: false });
  });

  it('llama-server cannot continue a final message: BAD_REQUEST before any request', async () => {
    const p = await setup((_q, res) => sse(res, ['data: [DONE]\n\n']), 'llamacpp');
    expect(p.capabilities.continueFinalMessage).toBe(false);
    const err = await caught(
      p.complete({ continueFinalMessage: true, messages: [...user, { role: 'assistant', content: 'x' }] }),
    );
    expect(err.code).toBe('BAD_REQUEST');
    expect(fixture!.requests).toHaveLength(0);
  });

  it.each([
    [
      'vLLM >= 0.10.1',
      { error: { message: 'The model `x` does not exist.', type: 'NotFoundError', param: 'model', code: 404 } },
    ],
    [
      'vLLM <= 0.10.0',
      { object: 'error', message: 'The model `x` does not exist.', type: 'NotFoundError', param: null, code: 404 },
    ],
  ])('maps 404 (%s) to MODEL_NOT_FOUND with the server message', async (_name, envelope) => {
    const p = await setup((_q, res) => {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(JSON.stringify(envelope));
    });
    const err = await caught(p.complete({ model: 'x', messages: user }));
    expect(err.code).toBe('MODEL_NOT_FOUND');
    expect(err.message).toContain('The model `x` does not exist.');
  });

  it('maps llama-server 400 to BAD_REQUEST and 500 to SERVER_ERROR with the body', async () => {
    let status = 400;
    const p = await setup((_q, res) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          error: {
            code: status,
            message:
              status === 400
                ? 'request (1518 tokens) exceeds the available context size'
                : '[json.exception.parse_error.101]',
            type: status === 400 ? 'exceed_context_size_error' : 'server_error',
          },
        }),
      );
    }, 'llamacpp');
    const bad = await caught(p.complete({ messages: user }));
    expect(bad.code).toBe('BAD_REQUEST');
    expect(bad.message).toContain('exceeds the available context size');
    status = 500;
    const server = await caught(p.complete({ messages: user }));
    expect(server.code).toBe('SERVER_ERROR');
    expect(server.details).toMatchObject({ status: 500 });
    expect(String(server.details!.body)).toContain('parse_error');
  });

  it.each([
    [
      'new llama-server data error',
      'data: {"error":{"code":500,"message":"slot died","type":"server_error"}}\n\n',
      'SERVER_ERROR',
    ],
    [
      'old llama-server error: field',
      'error: {"code":400,"message":"slot died","type":"invalid_request_error"}\n\ndata: [DONE]\n\n',
      'BAD_REQUEST',
    ],
    [
      'vLLM old envelope',
      'data: {"object":"error","message":"slot died","type":"InternalServerError","code":500}\n\ndata: [DONE]\n\n',
      'SERVER_ERROR',
    ],
  ])('maps a mid-stream error (%s) after the delivered chunks', async (_name, tail, code) => {
    const p = await setup((_q, res) => sse(res, [chunk({ content: 'a' }), tail]), 'llamacpp');
    const got: StreamChunk[] = [];
    const err = await caught(async () => {
      for await (const c of p.stream({ messages: user })) got.push(c);
    });
    expect(got).toEqual([{ type: 'text', text: 'a' }]);
    expect(err.code).toBe(code);
    expect(err.message).toContain('slot died');
    expect(err.details).toMatchObject({ chunksDelivered: 1, midStream: true });
  });

  it("quotes one line of a server's long mid-stream message, keeping the whole of it in details", async () => {
    // llama-server's own parse error quotes everything it generated (kilobytes, several lines).
    const said = `Failed to parse input at pos 22: ${'generated text '.repeat(200)}\nmore\nlines`;
    const p = await setup(
      (_q, res) =>
        sse(res, [chunk({ content: 'a' }), `data: ${JSON.stringify({ error: { code: 500, message: said } })}\n\n`]),
      'llamacpp',
    );
    const err = await caught(async () => {
      for await (const _ of p.stream({ messages: user })) void _;
    });
    expect(err.code).toBe('SERVER_ERROR');
    expect(err.message).toContain('Failed to parse input at pos 22');
    expect(err.message).not.toContain('\n');
    expect(err.message?.length).toBeLessThan(300);
    expect(err.details).toMatchObject({ serverMessage: said });
  });

  it('sends structured output as response_format json_schema', async () => {
    const schema = { type: 'object', properties: { age: { type: 'integer' } }, required: ['age'] };
    const p = await setup((_q, res) => sse(res, [chunk({ content: '{"age": 22}' }, 'stop'), 'data: [DONE]\n\n']));
    const res = await p.complete({ messages: user, schema });
    expect(res.json).toEqual({ age: 22 });
    expect(fixture!.requests[0]!.body).toMatchObject({
      response_format: { type: 'json_schema', json_schema: { name: 'response', schema, strict: true } },
    });
  });

  it('lists models with max_model_len (vLLM) and meta.n_ctx (llama-server)', async () => {
    const p = await setup((_q, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          object: 'list',
          data: [
            { id: 'm', object: 'model', max_model_len: 32768 },
            { id: 'g.gguf', meta: { n_ctx: 256, n_ctx_train: 2048, size: 17 } },
          ],
        }),
      );
    });
    expect(await p.listModels()).toEqual([
      { id: 'm', contextLength: 32768 },
      { id: 'g.gguf', contextLength: 256, sizeBytes: 17 },
    ]);
    expect(p.capabilities.maxContext).toBe(32768);
    const err = await caught(p.modelInfo('absent'));
    expect(err.code).toBe('MODEL_NOT_FOUND');
    expect(err.message).toContain('m, g.gguf');
  });

  it('llama-server: health 503 Loading model is starting, 200 is ready', async () => {
    let loading = true;
    const p = await setup((_q, res) => {
      res.writeHead(loading ? 503 : 200, { 'content-type': 'application/json' });
      res.end(
        loading ? '{"error":{"message":"Loading model","type":"unavailable_error","code":503}}' : '{"status":"ok"}',
      );
    }, 'llamacpp');
    expect(await p.health()).toMatchObject({
      ok: false,
      status: 'starting',
      detail: expect.stringContaining('Loading model'),
    });
    loading = false;
    expect(await p.health()).toEqual({ ok: true, status: 'ready' });
    expect(fixture!.requests[0]!.url).toBe('/health');
  });

  it('vLLM: health 503 is an error (engine dead), refused is down with the loading note', async () => {
    const p = await setup((_q, res) => {
      res.writeHead(503);
      res.end();
    });
    expect(await p.health()).toMatchObject({ ok: false, status: 'error', code: 'HTTP_503' });
    const port = await freePort();
    const gone = createProvider(providerConfig('vllm', 'openai-compatible', `http://127.0.0.1:${port}`, 'm'));
    const h = await gone.health();
    await gone.close();
    expect(h).toMatchObject({ ok: false, status: 'down', code: 'CONNECTION_REFUSED' });
    expect(h.detail).toContain('refuses connections until its model is loaded');
  });

  it('LM Studio: health probes GET /v1/models', async () => {
    const p = await setup((_q, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"object":"list","data":[]}');
    }, 'lmstudio');
    expect(await p.health()).toEqual({ ok: true, status: 'ready' });
    expect(fixture!.requests[0]!.url).toBe('/v1/models');
  });

  it('accepts a whole JSON completion when the server does not stream', async () => {
    const p = await setup((_q, res) => {
      res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' });
      res.end(
        JSON.stringify({
          model: 'm',
          choices: [
            {
              index: 0,
              message: {
                role: 'assistant',
                content: null,
                tool_calls: [{ id: 't1', type: 'function', function: { name: 'f', arguments: '{"a":1}' } }],
              },
              finish_reason: 'tool_calls',
            },
          ],
          usage: { prompt_tokens: 1, completion_tokens: 2, total_tokens: 3 },
        }),
      );
    });
    const res = await p.complete({ messages: user });
    expect(res).toMatchObject({
      text: '',
      finishReason: 'tool_calls',
      toolCalls: [{ id: 't1', name: 'f', arguments: { a: 1 } }],
      usage: { totalTokens: 3 },
    });
  });

  it('a stream cut inside its last event is PROTOCOL_ERROR, even after a finish reason', async () => {
    const p = await setup((_q, res) => sse(res, [chunk({ content: 'a' }, 'stop'), 'data: {"choices":[],"usa']));
    const err = await caught(p.complete({ messages: user }));
    expect(err.code).toBe('PROTOCOL_ERROR');
    expect(err.message).toContain('cut inside its last event');
  });

  it('a stream that ends cleanly after the finish reason without [DONE] is complete (old llama-server)', async () => {
    const p = await setup(
      (_q, res) => sse(res, [chunk({ content: 'a' }), chunk({ content: 'b' }, 'stop')]),
      'llamacpp',
    );
    expect((await p.complete({ messages: user })).text).toBe('ab');
  });

  it('a stream that ends before any finish reason is STREAM_INTERRUPTED', async () => {
    const p = await setup((_q, res) => sse(res, [chunk({ content: 'a' }), chunk({ content: 'b' })]));
    const err = await caught(p.complete({ messages: user }));
    expect(err.code).toBe('STREAM_INTERRUPTED');
    expect(err.details).toMatchObject({ chunksDelivered: 2 });
  });
});
