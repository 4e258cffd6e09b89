import { afterEach, describe, expect, it } from 'vitest';
import { createRegistry, type Registry } from '../../machines/registry.js';
import { config, fakeProvider, FULL_CAPS } from './fixtures.js';
import { fakeServiceLogic, type FakeScript, type Outcome } from './fake-service.js';
import type { AcodeConfig } from '../../config/index.js';

const PIECES = ['Hello', ' there.'];
const startFailed: Outcome = {
  kind: 'fail',
  error: {
    code: 'START_FAILED',
    message: 'vllm: the server exited with code 1 while starting.',
    hint: 'Read its log.',
  },
};

let registries: Registry[] = [];
afterEach(async () => {
  await Promise.all(registries.map((r) => r.dispose()));
  registries = [];
});

function make(
  cfg: AcodeConfig,
  outcomes: FakeScript['outcomes'] = {},
  extra: { capabilities?: Record<string, typeof FULL_CAPS> } = {},
) {
  const script: FakeScript = { outcomes, started: [], stopped: [] };
  const registry = createRegistry({
    config: cfg,
    stateDir: '/nonexistent',
    serviceLogic: fakeServiceLogic(script),
    createAdapter: (p) => fakeProvider({ id: p.id, pieces: PIECES }),
    ...extra,
  });
  registries.push(registry);
  return { registry, script };
}

const three = () => config(['vllm', 'ollama', 'llamacpp'], { active: 'vllm', fallback: ['ollama', 'llamacpp'] });

describe('registry supervisor', () => {
  it('spawns only the service asked for, with systemId service.<id>', async () => {
    const { registry, script } = make(three());
    expect(registry.actor.system.get('service.vllm')).toBeUndefined();
    const provider = await registry.getProvider('vllm');
    expect(provider.id).toBe('vllm');
    expect(registry.actor.system.get('service.vllm')).toBeDefined();
    expect(registry.actor.system.get('service.ollama')).toBeUndefined();
    expect(registry.actor.system.get('service.llamacpp')).toBeUndefined();
    expect(script.started).toEqual(['vllm']);
    expect(registry.status().map((s) => [s.id, s.state])).toEqual([
      ['vllm', 'healthy'],
      ['ollama', 'unspawned'],
      ['llamacpp', 'unspawned'],
    ]);
  });

  it('reuses the one service actor across calls', async () => {
    const { registry, script } = make(three());
    await registry.getProvider('ollama');
    await registry.getProvider('ollama');
    expect(registry.service('ollama')).toBe(registry.service('ollama'));
    expect(script.started).toEqual(['ollama']);
  });

  it('answers getDefaultProvider with providers.active', async () => {
    const { registry } = make({ ...three(), active: 'llamacpp' });
    expect((await registry.getDefaultProvider()).id).toBe('llamacpp');
  });

  it('refuses an unknown id with PROVIDER_UNKNOWN listing the configured ones, spawning nothing', async () => {
    const { registry, script } = make(three());
    await expect(registry.getProvider('lmstudio')).rejects.toMatchObject({
      code: 'PROVIDER_UNKNOWN',
      hint: 'Use one of: vllm, ollama, llamacpp.',
    });
    await expect(registry.acquire({ preferred: 'nope' })).rejects.toMatchObject({ code: 'PROVIDER_UNKNOWN' });
    expect(script.started).toEqual([]);
  });

  it('falls back in the configured order when the chosen provider ends in failed, and says why', async () => {
    const { registry, script } = make(three(), { vllm: startFailed });
    const told: string[] = [];
    const got = await registry.acquire({
      onFallback: (failed, next) => told.push(`${failed.id}:${failed.code}->${next}`),
    });
    expect(got.id).toBe('ollama');
    expect(got.fallbacks).toEqual([
      expect.objectContaining({
        id: 'vllm',
        code: 'START_FAILED',
        message: startFailed.kind === 'fail' ? startFailed.error.message : '',
      }),
    ]);
    expect(told).toEqual(['vllm:START_FAILED->ollama']);
    expect(script.started).toEqual(['vllm', 'ollama']);
    expect(registry.status().find((s) => s.id === 'vllm')?.state).toBe('failed');
  });

  it('throws the first provider\u2019s code and hint with every provider\u2019s reason when none answers', async () => {
    const fail = (id: string): Outcome => ({
      kind: 'fail',
      error: { code: 'BINARY_NOT_FOUND', message: `${id} missing`, hint: 'install it' },
    });
    const { registry } = make(three(), { vllm: startFailed, ollama: fail('ollama'), llamacpp: fail('llamacpp') });
    const err = await registry.acquire().catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'START_FAILED', hint: 'Read its log.' });
    expect((err as Error).message).toBe(
      [
        'No provider could answer (3 tried):',
        '  vllm (START_FAILED): the server exited with code 1 while starting.',
        '  ollama (BINARY_NOT_FOUND): ollama missing',
        '  llamacpp (BINARY_NOT_FOUND): llamacpp missing',
      ].join('\n'),
    );
  });

  it('does not fall back on a failure that is not the provider\u2019s (cancelled)', async () => {
    const ac = new AbortController();
    ac.abort();
    const { registry, script } = make(three());
    await expect(registry.acquire({ signal: ac.signal })).rejects.toMatchObject({ code: 'ABORTED' });
    expect(script.started).toEqual(['vllm']);
  });

  it('chooses by capability with getProviderFor, skipping providers that cannot serve the request', async () => {
    const { registry } = make(
      three(),
      {},
      { capabilities: { vllm: { ...FULL_CAPS, tools: false }, ollama: FULL_CAPS } },
    );
    const got = await registry.getProviderFor({ tools: true });
    expect(got.id).toBe('ollama');
    expect(registry.actor.system.get('service.vllm')).toBeUndefined();
  });
});

