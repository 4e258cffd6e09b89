import { describe, expect, it } from 'vitest';
import { AcodeError } from '../../config/index.js';
import type { ModelProvider } from '../../adapters/index.js';
import { createActor } from 'xstate';
import {
  continuationRequest,
  resilientProvider,
  type RecoverableService,
  type SpawnRequest,
} from '../../machines/request-actors.js';
import type { RetryInfo } from '../../machines/request.machine.js';
import { collect, fakeProvider, gone, refused, textOf } from './fixtures.js';

const PIECES = ['The', ' model', ' answers', ' with', ' a', ' short', ' reply.'];
const FULL = PIECES.join('');
const REQ = { messages: [{ role: 'user' as const, content: 'hi' }] };

function fakeService(
  provider: ModelProvider,
  ensureError?: Error,
): RecoverableService & { failed: unknown[]; ensured: number } {
  const svc = {
    failed: [] as unknown[],
    ensured: 0,
    requestFailed(error?: unknown) {
      svc.failed.push(error);
    },
    async ensureHealthy() {
      svc.ensured++;
      if (ensureError) throw ensureError;
      return provider;
    },
  };
  return svc;
}

describe('resilientProvider stream', () => {
  it('resumes after a break where the server continues a trailing assistant message', async () => {
    const fake = fakeProvider({ pieces: PIECES, failures: [3] });
    const svc = fakeService(fake);
    const retries: RetryInfo[] = [];
    const chunks = await collect(resilientProvider(svc, fake, { onRetry: (r) => retries.push(r) }).stream(REQ));
    expect(textOf(chunks)).toBe(FULL);
    expect(chunks.some((c) => c.type === 'restarted')).toBe(false);
    expect(retries).toEqual([expect.objectContaining({ attempt: 1, path: 'resume', code: 'STREAM_INTERRUPTED' })]);
    expect(svc.failed).toHaveLength(1);
    const second = fake.requests[1];
    expect(second?.continueFinalMessage).toBe(true);
    expect(second?.messages.at(-1)).toEqual({ role: 'assistant', content: 'The model answers' });
  });

  // The fake's prompt is 5 tokens plus what a request resends; a text chunk is a token.
  it('counts every request of a resumed answer: the resent text as prompt, all the text as completion', async () => {
    const fake = fakeProvider({ pieces: PIECES, failures: [3] });
    const chunks = await collect(resilientProvider(fakeService(fake), fake).stream(REQ));
    // Broken: prompt 5, 3 delivered. Resumed: prompt 5 + 3 resent, the other 4 delivered.
    expect(chunks.at(-1)).toMatchObject({
      type: 'final',
      usage: { promptTokens: 5 + (5 + 3), completionTokens: 3 + 4, totalTokens: 20 },
    });
  });

  it('counts every request of an answer resumed twice', async () => {
    const fake = fakeProvider({ pieces: PIECES, failures: [3, 2] });
    const chunks = await collect(resilientProvider(fakeService(fake), fake).stream(REQ));
    expect(textOf(chunks)).toBe(FULL);
    // Prompts 5, 5 + 3 and 5 + 5; deliveries 3, 2 and 2.
    expect(chunks.at(-1)).toMatchObject({
      usage: { promptTokens: 5 + 8 + 10, completionTokens: 3 + 2 + 2, totalTokens: 30 },
    });
  });

  it('counts the broken request of a restarted answer: the same prompt, the text shown before the restart', async () => {
    const fake = fakeProvider({ pieces: PIECES, failures: [2], caps: { continueFinalMessage: false } });
    const chunks = await collect(resilientProvider(fakeService(fake), fake).stream(REQ));
    expect(chunks.at(-1)).toMatchObject({
      usage: { promptTokens: 5 + 5, completionTokens: 2 + PIECES.length, totalTokens: 19 },
    });
  });

  it('does not count a request that broke before any text', async () => {
    const fake = fakeProvider({ pieces: PIECES, failures: [refused()] });
    const chunks = await collect(resilientProvider(fakeService(fake), fake).stream(REQ));
    expect(chunks.at(-1)).toMatchObject({
      usage: { promptTokens: 5, completionTokens: PIECES.length, totalTokens: 5 + PIECES.length },
    });
  });

  it('reports the usage of an uninterrupted answer unchanged', async () => {
    const fake = fakeProvider({ pieces: PIECES });
    const chunks = await collect(resilientProvider(fakeService(fake), fake).stream(REQ));
    expect(chunks.at(-1)).toMatchObject({ usage: { promptTokens: 5, completionTokens: PIECES.length } });
  });

  it('restarts with a typed restarted chunk where the server cannot continue', async () => {
    const fake = fakeProvider({ pieces: PIECES, failures: [2], caps: { continueFinalMessage: false } });
    const retries: RetryInfo[] = [];
    const chunks = await collect(
      resilientProvider(fakeService(fake), fake, { onRetry: (r) => retries.push(r) }).stream(REQ),
    );
    const restartAt = chunks.findIndex((c) => c.type === 'restarted');
    expect(restartAt).toBe(2);
    expect(chunks[restartAt]).toMatchObject({ type: 'restarted', attempt: 1 });
    expect(textOf(chunks)).toBe(FULL);
    expect(fake.requests[1]).toEqual(REQ);
    expect(retries[0]?.path).toBe('restart');
  });

  it('retries a stream that broke before any text without a restarted chunk', async () => {
    const fake = fakeProvider({ pieces: PIECES, failures: [refused()] });
    const chunks = await collect(resilientProvider(fakeService(fake), fake).stream(REQ));
    expect(chunks.filter((c) => c.type === 'restarted')).toEqual([]);
    expect(textOf(chunks)).toBe(FULL);
    expect(fake.requests[1]).toEqual(REQ);
  });

  it('gives up after three retries and throws the last server-gone error', async () => {
    const fake = fakeProvider({ pieces: PIECES, failures: [1, 0, 0, 0, 0] });
    const svc = fakeService(fake);
    await expect(collect(resilientProvider(svc, fake).stream(REQ))).rejects.toMatchObject({
      code: 'STREAM_INTERRUPTED',
    });
    expect(fake.requests).toHaveLength(4);
    expect(svc.failed).toHaveLength(3);
  });

  it('the error after the last retry says acode gave up, and its hint promises no retry', async () => {
    const fake = fakeProvider({ id: 'vllm', pieces: PIECES, failures: [1, 0, 0, 0] });
    const error = await collect(resilientProvider(fakeService(fake), fake).stream(REQ)).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toMatchObject({
      code: 'STREAM_INTERRUPTED',
      message: expect.stringMatching(/ended early after 0 chunk\(s\) acode gave up after 3 retries\.$/),
    });
    const hint = (error as AcodeError).hint;
    expect(hint).not.toMatch(/retr/i);
    expect(hint).toBe(
      'The server went away or could not be reached 4 times during this request; see why with `acode providers status vllm` and its log, then ask again.',
    );
  });

  it('never retries an error the server meant', async () => {
    const notFound = new AcodeError('MODEL_NOT_FOUND', "model 'x' not found", 'pull it');
    const fake = fakeProvider({ pieces: PIECES, failures: [notFound] });
    const svc = fakeService(fake);
    await expect(collect(resilientProvider(svc, fake).stream(REQ))).rejects.toBe(notFound);
    expect(fake.requests).toHaveLength(1);
    expect(svc.failed).toHaveLength(0);
  });

  it('passes on the service error when the service cannot recover', async () => {
    const fake = fakeProvider({ pieces: PIECES, failures: [2] });
    const crashLoop = new AcodeError('CRASH_LOOP', 'crash-looping: 3 exits in 60 s', 'check the log');
    await expect(collect(resilientProvider(fakeService(fake, crashLoop), fake).stream(REQ))).rejects.toBe(crashLoop);
  });

  it('asks a continuation only for the tokens left of a max-tokens limit', async () => {
    const fake = fakeProvider({ pieces: PIECES, failures: [3] });
    await collect(
      resilientProvider(fakeService(fake), fake).stream({ ...REQ, sampling: { maxTokens: 6, temperature: 0.2 } }),
    );
    expect(fake.requests[1]?.sampling).toEqual({ maxTokens: 3, temperature: 0.2 });
    expect(continuationRequest({ ...REQ, sampling: { maxTokens: 2 } }, 'The model', 2).sampling).toEqual({
      maxTokens: 1,
    });
  });

  it('appends to a trailing assistant message the caller asked to continue', () => {
    const req = {
      messages: [
        { role: 'user' as const, content: 'q' },
        { role: 'assistant' as const, content: 'Sure:' },
      ],
      continueFinalMessage: true,
    };
    expect(continuationRequest(req, ' one').messages).toEqual([
      { role: 'user', content: 'q' },
      { role: 'assistant', content: 'Sure: one' },
    ]);
  });
});

