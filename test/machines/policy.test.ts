import { describe, expect, it } from 'vitest';
import { DEFAULT_LIFECYCLE, DEFAULT_REQUEST_TIMEOUTS } from '../../config/index.js';
import type { ProviderConfig } from '../../config/index.js';
import {
  backoffMs,
  ensureRetries,
  hasRestartBudget,
  launchChanged,
  lifecycleAssumesUp,
  lifecycleMaySpawn,
  lifecycleMayStop,
  lifecyclePollsWhileDown,
  mayPull,
  mayStart,
  modeAllowsProvider,
  restartsInWindow,
} from '../../machines/index.js';

function provider(host: string, type: ProviderConfig['type'] = 'openai-compatible'): ProviderConfig {
  return {
    id: 'p',
    kind: type === 'ollama' ? 'ollama' : 'vllm',
    type,
    host,
    port: 8000,
    baseUrl: `http://${host.includes(':') ? `[${host}]` : host}:8000`,
    args: [],
    timeouts: DEFAULT_REQUEST_TIMEOUTS,
    gpu: {},
    lifecycle: DEFAULT_LIFECYCLE,
  };
}

describe('lifecycle modes', () => {
  it('only managed spawns and stops; monitored polls while down; external assumes up', () => {
    const table = (['managed', 'monitored', 'external'] as const).map((m) => [
      m,
      lifecycleMaySpawn(m),
      lifecycleMayStop(m),
      lifecyclePollsWhileDown(m),
      lifecycleAssumesUp(m),
    ]);
    expect(table).toEqual([
      ['managed', true, true, false, false],
      ['monitored', false, false, true, false],
      ['external', false, false, false, true],
    ]);
  });
});

describe('operating modes', () => {
  it('local-only and airgapped admit loopback providers only; burst admits remote ones', () => {
    const local = provider('127.0.0.1');
    const remote = provider('10.0.0.5');
    expect([modeAllowsProvider('local-only', local), modeAllowsProvider('local-only', remote)]).toEqual([true, false]);
    expect([modeAllowsProvider('airgapped', local), modeAllowsProvider('airgapped', remote)]).toEqual([true, false]);
    expect([modeAllowsProvider('burst', local), modeAllowsProvider('burst', remote)]).toEqual([true, true]);
  });

  it('airgapped never starts a server and never pulls; only Ollama pulls', () => {
    expect(mayStart('managed', 'local-only')).toBe(true);
    expect(mayStart('managed', 'burst')).toBe(true);
    expect(mayStart('managed', 'airgapped')).toBe(false);
    expect(mayStart('monitored', 'local-only')).toBe(false);
    expect(mayStart('external', 'burst')).toBe(false);
    expect(mayPull(provider('127.0.0.1', 'ollama'), 'local-only')).toBe(true);
    expect(mayPull(provider('127.0.0.1', 'ollama'), 'airgapped')).toBe(false);
    expect(mayPull(provider('127.0.0.1', 'openai-compatible'), 'burst')).toBe(false);
  });
});

describe('restart budget', () => {
  it('counts restarts strictly inside the window', () => {
    expect(restartsInWindow([0, 30_000, 59_000], 60_000, 60_000)).toEqual([30_000, 59_000]);
    expect(restartsInWindow([], 5, 60_000)).toEqual([]);
  });

  it('allows a restart while fewer than maxRestarts happened in the window', () => {
    expect(hasRestartBudget([10, 20], 30, 3, 60_000)).toBe(true);
    expect(hasRestartBudget([10, 20, 25], 30, 3, 60_000)).toBe(false);
    expect(hasRestartBudget([10, 20, 25], 60_011, 3, 60_000)).toBe(true);
    expect(hasRestartBudget([], 0, 0, 60_000)).toBe(false);
  });
});

describe('backoffMs', () => {
  const opts = { baseMs: 500, capMs: 10_000 };
  it('is half fixed, half jittered, doubling per attempt', () => {
    expect([0, 0.5, 1].map((r) => backoffMs(0, () => r, opts))).toEqual([250, 375, 500]);
    expect([0, 1, 2, 3].map((a) => backoffMs(a, () => 0, opts))).toEqual([250, 500, 1000, 2000]);
  });

  it('is capped, and survives silly inputs', () => {
    expect(backoffMs(5, () => 1, opts)).toBe(10_000);
    expect(backoffMs(1_000, () => 1, opts)).toBe(10_000);
    expect(backoffMs(-3, () => 0, opts)).toBe(250);
    expect(backoffMs(0, () => 7, opts)).toBe(500);
    expect(backoffMs(0, () => -1, opts)).toBe(250);
  });

  it('uses the defaults (500 ms base, 10 s cap) when no options are given', () => {
    expect(backoffMs(0, () => 1)).toBe(500);
    expect(backoffMs(10, () => 1)).toBe(10_000);
  });
});

describe('ensureRetries', () => {
  it('does not let ENSURE restart a crash loop or a costly start failure', () => {
    for (const code of [
      'CRASH_LOOP',
      'START_TIMEOUT',
      'START_FAILED',
      'MODEL_LOAD_TIMEOUT',
      'AIRGAP_VIOLATION',
      'MODE_FORBIDDEN',
    ]) {
      expect({ code, retries: ensureRetries(code) }).toEqual({ code, retries: false });
    }
    for (const code of ['PORT_IN_USE', 'BINARY_NOT_FOUND', 'LOCK_TIMEOUT', 'PROVIDER_UNAVAILABLE', undefined]) {
      expect({ code, retries: ensureRetries(code) }).toEqual({ code, retries: true });
    }
  });
});

describe('launchChanged (what a config reload restarts a server of ours for)', () => {
  const base = provider('127.0.0.1');
  it('model, port, argv and GPU sizing change the launch', () => {
    expect(launchChanged(base, { ...base, model: 'other' })).toBe(true);
    expect(launchChanged(base, { ...base, port: 8001 })).toBe(true);
    expect(launchChanged(base, { ...base, args: ['--max-model-len', '4096'] })).toBe(true);
    expect(launchChanged(base, { ...base, gpu: { memoryUtilization: 0.8 } })).toBe(true);
  });
  it('timings, request timeouts and whether GPUs are checked do not', () => {
    expect(launchChanged(base, { ...base, lifecycle: { ...base.lifecycle, healthCheckIntervalSeconds: 5 } })).toBe(
      false,
    );
    expect(launchChanged(base, { ...base, timeouts: { ...base.timeouts, idleSeconds: 5 } })).toBe(false);
    expect(launchChanged(base, { ...base, gpu: { required: false } })).toBe(false);
  });
});
