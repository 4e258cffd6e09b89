import { describe, expect, it } from 'vitest';
import { selectProviders, capabilityRefusal } from '../../machines/selector.js';
import { modeRefusal } from '../../machines/index.js';
import { config, FULL_CAPS, providerConfig } from './fixtures.js';

describe('selectProviders', () => {
  it('puts the active provider first, then the configured fallback order', () => {
    const cfg = config(['vllm', 'ollama', 'llamacpp'], { active: 'vllm', fallback: ['llamacpp', 'ollama'] });
    expect(selectProviders({ config: cfg }).order).toEqual(['vllm', 'llamacpp', 'ollama']);
  });

  it('offers only the preferred provider and the fallback list unless asked for any', () => {
    const cfg = config(['vllm', 'ollama', 'llamacpp'], { active: 'vllm', fallback: ['ollama'] });
    expect(selectProviders({ config: cfg, preferred: 'llamacpp' }).order).toEqual(['llamacpp', 'ollama']);
    expect(selectProviders({ config: cfg, anyConfigured: true }).order).toEqual(['vllm', 'ollama', 'llamacpp']);
  });

  it('skips failed and already-tried providers and says why', () => {
    const cfg = config(['vllm', 'ollama', 'llamacpp'], { fallback: ['ollama', 'llamacpp'] });
    const sel = selectProviders({ config: cfg, health: { ollama: 'failed' }, exclude: ['vllm'] });
    expect(sel.order).toEqual(['llamacpp']);
    expect(sel.refused).toEqual([expect.objectContaining({ id: 'ollama', code: 'PROVIDER_UNAVAILABLE' })]);
  });

  it('ranks a healthy fallback before a stopped one, but never before the preferred provider', () => {
    const cfg = config(['vllm', 'ollama', 'llamacpp'], { fallback: ['ollama', 'llamacpp'] });
    const sel = selectProviders({
      config: cfg,
      health: { vllm: 'stopped', ollama: 'unavailable', llamacpp: 'healthy' },
    });
    expect(sel.order).toEqual(['vllm', 'llamacpp', 'ollama']);
  });

  it('refuses providers missing a required capability and ranks unknown context after known fit', () => {
    const cfg = config(['vllm', 'ollama', 'llamacpp'], { active: 'vllm', fallback: ['ollama', 'llamacpp'] });
    const sel = selectProviders({
      config: cfg,
      anyConfigured: true,
      preferred: 'none',
      requirements: { tools: true, minContext: 8000 },
      capabilities: {
        vllm: { ...FULL_CAPS, tools: false },
        ollama: { ...FULL_CAPS },
        llamacpp: { ...FULL_CAPS, maxContext: 32_000 },
      },
    });
    expect(sel.order).toEqual(['llamacpp', 'ollama']);
    expect(sel.refused.map((r) => r.id)).toEqual(['vllm']);
    expect(sel.refused[0]?.reason).toMatch(/tool calls/);
  });

  it('refuses a provider whose known context is too small', () => {
    expect(capabilityRefusal('llamacpp', { minContext: 4096 }, { ...FULL_CAPS, maxContext: 256 })?.reason).toBe(
      'llamacpp does not support a context of 4096 tokens (it has 256)',
    );
    expect(capabilityRefusal('x', { minContext: 4096 }, undefined)).toBeUndefined();
  });
});

describe('operating modes', () => {
  const remote = config(['vllm', 'cloud'], { remote: ['cloud'], fallback: ['cloud'] });

  it('local-only admits loopback providers only', () => {
    const sel = selectProviders({ config: { ...remote, mode: 'local-only' } });
    expect(sel.order).toEqual(['vllm']);
    expect(sel.refused).toEqual([expect.objectContaining({ id: 'cloud', code: 'MODE_FORBIDDEN' })]);
  });

  it('burst admits a remote provider', () => {
    expect(selectProviders({ config: { ...remote, mode: 'burst' } }).order).toEqual(['vllm', 'cloud']);
  });

  it('burst still honours a request that asks for local providers only', () => {
    const sel = selectProviders({ config: { ...remote, mode: 'burst' }, requirements: { localOnly: true } });
    expect(sel.order).toEqual(['vllm']);
  });

  it('airgapped refuses a remote provider with AIRGAP_VIOLATION', () => {
    const sel = selectProviders({ config: { ...remote, mode: 'airgapped' } });
    expect(sel.order).toEqual(['vllm']);
    expect(sel.refused[0]).toMatchObject({ id: 'cloud', code: 'AIRGAP_VIOLATION' });
  });

  it('decides on the address it connects to (base_url), not the bind address', () => {
    const p = providerConfig('ollama', { host: '0.0.0.0', baseUrl: 'http://127.0.0.1:11434' });
    expect(modeRefusal('airgapped', p)).toBeUndefined();
  });
});