// The request machine is provided once: each request pays for an actor, not for a machine built anew.
describe('request machines of many requests', () => {
  it('every request starts an actor of the same machine', async () => {
    const fake = fakeProvider({ pieces: PIECES });
    const machines = new Set<unknown>();
    const spawn: SpawnRequest = (logic, input) => {
      machines.add(logic);
      return createActor(logic, { input });
    };
    const provider = resilientProvider(fakeService(fake), fake, { spawn });
    await collect(provider.stream(REQ));
    await collect(provider.stream(REQ));
    await provider.complete(REQ);
    expect(machines.size).toBe(1);
  });

  it('makes no AbortController per invoked actor (the request has its own signal)', async () => {
    const fake = fakeProvider({ pieces: PIECES });
    const provider = resilientProvider(fakeService(fake), fake);
    await collect(provider.stream(REQ)); // warm
    const Original = globalThis.AbortController;
    let made = 0;
    globalThis.AbortController = class extends Original {
      constructor() {
        super();
        made++;
      }
    };
    try {
      await collect(provider.stream(REQ));
    } finally {
      globalThis.AbortController = Original;
    }
    expect(made).toBe(0);
  });

  it('keeps what each of two concurrent broken answers showed apart', async () => {
    const a = fakeProvider({ id: 'a', pieces: PIECES, failures: [3] });
    const b = fakeProvider({ id: 'b', pieces: ['Another', ' answer', ' entirely', '.'], failures: [1] });
    const [ca, cb] = await Promise.all([
      collect(resilientProvider(fakeService(a), a).stream(REQ)),
      collect(resilientProvider(fakeService(b), b).stream(REQ)),
    ]);
    expect(textOf(ca)).toBe(FULL);
    expect(textOf(cb)).toBe('Another answer entirely.');
    expect(a.requests[1]?.messages.at(-1)).toEqual({ role: 'assistant', content: 'The model answers' });
    expect(b.requests[1]?.messages.at(-1)).toEqual({ role: 'assistant', content: 'Another' });
  });
});

