// The pieces behind the completion and embedding routes: requests read with BAD_REQUEST naming the field
// at fault, text_completion frames, and llama-server's native /infill stream decoded into chunks (its
// stop_type, its counts, an error event, a stream cut before `stop: true`).
import { describe, expect, it } from 'vitest';
import { OpenAiTextStream, readOpenAiCompletion } from '../../gateway/completions.js';
import { embeddingInputs } from '../../gateway/embeddings.js';
import { LlamaInfillDecoder } from '../../adapters/llama-infill.js';
import { AcodeError, isAcodeError } from '../../config/index.js';
import type { StreamChunk } from '../../adapters/index.js';

const ctx = { provider: 'llamacpp', url: 'http://127.0.0.1:1/infill' };
const bytes = (text: string): Uint8Array => Buffer.from(text, 'utf8');
const event = (value: unknown): string => `data: ${JSON.stringify(value)}\n\n`;

describe('completion and embedding requests', () => {
  it('reads prompt, suffix, sampling and include_usage', () => {
    expect(
      readOpenAiCompletion({
        model: 'vllm',
        prompt: ['p'],
        suffix: 's',
        max_tokens: 4,
        temperature: 0,
        stream: true,
        stream_options: { include_usage: true },
      }),
    ).toEqual({
      model: 'vllm',
      request: { prompt: 'p', suffix: 's', sampling: { maxTokens: 4, temperature: 0 } },
      stream: true,
      includeUsage: true,
    });
  });

  it.each([
    [{ prompt: 'p' }, /no "model"/],
    [{ model: 'm' }, /"prompt" is missing/],
    [{ model: 'm', prompt: [1, 2] }, /"prompt" is a list of token ids/],
    [{ model: 'm', prompt: ['a', 'b'] }, /several prompts/],
    [{ model: 'm', prompt: 'p', suffix: 3 }, /"suffix" is not a string/],
  ])('refuses %j with a 400 naming the field', (body, message) => {
    expect(() => readOpenAiCompletion(body)).toThrow(message);
  });

  it('embedding inputs: a string or strings; token ids and empty lists are a 400', () => {
    expect(embeddingInputs('a', '/v1/embeddings')).toEqual(['a']);
    expect(embeddingInputs(['a', 'b'], '/v1/embeddings')).toEqual(['a', 'b']);
    expect(() => embeddingInputs([1, 2], '/v1/embeddings')).toThrow(/list of token ids/);
    expect(() => embeddingInputs([[1], [2]], '/v1/embeddings')).toThrow(/list of token ids/);
    expect(() => embeddingInputs([], '/api/embed')).toThrow(/\/api\/embed: "input" is missing, empty/);
  });
});

describe('text_completion frames', () => {
  it('streams text chunks, a finish chunk, usage when asked, then [DONE]', () => {
    const s = new OpenAiTextStream('m', true);
    const frames =
      s.chunk({ type: 'text', text: 'ab' }) +
      s.chunk({
        type: 'final',
        finishReason: 'length',
        toolCalls: [],
        model: 'm',
        usage: { promptTokens: 1, completionTokens: 2, totalTokens: 3 },
      });
    const events = frames
      .split('\n\n')
      .filter(Boolean)
      .map((f) => f.replace(/^data: /, ''));
    expect(events.at(-1)).toBe('[DONE]');
    const parsed = events.slice(0, -1).map(
      (e) =>
        JSON.parse(e) as {
          object: string;
          choices: Array<{ text: string; finish_reason: string | null }>;
          usage?: unknown;
        },
    );
    expect(parsed.map((p) => p.object)).toEqual(['text_completion', 'text_completion', 'text_completion']);
    expect(parsed[0]!.choices[0]).toMatchObject({ text: 'ab', finish_reason: null });
    expect(parsed[1]!.choices[0]).toMatchObject({ text: '', finish_reason: 'length' });
    expect(parsed[2]).toMatchObject({
      choices: [],
      usage: { prompt_tokens: 1, completion_tokens: 2, total_tokens: 3 },
    });
    expect(s.progress('loading\nmodel')).toBe(': loading model\n\n');
  });
});

describe('llama-server /infill stream', () => {
  function decode(...parts: string[]): { chunks: StreamChunk[]; failure: Error | undefined } {
    const d = new LlamaInfillDecoder(ctx, 'fallback-model');
    const chunks = parts.flatMap((p) => d.push(bytes(p)));
    chunks.push(...d.end());
    return { chunks, failure: d.failure };
  }

  it('content events become text; stop: true ends it with the finish reason and counts', () => {
    const { chunks, failure } = decode(
      event({ content: 'int', stop: false }),
      event({ content: ' x', stop: false }).slice(0, 9),
      event({ content: ' x', stop: false }).slice(9),
      event({ content: '', stop: true, stop_type: 'limit', tokens_predicted: 2, tokens_evaluated: 7, model: 'coder' }),
    );
    expect(failure).toBeUndefined();
    expect(chunks).toEqual([
      { type: 'text', text: 'int' },
      { type: 'text', text: ' x' },
      {
        type: 'final',
        finishReason: 'length',
        toolCalls: [],
        model: 'coder',
        usage: { promptTokens: 7, completionTokens: 2, totalTokens: 9 },
      },
    ]);
    expect(decode(event({ content: '', stop: true, stop_type: 'eos' })).chunks.at(-1)).toMatchObject({
      finishReason: 'stop',
      model: 'fallback-model',
    });
  });

  it('an error event is a typed failure after the text before it; a stream cut before stop is STREAM_INTERRUPTED', () => {
    const failed = decode(
      event({ content: 'a', stop: false }),
      event({ error: { code: 500, message: 'Context size has been exceeded', type: 'server_error' } }),
    );
    expect(failed.chunks).toEqual([{ type: 'text', text: 'a' }]);
    expect(isAcodeError(failed.failure) && failed.failure.code).toBe('SERVER_ERROR');
    expect(failed.failure?.message).toMatch(/Context size has been exceeded/);
    const cut = decode(event({ content: 'a', stop: false }));
    expect(cut.failure).toBeInstanceOf(AcodeError);
    expect((cut.failure as AcodeError).code).toBe('STREAM_INTERRUPTED');
  });
});
