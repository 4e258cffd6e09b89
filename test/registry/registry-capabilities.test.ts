// The registry learns what each provider's model can do from its server once the service is healthy
// (Ollama /api/show), so a request that needs tools passes over a model the server says lacks them
// before any completion is sent to it, and later requests reuse what was learned.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createProvider, type ModelProvider } from '../../adapters/index.js';
import type { AcodeConfig } from '../../config/index.js';
import { createRegistry, type Registry } from '../../machines/registry.js';
import { answer } from '../../machines/request.js';
import { startTestServer, type TestServer } from '../servers/harness.js';
import { config, providerConfig } from './fixtures.js';
import { fakeServiceLogic } from './fake-service.js';

const REQ = { messages: [{ role: 'user' as const, content: 'hi' }] };
let server: TestServer;
let registries: Registry[] = [];
beforeAll(async () => {
  server = await startTestServer('ollama', {
    model: 'llama3.2:latest',
    env: { ACODE_FAKE_PULLED: 'llama3.2:latest,gemma2:2b' },
  });
});
afterEach(async () => {
  await Promise.all(registries.map((r) => r.dispose()));
  registries = [];
});
afterAll(async () => {
  await server.stop();
});

// gemma (gemma2: no tools, per /api/show) is preferred; llama (llama3.2: tools) is the fallback.
function cfg(): AcodeConfig {
  const cfg = config(['gemma', 'llama'], { active: 'gemma', fallback: ['llama'] });
  const at = { kind: 'ollama', type: 'ollama', port: server.port, baseUrl: server.url } as const;
  cfg.providers.gemma = providerConfig('gemma', { ...at, model: 'gemma2:2b' });
  cfg.providers.llama = providerConfig('llama', { ...at, model: 'llama3.2:latest' });
  return cfg;
}

/** A registry over real adapters that records, per provider, the completions and model lookups sent. */
function make() {
  const completions: string[] = [];
  const lookups: string[] = [];
  const registry = createRegistry({
    config: cfg(),
    stateDir: '/nonexistent',
    serviceLogic: fakeServiceLogic({ outcomes: {}, started: [], stopped: [] }),
    createAdapter: (pc, opts) => {
      const adapter: ModelProvider = createProvider(pc, opts);
      const { stream, modelInfo } = adapter;
      adapter.stream = (req, o) => (completions.push(pc.id), stream.call(adapter, req, o));
      adapter.modelInfo = (id, o) => (lookups.push(pc.id), modelInfo.call(adapter, id, o));
      return adapter;
    },
  });
  registries.push(registry);
  return { registry, completions, lookups };
}

describe('capabilities the registry learns from the servers', () => {
  it('a request needing tools is answered by the next provider, none sent to the one without', async () => {
    const { registry, completions } = make();
    const a = await answer(registry, REQ, { requirements: { tools: true } });
    expect(a.provider).toBe('llama');
    expect(a.fallbacks).toEqual([
      expect.objectContaining({ id: 'gemma', code: 'MODE_FORBIDDEN', message: expect.stringContaining('tool calls') }),
    ]);
    expect(completions).toEqual(['llama']);
  });

  it('acquire with requirements passes over it too, and the next selection refuses it up front', async () => {
    const { registry } = make();
    const got = await registry.acquire({ requirements: { tools: true } });
    expect(got.id).toBe('llama');
    expect(got.fallbacks.map((f) => f.id)).toEqual(['gemma']);
    expect(registry.candidates({ requirements: { tools: true } })).toEqual({
      order: ['llama'],
      refused: [{ id: 'gemma', code: 'MODE_FORBIDDEN', reason: 'gemma does not support tool calls' }],
    });
  });

  it('asks each server once, not per request; without the requirement the preferred one answers', async () => {
    const { registry, completions, lookups } = make();
    for (let i = 0; i < 3; i++) expect((await answer(registry, REQ)).provider).toBe('gemma');
    await answer(registry, REQ, { requirements: { tools: true } });
    expect(lookups).toEqual(['gemma', 'llama']);
    expect(completions).toEqual(['gemma', 'gemma', 'gemma', 'llama']);
  });
});
