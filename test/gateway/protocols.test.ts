// The gateway's protocol pieces: requests read from both wires (with BAD_REQUEST naming the field at
// fault), frames written back, and the rule that keeps a restarted answer from repeating itself.
import { describe, expect, it } from 'vitest';
import { readOpenAiChat, OpenAiChatStream } from '../../gateway/openai-protocol.js';
import { readOllamaChat, readOllamaGenerate, OllamaStream } from '../../gateway/ollama-protocol.js';
import { ollamaText } from '../../gateway/completions.js';
import { httpStatusOf, unsentPart } from '../../gateway/index.js';
import { AcodeError } from '../../config/index.js';

describe('OpenAI requests', () => {
  it('reads messages, tools, sampling, response_format and include_usage', () => {
    const call = readOpenAiChat({
      model: 'vllm/m',
      stream: true,
      stream_options: { include_usage: true },
      temperature: 0,
      max_tokens: 5,
      stop: 'x',
      messages: [
        { role: 'developer', content: 'be brief' },
        { role: 'user', content: [{ type: 'text', text: 'hi' }] },
        {
          role: 'assistant',
          content: null,
          tool_calls: [{ id: 'c1', type: 'function', function: { name: 'f', arguments: '{"a":1}' } }],
        },
        { role: 'tool', tool_call_id: 'c1', content: '42' },
      ],
      tools: [{ type: 'function', function: { name: 'f', parameters: { type: 'object' } } }],
      response_format: { type: 'json_schema', json_schema: { name: 's', schema: { type: 'object' } } },
    });
    expect(call).toMatchObject({ model: 'vllm/m', stream: true, includeUsage: true });
    expect(call.request.messages.map((m) => m.role)).toEqual(['system', 'user', 'assistant', 'tool']);
    expect(call.request.messages[2]!.toolCalls).toEqual([{ id: 'c1', name: 'f', arguments: { a: 1 } }]);
    expect(call.request.messages[3]!.toolCallId).toBe('c1');
    expect(call.request.sampling).toEqual({ temperature: 0, maxTokens: 5, stop: ['x'] });
    expect(call.request.schema).toEqual({ type: 'object' });
    expect(call.request.tools).toHaveLength(1);
  });

  it.each([
    [{ messages: [{ role: 'user', content: 'x' }] }, /no "model"/],
    [{ model: 'm', messages: [] }, /"messages" is missing or empty/],
    [{ model: 'm', messages: [{ role: 'robot', content: 'x' }] }, /messages\[0\]\.role "robot"/],
    [{ model: 'm', messages: [{ role: 'user', content: 'x' }], temperature: 'hot' }, /"temperature" is not a number/],
    ['not an object', /not a JSON object/],
  ])('refuses %j with a 400 naming the field', (body, message) => {
    let error: unknown;
    try {
      readOpenAiChat(body);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(AcodeError);
    expect((error as AcodeError).message).toMatch(message);
    expect(httpStatusOf(error)).toBe(400);
  });

  it('streams text with the role first, tool calls whole, usage and [DONE]', () => {
    const s = new OpenAiChatStream('m', true);
    const frames = [
      s.chunk({ type: 'text', text: 'Hel' }),
      s.chunk({ type: 'tool_call_delta', index: 0, name: 'f', argumentsDelta: '{' }),
      s.chunk({
        type: 'final',
        finishReason: 'tool_calls',
        toolCalls: [{ id: 'c', name: 'f', arguments: { a: 1 } }],
        model: 'm',
        usage: { promptTokens: 3, completionTokens: 2, totalTokens: 5 },
      }),
    ].join('');
    const events = frames
      .split('\n\n')
      .filter(Boolean)
      .map((f) => f.replace(/^data: /, ''));
    expect(events.at(-1)).toBe('[DONE]');
    const parsed = events.slice(0, -1).map(
      (e) =>
        JSON.parse(e) as {
          choices: Array<{ delta: Record<string, unknown>; finish_reason: string | null }>;
          usage?: unknown;
        },
    );
    expect(parsed[0]!.choices[0]!.delta).toEqual({ role: 'assistant', content: 'Hel' });
    expect(parsed[1]!.choices[0]!.delta.tool_calls).toEqual([
      { index: 0, id: 'c', type: 'function', function: { name: 'f', arguments: '{"a":1}' } },
    ]);
    expect(parsed[2]!.choices[0]!.finish_reason).toBe('tool_calls');
    expect(parsed[3]).toMatchObject({
      choices: [],
      usage: { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 },
    });
  });
});

describe('Ollama requests', () => {
  it('reads /api/chat with options, format, keep_alive, and stream defaulting to true', () => {
    const call = readOllamaChat({
      model: 'x',
      messages: [{ role: 'user', content: 'hi' }],
      options: { temperature: 0, num_predict: 4, num_ctx: 8192 },
      format: 'json',
      keep_alive: '5m',
    });
    expect(call).toMatchObject({ stream: true, request: { contextSize: 8192, keepAlive: '5m' } });
    expect(call.request.sampling).toEqual({ temperature: 0, maxTokens: 4 });
    expect(call.request.schema).toEqual({ type: 'object' });
  });

  it('reads /api/generate: system and prompt become a chat; a suffix asks for infill', () => {
    const call = readOllamaGenerate({ model: 'x', prompt: 'def f(', suffix: '):', system: 'code', stream: false });
    expect(call.request.messages).toEqual([
      { role: 'system', content: 'code' },
      { role: 'user', content: 'def f(' },
    ]);
    expect(call).toMatchObject({ stream: false, suffix: '):' });
  });

  it('reads /api/generate raw: true as a raw prompt; with system, template or context a typed 400 as Ollama answers', () => {
    const call = readOllamaGenerate({ model: 'x', prompt: '<|im_start|>user\nhi', raw: true, system: '' });
    expect(call).toMatchObject({
      raw: true,
      request: { messages: [{ role: 'user', content: '<|im_start|>user\nhi' }] },
    });
    expect(ollamaText(call)).toEqual({ prompt: '<|im_start|>user\nhi' });
    for (const extra of [{ system: 'terse' }, { template: '{{ .Prompt }}' }, { context: [1, 2] }])
      expect(() => readOllamaGenerate({ model: 'x', prompt: 'p', raw: true, ...extra })).toThrow(
        expect.objectContaining({ code: 'BAD_REQUEST', message: expect.stringMatching(/raw mode does not support/) }),
      );
  });

  it('writes NDJSON ending with done, done_reason and eval counts; errors as an {"error"} line', () => {
    const s = new OllamaStream('x', 'chat');
    const lines = (
      s.chunk({ type: 'text', text: 'hi' }) +
      s.chunk({
        type: 'final',
        finishReason: 'length',
        toolCalls: [],
        model: 'x',
        usage: { promptTokens: 2, completionTokens: 1, totalTokens: 3 },
      })
    )
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines[0]).toMatchObject({ model: 'x', message: { role: 'assistant', content: 'hi' }, done: false });
    expect(lines[1]).toMatchObject({ done: true, done_reason: 'length', prompt_eval_count: 2, eval_count: 1 });
    const error = JSON.parse(s.error(new AcodeError('CRASH_LOOP', 'vllm keeps crashing.', 'Read its log.'))) as Record<
      string,
      unknown
    >;
    expect(error).toMatchObject({ error: 'vllm keeps crashing. Read its log.', code: 'CRASH_LOOP' });
  });
});

describe('a restarted answer', () => {
  it('sends only what goes past the text the client already has, and refuses a different answer', () => {
    expect(unsentPart('Hello wor', 'Hel')).toBe('');
    expect(unsentPart('Hello wor', 'Hello world')).toBe('ld');
    expect(unsentPart('Hello wor', 'Hello wor')).toBe('');
    expect(unsentPart('Hello wor', 'Help')).toBeUndefined();
    expect(unsentPart('Hello wor', 'Hello, world')).toBeUndefined();
  });
});
