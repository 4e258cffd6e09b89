// healthPoller against the real llama-server stand-in (503 while loading, then ready; killed = misses),
// and its schedule on a SimulatedClock with a scripted adapter.
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { SimulatedClock } from 'xstate';
import type { ActorEvent } from '../../actors/index.js';
import type { HealthResult, ModelProvider } from '../../adapters/index.js';
import { resolveDeps } from '../../actors/deps.js';
import { healthPoller } from '../../actors/health-poller.js';
import { spawnServer } from '../../actors/server-process.js';
import { PidLedger, freePort, removeDir, requireBuiltServers, serviceRef, tempStateDir, testEnv } from './helpers.js';
import { until } from '../support/processes.js';
import { providerConfig } from '../support/providers.js';

const ledger = new PidLedger();
let stateDir: string;

beforeAll(() => requireBuiltServers());
beforeEach(async () => {
  stateDir = await tempStateDir();
});
afterEach(async () => {
  await ledger.killAll(stateDir);
  await removeDir(stateDir);
});

describe('healthPoller with a real server', () => {
  it('llama-server 503 Loading model → PROBE_LOADING, then PROBE_OK', async () => {
    const port = await freePort();
    const ref = serviceRef(providerConfig('llamacpp', port), stateDir);
    const deps = resolveDeps({ env: testEnv({ ACODE_FAKE_LOAD_DELAY_MS: '1500' }) });
    const { pid } = await spawnServer(ref, deps);
    ledger.add(pid);
    const events: ActorEvent[] = [];
    const stop = healthPoller({ ...ref, phase: 'starting', maxMisses: 3 }, deps, (e) => events.push(e));
    await until(() => events.some((e) => e.type === 'PROBE_OK'), { what: 'PROBE_OK' });
    stop();
    expect(events.map((e) => e.type)).toEqual(['PROBE_LOADING', 'PROBE_OK']);
  });

  it('healthy phase: a killed server is PROBE_FAILED after maxMisses consecutive misses', async () => {
    const port = await freePort();
    const ref = serviceRef(providerConfig('llamacpp', port), stateDir);
    const deps = resolveDeps({ env: testEnv() });
    const { pid } = await spawnServer(ref, deps);
    ledger.add(pid);
    const started: ActorEvent[] = [];
    const stopStart = healthPoller({ ...ref, phase: 'starting', maxMisses: 3 }, deps, (e) => started.push(e));
    await until(() => started.some((e) => e.type === 'PROBE_OK'), { what: 'ready' });
    stopStart();
    const events: ActorEvent[] = [];
    const stop = healthPoller({ ...ref, phase: 'healthy', maxMisses: 2 }, deps, (e) => events.push(e));
    process.kill(pid!, 'SIGKILL');
    await until(() => events.length > 0, { what: 'PROBE_FAILED' });
    stop();
    expect(events).toEqual([expect.objectContaining({ type: 'PROBE_FAILED', misses: 2 })]);
    expect((events[0] as { detail: string }).detail).toMatch(/refused|ECONNREFUSED|connect/i);
  });
});

/** An adapter whose health() answers from a script; the last answer repeats. */
function scriptedAdapter(script: HealthResult['status'][], calls: { n: number }): ModelProvider {
  return {
    id: 'fake',
    capabilities: {
      streaming: true,
      tools: false,
      structuredOutput: false,
      embeddings: false,
      vision: false,
      continueFinalMessage: false,
    },
    complete: () => Promise.reject(new Error('not used')),
    stream: () => {
      throw new Error('not used');
    },
    health: async () => {
      const status = script[Math.min(calls.n, script.length - 1)] ?? 'down';
      calls.n += 1;
      return { ok: status === 'ready', status, detail: status };
    },
    listModels: () => Promise.resolve([]),
    modelInfo: () => Promise.reject(new Error('not used')),
    close: () => Promise.resolve(),
  };
}

const flush = async (): Promise<void> => {
  for (let i = 0; i < 5; i++) await Promise.resolve();
};

describe('healthPoller schedule (SimulatedClock)', () => {
  it('starting: probes at once, every 50 ms for the first second, then after 100, 200, 400, 800, 1000 ms', async () => {
    const clock = new SimulatedClock();
    const calls = { n: 0 };
    const gaps = [...Array<number>(20).fill(50), 100, 200, 400, 800, 1000, 1000];
    const script: HealthResult['status'][] = [
      'down',
      'down',
      ...Array<HealthResult['status']>(gaps.length - 2).fill('starting'),
      'ready',
    ];
    const deps = resolveDeps({ clock, createAdapter: () => scriptedAdapter(script, calls) });
    const events: ActorEvent[] = [];
    const stop = healthPoller(
      { ...serviceRef(providerConfig('llamacpp', 1), '/nonexistent'), phase: 'starting', maxMisses: 3 },
      deps,
      (e) => events.push(e),
    );
    await flush();
    expect(calls.n).toBe(1);
    // Just before each gap ends nothing new has happened; at its end exactly one more probe has.
    const seen: number[] = [];
    const expected: number[] = [];
    gaps.forEach((_, i) => expected.push(i + 1, i + 2));
    for (const gap of gaps) {
      clock.increment(gap - 1);
      await flush();
      seen.push(calls.n);
      clock.increment(1);
      await flush();
      seen.push(calls.n);
    }
    stop();
    expect(seen).toEqual(expected);
    expect(events.map((e) => e.type)).toEqual(['PROBE_LOADING', 'PROBE_OK']);
  });

  it('healthy: one probe per interval, misses reset by a success, PROBE_FAILED at maxMisses', async () => {
    const clock = new SimulatedClock();
    const calls = { n: 0 };
    const deps = resolveDeps({
      clock,
      createAdapter: () => scriptedAdapter(['down', 'ready', 'down', 'error', 'down'], calls),
    });
    const events: ActorEvent[] = [];
    const provider = providerConfig('llamacpp', 1, {});
    provider.lifecycle = { ...provider.lifecycle, healthCheckIntervalSeconds: 60 };
    const stop = healthPoller({ ...serviceRef(provider, '/nonexistent'), phase: 'healthy', maxMisses: 2 }, deps, (e) =>
      events.push(e),
    );
    await flush();
    expect(calls.n).toBe(0);
    for (let i = 0; i < 4; i++) {
      clock.increment(60_000);
      await flush();
    }
    stop();
    expect(calls.n).toBe(4);
    expect(events).toEqual([{ type: 'PROBE_FAILED', misses: 2, detail: 'error' }]);
    clock.increment(600_000);
    await flush();
    expect(calls.n).toBe(4);
  });
});
