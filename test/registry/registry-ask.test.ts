import { afterEach, describe, expect, it } from 'vitest';
import { AcodeError, type AcodeConfig } from '../../config/index.js';
import type { ModelProvider } from '../../adapters/index.js';
import { createRegistry, type Registry } from '../../machines/registry.js';
import { answer } from '../../machines/request.js';
import { modelChoice } from '../../machines/model-choice.js';
import { config, fakeProvider, refused } from './fixtures.js';
import { fakeServiceLogic, type FakeScript } from './fake-service.js';

const REQ = { messages: [{ role: 'user' as const, content: 'hi' }] };
let registries: Registry[] = [];
afterEach(async () => {
  await Promise.all(registries.map((r) => r.dispose()));
  registries = [];
});

function make(cfg: AcodeConfig, adapters: Record<string, ModelProvider>, outcomes: FakeScript['outcomes'] = {}) {
  const script: FakeScript = { outcomes, started: [], stopped: [] };
  const registry = createRegistry({
    config: cfg,
    stateDir: '/nonexistent',
    serviceLogic: fakeServiceLogic(script),
    createAdapter: (pc) => adapters[pc.id] as ModelProvider,
  });
  registries.push(registry);
  return { registry, script };
}

const cfg = () => config(['vllm', 'ollama'], { active: 'vllm', fallback: ['ollama'] });

describe('answer', () => {
  it('streams the text, names the provider and counts retries', async () => {
    const vllm = fakeProvider({ id: 'vllm', pieces: ['a', 'b', 'c'], failures: [1] });
    const { registry } = make(cfg(), { vllm, ollama: fakeProvider({ id: 'ollama', pieces: ['x'] }) });
    const seen: string[] = [];
    const a = await answer(registry, REQ, { onText: (t) => seen.push(t) });
    expect(a).toMatchObject({ text: 'abc', provider: 'vllm', fallbacks: [] });
    expect(a.retries).toHaveLength(1);
    expect(seen.join('')).toBe('abc');
    expect(a.timings.totalMs).toBeGreaterThanOrEqual(a.timings.readyMs);
  });

  it('moves to the next provider when the chosen one cannot start, and says why', async () => {
    const { registry } = make(
      cfg(),
      { vllm: fakeProvider({ id: 'vllm', pieces: ['no'] }), ollama: fakeProvider({ id: 'ollama', pieces: ['yes'] }) },
      {
        vllm: {
          kind: 'fail',
          error: { code: 'START_FAILED', message: 'vllm exited with code 1 while starting.', hint: 'read its log' },
        },
      },
    );
    const told: string[] = [];
    const a = await answer(registry, REQ, { onFallback: (f, next) => told.push(`${f.id}>${next}`) });
    expect(a.provider).toBe('ollama');
    expect(a.text).toBe('yes');
    expect(a.fallbacks).toEqual([expect.objectContaining({ id: 'vllm', code: 'START_FAILED' })]);
    expect(told).toEqual(['vllm>ollama']);
  });

  it('moves on when every retry of a request fails before any text was shown', async () => {
    const vllm = fakeProvider({ id: 'vllm', pieces: ['no'], failures: [refused(), refused(), refused(), refused()] });
    const { registry } = make(cfg(), { vllm, ollama: fakeProvider({ id: 'ollama', pieces: ['yes'] }) });
    const a = await answer(registry, REQ);
    expect(a).toMatchObject({
      provider: 'ollama',
      text: 'yes',
      fallbacks: [expect.objectContaining({ id: 'vllm', code: 'CONNECTION_REFUSED' })],
    });
    expect(vllm.requests).toHaveLength(4);
  });

  it('never splices two providers: an error after text reached the user is thrown', async () => {
    const broken = new AcodeError('SERVER_ERROR', 'vllm reported an error mid-stream', 'check its log');
    const vllm = fakeProvider({ id: 'vllm', pieces: ['a', 'b'] });
    const failing: ModelProvider = {
      ...vllm,
      async *stream(req, o) {
        for await (const c of vllm.stream(req, o)) {
          yield c;
          throw broken;
        }
      },
    };
    const ollama = fakeProvider({ id: 'ollama', pieces: ['x'] });
    const { registry } = make(cfg(), { vllm: failing, ollama });
    await expect(answer(registry, REQ)).rejects.toBe(broken);
    expect(ollama.requests).toHaveLength(0);
  });

  it('completes in one call when not streaming', async () => {
    const { registry } = make(cfg(), {
      vllm: fakeProvider({ id: 'vllm', pieces: ['{"a":', '1}'] }),
      ollama: fakeProvider({ id: 'ollama', pieces: [] }),
    });
    const a = await answer(registry, REQ, { stream: false });
    expect(a).toMatchObject({ text: '{"a":1}', provider: 'vllm', model: 'm' });
  });
});

// `ask --model X` is for the provider the user selected; a fallback answers with its own model unless X
// names it (`ollama/llama3.2`); and when nothing answers, the error keeps every provider's reason.
const ask = (model?: string) => ({ messages: [{ role: 'user' as const, content: 'hi' }], ...(model ? { model } : {}) });
const cannotStart = {
  kind: 'fail' as const,
  error: { code: 'START_FAILED', message: 'vllm: exited with code 1 while starting.', hint: 'Read its log.' },
};
const notFound = (id: string, model: string) =>
  new AcodeError('MODEL_NOT_FOUND', `${id}: the model ${model} is not served here.`, `Pull ${model}.`);

