// The request machine's other jobs (machines/request-actors.ts): a raw text completion resumed with the
// text shown appended to its prompt, and an idempotent call made again once its server is back.
import { createActor } from 'xstate';
import { describe, expect, it } from 'vitest';
import { AcodeError } from '../../config/index.js';
import type { ModelProvider, StreamChunk, TextCompletionRequest } from '../../adapters/index.js';
import { runRequest, streamRequest, type ProviderSource, type SpawnRequest } from '../../machines/request-actors.js';
import type { RetryInfo } from '../../machines/request.machine.js';
import { collect, fakeProvider, gone, textOf } from './fixtures.js';

const PIECES = ['The', ' model', ' answers', ' with', ' a', ' short', ' reply.'];
const spawn: SpawnRequest = (logic, input) => createActor(logic, { input });

function pinned(provider: ModelProvider): ProviderSource & { recovered: unknown[] } {
  const recovered: unknown[] = [];
  return {
    recovered,
    select: (exclude) => ({ order: exclude.includes(provider.id) ? [] : [provider.id], refused: [] }),
    acquire: async () => provider,
    async recover(_id, error) {
      recovered.push(error);
      return provider;
    },
  };
}

// A raw completion server: the answer to a prompt ending with the start of the answer is the rest of it.
function textServer(breakAfter: (number | undefined)[]) {
  const asked: TextCompletionRequest[] = [];
  const provider: ModelProvider = {
    ...fakeProvider({ pieces: PIECES, caps: { continueFinalMessage: false } }),
    async *completeText(req): AsyncIterable<StreamChunk> {
      asked.push(req);
      const cut = breakAfter.shift();
      const shown = req.prompt.slice('def f():'.length);
      let at = 0;
      let acc = '';
      while (acc !== shown) acc += PIECES[at++] ?? '';
      let n = 0;
      for (const text of PIECES.slice(at)) {
        if (cut !== undefined && n === cut) throw gone(n);
        n++;
        yield { type: 'text', text };
      }
      yield { type: 'final', finishReason: 'stop', toolCalls: [], model: 'm' };
    },
  };
  return { provider, asked };
}

describe('a text job', () => {
  it('resumes a broken raw completion with the text shown appended to the prompt, whatever the chat capability', async () => {
    const { provider, asked } = textServer([3, 2]);
    const retries: RetryInfo[] = [];
    const chunks = await collect(
      streamRequest(
        pinned(provider),
        {
          mode: 'text',
          request: () => ({ prompt: 'def f():', suffix: '\n', sampling: { maxTokens: 10 } }),
          requireFinal: true,
        },
        {},
        spawn,
        { retry: (r) => retries.push(r) },
      ),
    );
    expect(textOf(chunks)).toBe(PIECES.join(''));
    expect(chunks.some((c) => c.type === 'restarted')).toBe(false);
    expect(retries.map((r) => r.path)).toEqual(['resume', 'resume']);
    expect(asked.map((r) => [r.prompt, r.suffix, r.sampling?.maxTokens])).toEqual([
      ['def f():', '\n', 10],
      ['def f():The model answers', '\n', 7],
      ['def f():The model answers with a', '\n', 5],
    ]);
  });
});

describe('a call job', () => {
  it('is made again on the same provider once a server that went away is back', async () => {
    const provider = fakeProvider({ pieces: PIECES });
    const source = pinned(provider);
    const outcomes: (Error | number[])[] = [gone(), [1, 2]];
    let value: number[] | undefined;
    const out = await runRequest(
      source,
      {
        mode: 'call',
        call: async () => {
          const next = outcomes.shift()!;
          if (next instanceof Error) throw next;
          value = next;
        },
      },
      {},
      spawn,
    );
    expect(value).toEqual([1, 2]);
    expect(out.retries).toEqual([expect.objectContaining({ attempt: 1, path: 'retry' })]);
    expect(source.recovered).toHaveLength(1);
  });

  it('is not made again for a failure that is not the server going away', async () => {
    const source = pinned(fakeProvider({ pieces: PIECES }));
    let calls = 0;
    const failed = await runRequest(
      source,
      {
        mode: 'call',
        call: async () => {
          calls++;
          throw new AcodeError('BAD_REQUEST', 'fake cannot embed.', 'Route embeddings elsewhere.');
        },
      },
      {},
      spawn,
    ).catch((e: unknown) => e);
    expect(failed).toMatchObject({ code: 'BAD_REQUEST', message: 'fake cannot embed.' });
    expect(calls).toBe(1);
    expect(source.recovered).toHaveLength(0);
  });

  it('gives up with a typed error after the retry budget', async () => {
    const source = pinned(fakeProvider({ pieces: PIECES }));
    const failed = await runRequest(
      source,
      {
        mode: 'call',
        call: async () => {
          throw gone();
        },
      },
      { maxRetries: 2 },
      spawn,
    ).catch((e: unknown) => e);
    expect(failed).toMatchObject({ code: 'STREAM_INTERRUPTED' });
    expect((failed as Error).message).toMatch(/gave up after 2 retries/);
    expect(source.recovered).toHaveLength(2);
  });
});