describe('registry operating modes', () => {
  const withRemote = (mode: AcodeConfig['mode']) =>
    config(['cloud', 'vllm'], { remote: ['cloud'], active: 'cloud', fallback: ['vllm'], mode });

  it('airgapped refuses a remote provider before its service exists and falls back to loopback', async () => {
    const { registry, script } = make(withRemote('airgapped'));
    await expect(registry.getProvider('cloud')).rejects.toMatchObject({ code: 'AIRGAP_VIOLATION' });
    expect(registry.actor.system.get('service.cloud')).toBeUndefined();
    const got = await registry.acquire();
    expect(got.id).toBe('vllm');
    expect(script.started).toEqual(['vllm']);
  });

  it('the supervisor itself refuses to spawn a remote provider (guard), whoever sends SPAWN', () => {
    const { registry } = make(withRemote('airgapped'));
    registry.actor.send({ type: 'SPAWN', id: 'cloud' });
    registry.actor.send({ type: 'SPAWN', id: 'vllm' });
    expect(Object.keys(registry.actor.getSnapshot().context.services)).toEqual(['vllm']);
  });

  it('local-only refuses a remote provider with MODE_FORBIDDEN', async () => {
    const { registry } = make(withRemote('local-only'));
    await expect(registry.getProvider('cloud')).rejects.toMatchObject({ code: 'MODE_FORBIDDEN' });
  });

  it('burst lets a remote provider be asked', async () => {
    const { registry, script } = make(withRemote('burst'));
    expect((await registry.acquire()).id).toBe('cloud');
    expect(script.started).toEqual(['cloud']);
  });

  it('reports when no configured provider is allowed at all', async () => {
    const cfg = config(['cloud'], { remote: ['cloud'], mode: 'local-only' });
    const { registry } = make(cfg);
    await expect(registry.acquire()).rejects.toMatchObject({
      code: 'MODE_FORBIDDEN',
      message: expect.stringContaining('cloud is at api.example.invalid'),
    });
  });
});

describe('registry dispose', () => {
  it('stops only the servers this process started whose stop_on_exit is set', async () => {
    const cfg = three();
    cfg.providers.vllm!.lifecycle.stopOnExit = true;
    const { registry, script } = make(cfg);
    await registry.getProvider('vllm');
    await registry.getProvider('ollama');
    await registry.dispose();
    expect(script.stopped).toEqual(['vllm']);
    expect(registry.actor.getSnapshot().status).toBe('done');
  });

  it('leaves a server another acode process spawned running, even though its pid file makes it ours', async () => {
    const cfg = three();
    cfg.providers.vllm!.lifecycle.stopOnExit = true;
    const { registry, script } = make(cfg, { vllm: { kind: 'adopted' } });
    await registry.getProvider('vllm');
    await registry.dispose();
    expect(script.stopped).toEqual([]);
  });
});

describe('registry.reconfigure (a config reload)', () => {
  it('sends RECONFIGURE only to services whose provider changed, stops watching removed ones, and serves the new config', async () => {
    const received: string[] = [];
    const cfg = three();
    const script: FakeScript = { outcomes: {}, started: [], stopped: [] };
    const registry = createRegistry({
      config: cfg,
      stateDir: '/nonexistent',
      serviceLogic: fakeServiceLogic(script),
      createAdapter: (p) => fakeProvider({ id: p.id, pieces: PIECES }),
      inspect: (e) => {
        if (e.type === '@xstate.event' && e.event.type === 'RECONFIGURE')
          received.push((e.actorRef as { id?: string }).id ?? '');
      },
    });
    registries.push(registry);
    await registry.getProvider('vllm');
    await registry.getProvider('ollama');
    await registry.getProvider('llamacpp');

    const next = three();
    next.providers.vllm = { ...next.providers.vllm!, model: 'another-model' };
    delete next.providers.ollama;
    next.fallback = ['llamacpp'];
    const summary = await registry.reconfigure(next);

    expect(summary).toEqual({ added: [], removed: ['ollama'], changed: ['vllm'], restarting: [] });
    expect(received.filter((id) => id.startsWith('service.'))).toEqual(['service.vllm']);
    expect(registry.actor.system.get('service.ollama')).toBeUndefined();
    expect(registry.actor.system.get('service.llamacpp')).toBeDefined();
    expect(registry.config).toBe(next);
    expect(registry.status().map((s) => s.id)).toEqual(['vllm', 'llamacpp']);
    await expect(registry.getProvider('ollama')).rejects.toMatchObject({ code: 'PROVIDER_UNKNOWN' });
    // The changed provider's handle is rebuilt: a request after the reload is served under the new settings.
    expect((await registry.getProvider('vllm')).id).toBe('vllm');
  });
});