describe('ask --model', () => {
  it('goes to the selected provider only: the fallback answers with its own configured model', async () => {
    const vllm = fakeProvider({ id: 'vllm', pieces: ['no'] });
    const ollama = fakeProvider({ id: 'ollama', pieces: ['yes'] });
    const { registry } = make(cfg(), { vllm, ollama }, { vllm: cannotStart });
    const a = await answer(registry, ask('meta-llama/Llama-2-7b-hf'));
    expect(a.provider).toBe('ollama');
    expect(ollama.requests.map((r) => r.model)).toEqual([undefined]);
  });

  it('reaches the selected provider unchanged, also a Hugging Face id with a slash', async () => {
    const vllm = fakeProvider({ id: 'vllm', pieces: ['ok'] });
    const { registry } = make(cfg(), { vllm, ollama: fakeProvider({ id: 'ollama', pieces: [] }) });
    await answer(registry, ask('meta-llama/Llama-2-7b-hf'));
    expect(vllm.requests.map((r) => r.model)).toEqual(['meta-llama/Llama-2-7b-hf']);
  });

  it('provider-qualified (ollama/llama3.2): asks that provider first, with the bare model name', async () => {
    const vllm = fakeProvider({ id: 'vllm', pieces: ['no'] });
    const ollama = fakeProvider({ id: 'ollama', pieces: ['yes'] });
    const { registry, script } = make(cfg(), { vllm, ollama });
    const a = await answer(registry, ask('ollama/llama3.2'));
    expect(a.provider).toBe('ollama');
    expect(script.started).toEqual(['ollama']);
    expect(ollama.requests.map((r) => r.model)).toEqual(['llama3.2']);
  });

  it('provider-qualified with another --provider: the selected one uses its own model, the named fallback gets it', async () => {
    const vllm = fakeProvider({ id: 'vllm', pieces: ['no'], failures: [notFound('vllm', 'x')] });
    const ollama = fakeProvider({ id: 'ollama', pieces: ['yes'] });
    const { registry } = make(cfg(), { vllm, ollama });
    const a = await answer(registry, ask('ollama/llama3.2'), { preferred: 'vllm' });
    expect(vllm.requests.map((r) => r.model)).toEqual([undefined]);
    expect(ollama.requests.map((r) => r.model)).toEqual(['llama3.2']);
    expect(a.provider).toBe('ollama');
  });

  it('reads the qualifier only for configured ids', () => {
    const c = cfg();
    expect(modelChoice(c, 'ollama/llama3.2')).toEqual({ provider: 'ollama', model: 'llama3.2', qualified: true });
    expect(modelChoice(c, 'vllm/ollama/x')).toEqual({ provider: 'vllm', model: 'ollama/x', qualified: true });
    expect(modelChoice(c, 'Qwen/Qwen2.5-0.5B-Instruct', 'ollama')).toEqual({
      provider: 'ollama',
      model: 'Qwen/Qwen2.5-0.5B-Instruct',
      qualified: false,
    });
    expect(modelChoice(c, 'llama3.2')).toEqual({ provider: 'vllm', model: 'llama3.2', qualified: false });
  });
});

describe('when no provider answers', () => {
  it('the error keeps every provider\u2019s code and reason, one line each', async () => {
    const vllm = fakeProvider({ id: 'vllm', pieces: ['no'], failures: [notFound('vllm', 'big')] });
    const ollama = fakeProvider({
      id: 'ollama',
      pieces: ['no'],
      failures: [new AcodeError('SERVER_ERROR', 'ollama: 500 out of memory.', 'Free memory.')],
    });
    const { registry } = make(cfg(), { vllm, ollama });
    const err = (await answer(registry, ask('big')).catch((e: unknown) => e)) as AcodeError;
    expect(err.code).toBe('MODEL_NOT_FOUND');
    expect(err.hint).toBe('Pull big.');
    expect(err.message).toBe(
      'No provider could answer (2 tried):\n  vllm (MODEL_NOT_FOUND): the model big is not served here.\n  ollama (SERVER_ERROR): 500 out of memory.',
    );
    expect(err.details.fallbacks).toEqual([
      expect.objectContaining({ id: 'vllm' }),
      expect.objectContaining({ id: 'ollama' }),
    ]);
  });

  it('keeps a request failure when the next provider then cannot start', async () => {
    const vllm = fakeProvider({ id: 'vllm', pieces: ['no'], failures: [notFound('vllm', 'big')] });
    const { registry } = make(
      cfg(),
      { vllm, ollama: fakeProvider({ id: 'ollama', pieces: [] }) },
      {
        ollama: {
          kind: 'fail',
          error: {
            code: 'BINARY_NOT_FOUND',
            message: 'ollama: `ollama` was not found on PATH.',
            hint: 'Install ollama.',
          },
        },
      },
    );
    const err = (await answer(registry, ask()).catch((e: unknown) => e)) as AcodeError;
    expect(err.message).toBe(
      'No provider could answer (2 tried):\n  vllm (MODEL_NOT_FOUND): the model big is not served here.\n  ollama (BINARY_NOT_FOUND): `ollama` was not found on PATH.',
    );
  });
});
