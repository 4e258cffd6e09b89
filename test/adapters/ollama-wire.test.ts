import { afterEach, describe, expect, it } from 'vitest';
import { createProvider, type ModelProvider, type StreamChunk } from '../../adapters/index.js';
import { caught, collect, ndjson, providerConfig, startFixture, type Fixture, type Handler } from './fixture-server.js';

let fixture: Fixture | undefined;
let provider: ModelProvider | undefined;
afterEach(async () => {
  await provider?.close();
  await fixture?.close();
  provider = undefined;
  fixture = undefined;
});

async function setup(handler: Handler, model = 'llama3.2'): Promise<ModelProvider> {
  fixture = await startFixture(handler);
  provider = createProvider(providerConfig('ollama', 'ollama', fixture.url, model));
  return provider;
}

const msg = (content: string, extra: Record<string, unknown> = {}) => ({
  model: 'llama3.2',
  created_at: 'x',
  message: { role: 'assistant', content },
  done: false,
  ...extra,
});
const final = {
  model: 'llama3.2',
  created_at: 'x',
  message: { role: 'assistant', content: '' },
  done: true,
  done_reason: 'stop',
  prompt_eval_count: 26,
  eval_count: 2,
};

describe('ollama wire', () => {
  it('streams text chunks and a final chunk with usage', async () => {
    const p = await setup((_q, res) => ndjson(res, [msg('Hel'), msg('lo'), final]));
    const chunks = await collect(
      p.stream({
        messages: [{ role: 'user', content: 'hi' }],
        sampling: { temperature: 0.2, maxTokens: 5, seed: 1, stop: ['x'], topP: 0.9 },
      }),
    );
    expect(chunks).toEqual([
      { type: 'text', text: 'Hel' },
      { type: 'text', text: 'lo' },
      {
        type: 'final',
        finishReason: 'stop',
        usage: { promptTokens: 26, completionTokens: 2, totalTokens: 28 },
        toolCalls: [],
        model: 'llama3.2',
      },
    ]);
    const sent = fixture!.requests[0]!;
    expect(sent.url).toBe('/api/chat');
    expect(sent.body).toMatchObject({
      model: 'llama3.2',
      stream: true,
      options: { temperature: 0.2, num_predict: 5, seed: 1, stop: ['x'], top_p: 0.9 },
    });
  });

  it('parses tool_calls objects into ToolCalls and a tool_calls finish', async () => {
    const p = await setup((_q, res) =>
      ndjson(res, [
        msg('', {
          message: {
            role: 'assistant',
            content: '',
            tool_calls: [{ function: { name: 'get_weather', arguments: { city: 'Tokyo' } } }],
          },
        }),
        final,
      ]),
    );
    const res = await p.complete({
      messages: [{ role: 'user', content: 'w?' }],
      tools: [{ name: 'get_weather', parameters: { type: 'object' } }],
    });
    expect(res.finishReason).toBe('tool_calls');
    expect(res.toolCalls).toHaveLength(1);
    expect(res.toolCalls[0]).toMatchObject({ name: 'get_weather', arguments: { city: 'Tokyo' } });
    expect(res.toolCalls[0]!.id).toMatch(/^call_/);
    expect(fixture!.requests[0]!.body).toMatchObject({
      tools: [{ type: 'function', function: { name: 'get_weather' } }],
    });
  });

  it('sends tool results with tool_name and prior tool calls as objects', async () => {
    const p = await setup((_q, res) => ndjson(res, [msg('11 degrees'), final]));
    await p.complete({
      messages: [
        { role: 'user', content: 'w?' },
        {
          role: 'assistant',
          content: '',
          toolCalls: [{ id: 'c1', name: 'get_weather', arguments: { city: 'Tokyo' } }],
        },
        { role: 'tool', content: '11', toolName: 'get_weather', toolCallId: 'c1' },
      ],
    });
    const body = fixture!.requests[0]!.body as { messages: Record<string, unknown>[] };
    expect(body.messages[1]).toEqual({
      role: 'assistant',
      content: '',
      tool_calls: [{ function: { name: 'get_weather', arguments: { city: 'Tokyo' } } }],
    });
    expect(body.messages[2]).toMatchObject({ role: 'tool', tool_name: 'get_weather' });
  });

  it('sends the trailing assistant message as is to continue it', async () => {
    const p = await setup((_q, res) => ndjson(res, [msg(' world'), final]));
    const res = await p.complete({
      continueFinalMessage: true,
      messages: [
        { role: 'user', content: 'say hello world' },
        { role: 'assistant', content: 'hello' },
      ],
    });
    expect(res.text).toBe(' world');
    const body = fixture!.requests[0]!.body as { messages: unknown[] };
    expect(body.messages.at(-1)).toEqual({ role: 'assistant', content: 'hello' });
    expect(p.capabilities.continueFinalMessage).toBe(true);
  });

  it('maps 404 to MODEL_NOT_FOUND with the server message', async () => {
    const p = await setup((_q, res) => {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end('{"error":"model \'nope\' not found"}');
    });
    const err = await caught(p.complete({ model: 'nope', messages: [{ role: 'user', content: 'x' }] }));
    expect(err.code).toBe('MODEL_NOT_FOUND');
    expect(err.message).toContain("model 'nope' not found");
    expect(err.details).toMatchObject({ status: 404, model: 'nope' });
  });

  it('maps an error line mid-stream to SERVER_ERROR after the delivered chunks', async () => {
    const p = await setup((_q, res) => ndjson(res, [msg('a'), { error: 'runner crashed' }]));
    const got: StreamChunk[] = [];
    const err = await caught(async () => {
      for await (const c of p.stream({ messages: [{ role: 'user', content: 'x' }] })) got.push(c);
    });
    expect(got).toEqual([{ type: 'text', text: 'a' }]);
    expect(err.code).toBe('SERVER_ERROR');
    expect(err.message).toContain('runner crashed');
    expect(err.details).toMatchObject({ chunksDelivered: 1, midStream: true });
  });

  it('reports truncated JSON as PROTOCOL_ERROR showing the first bytes', async () => {
    const p = await setup((_q, res) => {
      res.writeHead(200, { 'content-type': 'application/x-ndjson' });
      res.end('{"model":"llama3.2","message":{"content":"tru');
    });
    const err = await caught(p.complete({ messages: [{ role: 'user', content: 'x' }] }));
    expect(err.code).toBe('PROTOCOL_ERROR');
    expect(err.message).toContain('{\\"model\\":\\"llama3.2\\"');
  });

  it('reports a clean end without done:true as STREAM_INTERRUPTED', async () => {
    const p = await setup((_q, res) => ndjson(res, [msg('a'), msg('b')]));
    const err = await caught(p.complete({ messages: [{ role: 'user', content: 'x' }] }));
    expect(err.code).toBe('STREAM_INTERRUPTED');
    expect(err.details).toMatchObject({ chunksDelivered: 2 });
  });

  it('refuses a wrong content type as PROTOCOL_ERROR', async () => {
    const p = await setup((_q, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<html>hello</html>');
    });
    const err = await caught(p.complete({ messages: [{ role: 'user', content: 'x' }] }));
    expect(err.code).toBe('PROTOCOL_ERROR');
    expect(err.message).toContain('text/html');
    expect(err.message).toContain('<html>hello');
  });

  it('lists models and reads context length and capabilities from /api/show', async () => {
    const p = await setup((q, res, body) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      if (q.url === '/api/tags')
        res.end(
          JSON.stringify({
            models: [
              {
                name: 'llama3.2:latest',
                size: 2019393189,
                details: { family: 'llama', parameter_size: '3.2B', quantization_level: 'Q4_K_M' },
              },
            ],
          }),
        );
      else
        res.end(
          JSON.stringify({
            details: { family: 'llama' },
            model_info: { 'llama.context_length': 8192 },
            capabilities: ['completion', 'vision'],
            echo: body,
          }),
        );
    });
    expect(await p.listModels()).toEqual([
      { id: 'llama3.2:latest', sizeBytes: 2019393189, family: 'llama', parameterSize: '3.2B', quantization: 'Q4_K_M' },
    ]);
    const info = await p.modelInfo('llama3.2');
    expect(info).toMatchObject({ id: 'llama3.2', contextLength: 8192, capabilities: ['completion', 'vision'] });
    expect(fixture!.requests[1]!.body).toEqual({ model: 'llama3.2' });
    expect(p.capabilities).toMatchObject({ maxContext: 8192, vision: true });
  });

  it('pull yields progress and fails with PULL_FAILED on an error line inside HTTP 200', async () => {
    const p = await setup((_q, res) =>
      ndjson(res, [{ status: 'pulling manifest' }, { error: 'pull model manifest: file does not exist' }]),
    );
    const seen: unknown[] = [];
    const err = await caught(async () => {
      for await (const s of p.pull!('nope')) seen.push(s);
    });
    expect(seen).toEqual([{ status: 'pulling manifest' }]);
    expect(err.code).toBe('PULL_FAILED');
    expect(err.message).toContain('file does not exist');
  });

  it('pull names an error line that carries an object, not [object Object]', async () => {
    const p = await setup((_q, res) => ndjson(res, [{ error: { message: 'disk full' } }]));
    const err = await caught(async () => {
      for await (const _ of p.pull!('nope')) {
        /* drained */
      }
    });
    expect(err.code).toBe('PULL_FAILED');
    expect(err.message).toContain('{"message":"disk full"}');
  });

  it('pull succeeds only on a success line', async () => {
    const p = await setup((_q, res) =>
      ndjson(res, [
        { status: 'pulling manifest' },
        { status: 'pulling 6a07', digest: 'sha256:6a07', total: 10, completed: 10 },
        { status: 'success' },
      ]),
    );
    const seen = await collect(p.pull!('llama3.2'));
    expect(seen.at(-1)).toEqual({ status: 'success' });
    expect(seen[1]).toEqual({ status: 'pulling 6a07', digest: 'sha256:6a07', total: 10, completed: 10 });
    expect(fixture!.requests[0]!.body).toEqual({ model: 'llama3.2', stream: true });
  });

  it('pull is refused in airgapped mode before any request', async () => {
    fixture = await startFixture((_q, res) => ndjson(res, [{ status: 'success' }]));
    provider = createProvider(providerConfig('ollama', 'ollama', fixture.url, 'm'), { mode: 'airgapped' });
    const err = await caught(collect(provider.pull!('llama3.2')));
    expect(err.code).toBe('AIRGAP_VIOLATION');
    expect(err.message).toContain('llama3.2');
    expect(fixture.requests).toHaveLength(0);
  });

  it('health: ready on "Ollama is running", error when something else answers', async () => {
    let body = 'Ollama is running';
    const p = await setup((_q, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end(body);
    });
    expect(await p.health()).toEqual({ ok: true, status: 'ready' });
    body = 'nginx welcome';
    expect(await p.health()).toMatchObject({ ok: false, status: 'error', code: 'PROTOCOL_ERROR' });
    expect(fixture!.requests[0]).toMatchObject({ method: 'GET', url: '/' });
  });
});
