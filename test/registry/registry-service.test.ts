// The registry with the real service machine (fake I/O actors): lazy spawn, cold start, a crash in the
// middle of a stream resumed without duplicated text, and fallback when a server cannot start.
import { afterEach, describe, expect, it } from 'vitest';
import { serviceMachine } from '../../machines/service.machine.js';
import { createRegistry, type Registry } from '../../machines/registry.js';
import type { RetryInfo } from '../../machines/request.machine.js';
import type { ModelProvider } from '../../adapters/index.js';
import { collect, config, fakeProvider, gone, textOf } from './fixtures.js';
import { fakeServers, type FakeServer } from './fake-actors.js';
import type { AcodeConfig } from '../../config/index.js';

const PIECES = ['One', ' two', ' three', ' four', ' five', ' six.'];
let registries: Registry[] = [];
afterEach(async () => {
  await Promise.all(registries.map((r) => r.dispose()));
  registries = [];
});

function make(
  cfg: AcodeConfig,
  adapterFor: (id: string, server: () => FakeServer) => ModelProvider,
  preset: Record<string, Partial<FakeServer>> = {},
) {
  const { servers, actors } = fakeServers(preset);
  const registry = createRegistry({
    config: cfg,
    stateDir: '/nonexistent',
    serviceLogic: serviceMachine.provide({ actors }),
    serviceInput: { random: () => 0, backoff: { baseMs: 1, capMs: 1 } },
    createAdapter: (p) => adapterFor(p.id, () => servers.get(p.id) as FakeServer),
  });
  registries.push(registry);
  return { registry, servers };
}

describe('registry with the service machine', () => {
  it('cold-starts only the asked provider and hands out its adapter when healthy', async () => {
    const { registry, servers } = make(config(['vllm', 'ollama'], { fallback: ['ollama'] }), (id) =>
      fakeProvider({ id, pieces: PIECES }),
    );
    const states: string[] = [];
    registry.onStatus((s) => {
      if (states.at(-1) !== s.state) states.push(s.state);
    });
    const p = await registry.getProvider('vllm');
    expect(textOf(await collect(p.stream({ messages: [{ role: 'user', content: 'q' }] })))).toBe(PIECES.join(''));
    expect(states).toEqual(['detecting', 'starting', 'healthy']);
    expect([...servers.keys()]).toEqual(['vllm']);
    expect(servers.get('vllm')?.log).toEqual(['detect', 'spawn']);
  });

  it('resumes a stream broken by a crash after the service restarted, with one retry', async () => {
    let first = true;
    const { registry, servers } = make(config(['vllm']), (id, server) => {
      const inner = fakeProvider({ id, pieces: PIECES });
      return {
        ...inner,
        async *stream(req, opts) {
          let n = 0;
          for await (const chunk of inner.stream(req, opts)) {
            if (first && n === 3) {
              first = false;
              server().kill();
              throw gone(3);
            }
            n++;
            yield chunk;
          }
        },
      };
    });
    const retries: RetryInfo[] = [];
    const { provider: p } = await registry.acquire({ onRetry: (r) => retries.push(r) });
    const chunks = await collect(p.stream({ messages: [{ role: 'user', content: 'q' }] }));
    expect(textOf(chunks)).toBe(PIECES.join(''));
    expect(chunks.filter((c) => c.type === 'restarted')).toEqual([]);
    expect(retries).toEqual([expect.objectContaining({ attempt: 1, path: 'resume', provider: 'vllm' })]);
    expect(servers.get('vllm')?.spawns).toBe(2);
  });

  it('falls back when the preferred server cannot start and records why', async () => {
    const spawnError = {
      code: 'BINARY_NOT_FOUND',
      message: 'vllm: `vllm` is not on PATH.',
      hint: 'Install vLLM or set providers.vllm.binary.',
    };
    const { registry, servers } = make(
      config(['vllm', 'ollama'], { fallback: ['ollama'] }),
      (id) => fakeProvider({ id, pieces: PIECES }),
      { vllm: { spawnError } },
    );
    const got = await registry.acquire();
    expect(got.id).toBe('ollama');
    expect(got.fallbacks).toEqual([
      expect.objectContaining({
        id: 'vllm',
        code: 'BINARY_NOT_FOUND',
        hint: 'Install vLLM or set providers.vllm.binary.',
      }),
    ]);
    expect(registry.status().map((s) => [s.id, s.state])).toEqual([
      ['vllm', 'failed'],
      ['ollama', 'healthy'],
    ]);
    expect(servers.get('vllm')?.spawns).toBe(0);
  });
});
