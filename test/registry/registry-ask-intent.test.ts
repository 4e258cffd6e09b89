// `ask --model X` is for the provider the user selected; a fallback answers with its own model unless X
// names it (`ollama/llama3.2`); and when nothing answers, the error keeps every provider's reason.
import { afterEach, describe, expect, it } from 'vitest';
import { AcodeError, type AcodeConfig } from '../../config/index.js';
import type { ModelProvider } from '../../adapters/index.js';
import { createRegistry, type Registry } from '../../machines/registry.js';
import { bindServiceRef } from '../../machines/registry-binding.js';
import { answer } from '../../machines/registry-ask.js';
import { modelChoice } from '../../machines/model-choice.js';
import { config, fakeProvider } from './fixtures.js';
import { fakeServiceLogic, type FakeScript } from './fake-service.js';

let registries: Registry[] = [];
afterEach(async () => {
  await Promise.all(registries.map((r) => r.dispose()));
  registries = [];
});

function make(cfg: AcodeConfig, adapters: Record<string, ModelProvider>, outcomes: FakeScript['outcomes'] = {}) {
  const script: FakeScript = { outcomes, started: [], stopped: [] };
  const registry = createRegistry({
    config: cfg, stateDir: '/nonexistent', serviceLogic: fakeServiceLogic(script),
    bindService: (ref, p, mode) => bindServiceRef(ref, p, mode, { createAdapter: (pc) => adapters[pc.id] as ModelProvider, timeoutMs: 5_000 }),
  });
  registries.push(registry);
  return { registry, script };
}

const cfg = () => config(['vllm', 'ollama'], { active: 'vllm', fallback: ['ollama'] });
const ask = (model?: string) => ({ messages: [{ role: 'user' as const, content: 'hi' }], ...(model ? { model } : {}) });
const cannotStart = { kind: 'fail' as const, error: { code: 'START_FAILED', message: 'vllm: exited with code 1 while starting.', hint: 'Read its log.' } };
const notFound = (id: string, model: string) => new AcodeError('MODEL_NOT_FOUND', `${id}: the model ${model} is not served here.`, `Pull ${model}.`);

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
    expect(modelChoice(c, 'Qwen/Qwen2.5-0.5B-Instruct', 'ollama')).toEqual({ provider: 'ollama', model: 'Qwen/Qwen2.5-0.5B-Instruct', qualified: false });
    expect(modelChoice(c, 'llama3.2')).toEqual({ provider: 'vllm', model: 'llama3.2', qualified: false });
  });
});

describe('when no provider answers', () => {
  it('the error keeps every provider\u2019s code and reason, one line each', async () => {
    const vllm = fakeProvider({ id: 'vllm', pieces: ['no'], failures: [notFound('vllm', 'big')] });
    const ollama = fakeProvider({ id: 'ollama', pieces: ['no'], failures: [new AcodeError('SERVER_ERROR', 'ollama: 500 out of memory.', 'Free memory.')] });
    const { registry } = make(cfg(), { vllm, ollama });
    const err = await answer(registry, ask('big')).catch((e: unknown) => e) as AcodeError;
    expect(err.code).toBe('MODEL_NOT_FOUND');
    expect(err.hint).toBe('Pull big.');
    expect(err.message).toBe('No provider could answer (2 tried):\n  vllm (MODEL_NOT_FOUND): the model big is not served here.\n  ollama (SERVER_ERROR): 500 out of memory.');
    expect(err.details.fallbacks).toEqual([expect.objectContaining({ id: 'vllm' }), expect.objectContaining({ id: 'ollama' })]);
  });

  it('keeps a request failure when the next provider then cannot start', async () => {
    const vllm = fakeProvider({ id: 'vllm', pieces: ['no'], failures: [notFound('vllm', 'big')] });
    const { registry } = make(cfg(), { vllm, ollama: fakeProvider({ id: 'ollama', pieces: [] }) },
      { ollama: { kind: 'fail', error: { code: 'BINARY_NOT_FOUND', message: 'ollama: `ollama` was not found on PATH.', hint: 'Install ollama.' } } });
    const err = await answer(registry, ask()).catch((e: unknown) => e) as AcodeError;
    expect(err.message).toBe('No provider could answer (2 tried):\n  vllm (MODEL_NOT_FOUND): the model big is not served here.\n  ollama (BINARY_NOT_FOUND): `ollama` was not found on PATH.');
  });
});
