// Chat through the adapter against each server: every chunk type, tool calls, structured output,
// continuation, model listing, and the "server said no" errors.
import { afterEach, describe, expect, it } from 'vitest';
import type { ChatMessage, ChatResponse, StreamChunk } from '../../adapters/index.js';
import { AcodeError } from '../../config/index.js';
import { expectedChat } from '../servers/harness.js';
import { caught, collect } from './fixture-server.js';
import { standInIt, start, targets, type Running } from './integration-targets.js';

const user = (content: string): ChatMessage[] => [{ role: 'user', content }];
/** Every generation is bounded and deterministic: a real model (random weights included) may never stop by itself. */
const MAX_TOKENS = 16;
const bounded = { maxTokens: MAX_TOKENS, temperature: 0 };
const weatherTool = {
  name: 'get_weather',
  description: 'Weather in a city',
  parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
};

/** The served model's context length in tokens (as the server reports it). */
async function contextOf(run: Running): Promise<number> {
  const info = await run.provider.modelInfo(run.model);
  if (!info.contextLength) throw new Error(`${run.url} does not report the context length of ${run.model}`);
  return info.contextLength;
}

describe.each(targets())('$name', (t) => {
  let run: Running | undefined;
  afterEach(async () => {
    await run?.stop();
    run = undefined;
  });

  it('is healthy and lists its model', async () => {
    run = await start(t);
    expect(await run.provider.health()).toEqual({ ok: true, status: 'ready' });
    const models = await run.provider.listModels();
    expect(models.map((m) => m.id)).toContain(run.model);
    expect((await run.provider.modelInfo(run.model)).id).toBe(run.model);
  });

  it('streams text chunks, then one final chunk with usage', async () => {
    run = await start(t);
    const messages = user('Say something short.');
    const chunks = await collect(run.provider.stream({ messages, sampling: { seed: 7, ...bounded } }));
    const final = chunks.at(-1) as Extract<StreamChunk, { type: 'final' }>;
    expect(final.type).toBe('final');
    expect(chunks.slice(0, -1).every((c) => c.type === 'text')).toBe(true);
    const text = chunks.flatMap((c) => (c.type === 'text' ? [c.text] : [])).join('');
    expect(final.usage?.completionTokens).toBeGreaterThan(0);
    expect(final.usage?.completionTokens).toBeLessThanOrEqual(MAX_TOKENS);
    expect(final.model.length).toBeGreaterThan(0);
    if (t.standIn) {
      const expected = expectedChat({ model: run.model, messages, seed: 7, maxTokens: MAX_TOKENS });
      expect(final.finishReason).toBe(expected.finishReason);
      expect(text).toBe(expected.text);
      expect(chunks.length - 1).toBe(expected.pieces.length);
    } else {
      expect(['stop', 'length']).toContain(final.finishReason);
    }
  });

  it('stops at maxTokens with finish reason length', async () => {
    run = await start(t);
    const res = await run.provider.complete({
      messages: user('Count to one hundred.'),
      sampling: { ...bounded, maxTokens: 3 },
    });
    expect(res.finishReason).toBe('length');
    expect(res.usage?.completionTokens).toBe(3);
  });

  standInIt(t)('assembles a tool call from the stream into one ToolCall', async () => {
    run = await start(t);
    const chunks = await collect(
      run.provider.stream({ messages: user('What is the weather in Tokyo? Use get_weather.'), tools: [weatherTool] }),
    );
    const deltas = chunks.filter((c) => c.type === 'tool_call_delta');
    expect(deltas.length).toBeGreaterThan(0);
    const final = chunks.at(-1) as Extract<StreamChunk, { type: 'final' }>;
    expect(final.finishReason).toBe('tool_calls');
    expect(final.toolCalls).toHaveLength(1);
    expect(final.toolCalls[0]!.name).toBe('get_weather');
    expect(typeof final.toolCalls[0]!.arguments.city).toBe('string');
    expect(final.toolCalls[0]!.id.length).toBeGreaterThan(0);
  });

  it('returns structured output validated against the schema', async () => {
    run = await start(t);
    const schema = {
      type: 'object',
      properties: { age: { type: 'integer' }, name: { type: 'string' } },
      required: ['age', 'name'],
    };
    const answer = await run.provider
      .complete({ messages: user('Invent a person; answer in JSON.'), schema, sampling: { temperature: 0 } })
      .catch((e: unknown) => e);
    if (!t.standIn && answer instanceof AcodeError && answer.code === 'BAD_REQUEST') {
      // Some model files cannot build a grammar sampler (llama-server: 400 "Failed to initialize samplers"):
      // that must surface as the server's 400 with its message, not a hang or a crash.
      expect(answer.details).toMatchObject({ status: 400 });
      return;
    }
    if (answer instanceof Error) throw answer;
    const res = answer as ChatResponse;
    expect(res.json).toMatchObject({ age: expect.any(Number), name: expect.any(String) });
    expect(Number.isInteger((res.json as { age: number }).age)).toBe(true);
  });

  it('continues a trailing assistant message where the server can, refuses where it cannot', async () => {
    run = await start(t);
    const messages = user('Tell me a story.');
    if (!run.provider.capabilities.continueFinalMessage) {
      expect(t.kind).toBe('llamacpp');
      const err = await caught(
        run.provider.complete({
          messages: [...messages, { role: 'assistant', content: 'Once' }],
          continueFinalMessage: true,
        }),
      );
      expect(err.code).toBe('BAD_REQUEST');
      return;
    }
    const sampling = t.standIn ? { seed: 3 } : { seed: 3, ...bounded };
    const full = await run.provider.complete({ messages, sampling });
    const cut = Math.floor(full.text.length / 2);
    const rest = await run.provider.complete({
      messages: [...messages, { role: 'assistant', content: full.text.slice(0, cut) }],
      continueFinalMessage: true,
      sampling,
    });
    if (t.standIn) expect(full.text.slice(0, cut) + rest.text).toBe(full.text);
    else expect(rest.text.length).toBeGreaterThan(0);
  });

  it('an unknown model is MODEL_NOT_FOUND (single-model llama-server ignores the name)', async () => {
    run = await start(t);
    const req = { model: 'no-such-model:7b', messages: user('hi'), sampling: bounded };
    if (t.kind === 'llamacpp') {
      expect((await run.provider.complete(req)).text.length).toBeGreaterThan(0);
      return;
    }
    const err = await caught(run.provider.complete(req));
    expect(err.code).toBe('MODEL_NOT_FOUND');
    expect(err.message).toContain('no-such-model');
    expect(err.details).toMatchObject({ status: 404 });
  });

  it('a request the server rejects is BAD_REQUEST with its message', async () => {
    run = await start(t);
    // Ollama: an empty model name (400 "model is required"). OpenAI-compatible stand-ins: no messages
    // (400; a real llama-server answers that one). A real server: a prompt longer than its context.
    const err =
      t.type === 'ollama'
        ? await caught(run.provider.complete({ model: '', messages: user('hi') }))
        : t.standIn
          ? await caught(run.provider.complete({ messages: [] }))
          : await caught(
              run.provider.complete({
                messages: user('hello '.repeat((await contextOf(run)) + 64)),
                sampling: bounded,
              }),
            );
    expect(err.code).toBe('BAD_REQUEST');
    expect(err.details).toMatchObject({ status: 400 });
    expect(String(err.details!.serverMessage).length).toBeGreaterThan(0);
  });
});