describe('resilientProvider complete', () => {
  it('retries connection errors and returns the answer', async () => {
    const fake = fakeProvider({ pieces: PIECES, failures: [0, 0] });
    const svc = fakeService(fake);
    const res = await resilientProvider(svc, fake).complete(REQ);
    expect(res.text).toBe(FULL);
    expect(svc.failed).toHaveLength(2);
    expect(svc.ensured).toBe(2);
  });

  it('does not retry a bad request', async () => {
    const bad = new AcodeError('BAD_REQUEST', 'rejected (400)', 'change it');
    const fake = fakeProvider({ pieces: PIECES, failures: [bad] });
    await expect(resilientProvider(fakeService(fake), fake).complete(REQ)).rejects.toBe(bad);
    expect(fake.requests).toHaveLength(1);
  });

  it('gives up after three retries, with a hint that promises no retry', async () => {
    const fake = fakeProvider({ pieces: PIECES, failures: [gone(), gone(), gone(), gone()] });
    await expect(resilientProvider(fakeService(fake), fake).complete(REQ)).rejects.toMatchObject({
      code: 'STREAM_INTERRUPTED',
      hint: expect.stringMatching(/^The server went away or could not be reached 4 times/),
    });
    expect(fake.requests).toHaveLength(4);
  });
});
