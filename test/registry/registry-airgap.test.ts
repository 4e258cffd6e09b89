// Mode refusals with the real actors wired in (openRegistry): a provider off loopback is refused before
// its service exists, so not one socket (nor a DNS lookup) is ever aimed at it. A socket-level spy
// records every connect the process attempts while the registry works.
import dns from 'node:dns';
import net from 'node:net';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { openRegistry } from '../../machines/index.js';
import type { Registry } from '../../machines/registry.js';
import { isLoopbackHost } from '../../adapters/index.js';
import type { AcodeConfig } from '../../config/index.js';
import { config, providerConfig } from './fixtures.js';

let connects: string[] = [];
let lookups: string[] = [];
let registries: Registry[] = [];
beforeEach(() => {
  connects = [];
  lookups = [];
  const realConnect = net.Socket.prototype.connect;
  vi.spyOn(net.Socket.prototype, 'connect').mockImplementation(function (this: net.Socket, ...args: unknown[]) {
    const first = args[0] as { host?: string } | number | string;
    const host =
      typeof first === 'object' && first !== null
        ? (first.host ?? 'localhost')
        : typeof args[1] === 'string'
          ? args[1]
          : 'localhost';
    connects.push(host);
    // Refuse, never dial, anything off loopback: the test must not reach the network even if the code under test is wrong.
    if (!isLoopbackHost(host)) throw new Error(`test refused a connect to ${host}`);
    return (realConnect as (...a: unknown[]) => net.Socket).apply(this, args);
  });
  vi.spyOn(dns, 'lookup').mockImplementation((host: string) => {
    lookups.push(host);
    throw new Error(`test refused a DNS lookup of ${host}`);
  });
});
afterEach(async () => {
  await Promise.all(registries.map((r) => r.dispose()));
  registries = [];
  vi.restoreAllMocks();
});

function remoteConfig(mode: AcodeConfig['mode']): AcodeConfig {
  const cfg = config(['vllm'], { mode, fallback: ['vllm'] });
  cfg.providers.vllm = providerConfig('vllm', {
    port: 1,
    lifecycle: { ...cfg.providers.vllm!.lifecycle, mode: 'external' },
  });
  cfg.providers.cloud = providerConfig('cloud', {
    type: 'openai-compatible',
    host: '10.1.2.3',
    port: 8000,
    baseUrl: 'http://10.1.2.3:8000',
  });
  cfg.active = 'cloud';
  return cfg;
}

function open(cfg: AcodeConfig): Registry {
  const r = openRegistry({ config: cfg, env: { ACODE_STATE_DIR: '/nonexistent-acode-state', PATH: '' } });
  registries.push(r);
  return r;
}

describe.each([
  ['airgapped', 'AIRGAP_VIOLATION'],
  ['local-only', 'MODE_FORBIDDEN'],
] as const)('%s mode', (mode, code) => {
  it(`refuses a provider off loopback with ${code} before any socket or lookup`, async () => {
    const registry = open(remoteConfig(mode));
    await expect(registry.getProvider('cloud')).rejects.toMatchObject({
      code,
      message: expect.stringContaining('10.1.2.3'),
    });
    expect(registry.actor.system.get('service.cloud')).toBeUndefined();
    expect(connects).toEqual([]);
    expect(lookups).toEqual([]);
  });

  it('passes over it to the loopback fallback, whose sockets the spy does see', async () => {
    const registry = open(remoteConfig(mode));
    // Nothing listens on 127.0.0.1:1, so the fallback fails too, after really trying (on loopback).
    await expect(registry.acquire()).rejects.toMatchObject({
      code: 'PROVIDER_UNAVAILABLE',
      message: expect.stringContaining('127.0.0.1:1'),
    });
    expect(registry.status().find((s) => s.id === 'cloud')?.state).toBe('unspawned');
    expect(connects.length).toBeGreaterThan(0);
    expect(connects.filter((h) => !isLoopbackHost(h))).toEqual([]);
    expect(lookups).toEqual([]);
  });
});
