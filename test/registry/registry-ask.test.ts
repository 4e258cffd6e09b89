import { afterEach, describe, expect, it } from 'vitest';
import { AcodeError, type AcodeConfig } from '../../config/index.js';
import type { ModelProvider } from '../../adapters/index.js';
import { createRegistry, type Registry } from '../../machines/registry.js';
import { bindServiceRef } from '../../machines/registry-binding.js';
import { answer } from '../../machines/registry-ask.js';
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
    config: cfg, stateDir: '/nonexistent', serviceLogic: fakeServiceLogic(script),
    bindService: (ref, p, mode) => bindServiceRef(ref, p, mode, { createAdapter: (pc) => adapters[pc.id] as ModelProvider, timeoutMs: 5_000 }),
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
    const { registry } = make(cfg(), { vllm: fakeProvider({ id: 'vllm', pieces: ['no'] }), ollama: fakeProvider({ id: 'ollama', pieces: ['yes'] }) },
      { vllm: { kind: 'fail', error: { code: 'START_FAILED', message: 'vllm exited with code 1 while starting.', hint: 'read its log' } } });
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
    expect(a).toMatchObject({ provider: 'ollama', text: 'yes', fallbacks: [expect.objectContaining({ id: 'vllm', code: 'CONNECTION_REFUSED' })] });
    expect(vllm.requests).toHaveLength(4);
  });

  it('never splices two providers: an error after text reached the user is thrown', async () => {
    const broken = new AcodeError('SERVER_ERROR', 'vllm reported an error mid-stream', 'check its log');
    const vllm = fakeProvider({ id: 'vllm', pieces: ['a', 'b'] });
    const failing: ModelProvider = { ...vllm, async *stream(req, o) { for await (const c of vllm.stream(req, o)) { yield c; throw broken; } } };
    const ollama = fakeProvider({ id: 'ollama', pieces: ['x'] });
    const { registry } = make(cfg(), { vllm: failing, ollama });
    await expect(answer(registry, REQ)).rejects.toBe(broken);
    expect(ollama.requests).toHaveLength(0);
  });

  it('completes in one call when not streaming', async () => {
    const { registry } = make(cfg(), { vllm: fakeProvider({ id: 'vllm', pieces: ['{"a":', '1}'] }), ollama: fakeProvider({ id: 'ollama', pieces: [] }) });
    const a = await answer(registry, REQ, { stream: false });
    expect(a).toMatchObject({ text: '{"a":1}', provider: 'vllm', model: 'm' });
  });
});
