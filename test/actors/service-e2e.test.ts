// The real service machine driven by the real actors against the stand-in servers: the contract
// between machines/ and actors/ exercised end to end (cold start, crash and restart, stop, pull).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createActorImplementations, pidFilePath, readPidFile } from '../../actors/index.js';
import { createService, type Service } from '../../machines/service.js';
import { PidLedger, freePort, pidAlive, providerConfig, removeDir, requireBuiltServers, serviceRef, tempStateDir, testEnv, until } from './helpers.js';

const ledger = new PidLedger();
const services: Service[] = [];
let stateDir: string;

beforeAll(() => requireBuiltServers());
beforeEach(async () => {
  stateDir = await tempStateDir();
});
afterEach(async () => {
  for (const service of services.splice(0)) await service.dispose();
  await ledger.killAll(stateDir);
  await removeDir(stateDir);
});

/** The service's top-level states and events, printed when an assertion fails (timing-dependent bugs). */
const trace: string[] = [];

function makeService(kind: 'llamacpp' | 'ollama', port: number, env: NodeJS.ProcessEnv): Service {
  trace.length = 0;
  const provider = providerConfig(kind, port);
  provider.lifecycle = { ...provider.lifecycle, startTimeoutSeconds: 20, modelLoadTimeoutSeconds: 20 };
  const service = createService({
    ref: serviceRef(provider, stateDir),
    actors: createActorImplementations({ env }),
    tuning: { graceMs: 2_000, maxMisses: 2, backoff: { baseMs: 50, capMs: 200 } },
    inspect: (e) => {
      if (e.type === '@xstate.event' && e.actorRef.sessionId === e.rootId) trace.push(JSON.stringify(e.event).slice(0, 200));
      if (e.type === '@xstate.snapshot' && e.actorRef.sessionId === e.rootId) {
        const snap = e.snapshot as { value?: unknown; context?: { pid?: unknown; owned?: unknown } };
        trace.push(`  -> ${JSON.stringify(snap.value)} pid=${String(snap.context?.pid)} owned=${String(snap.context?.owned)}`);
      }
    },
  });
  services.push(service);
  return service;
}

const top = (service: Service): string => {
  const value = service.actor.getSnapshot().value;
  return typeof value === 'string' ? value : Object.keys(value)[0] ?? '';
};

describe('service machine + real actors', () => {
  it('cold start to healthy, kill -9 → restart → healthy, stop → stopped with no process left', async () => {
    const port = await freePort();
    const service = makeService('llamacpp', port, testEnv());
    const adapter = await service.ensureHealthy();
    expect((await adapter.health()).status).toBe('ready');
    const first = (await readPidFile(stateDir, providerConfig('llamacpp', port)))!.pid;
    ledger.add(first);

    process.kill(first, 'SIGKILL');
    await until(async () => {
      const record = await readPidFile(stateDir, providerConfig('llamacpp', port));
      return record !== undefined && record.pid !== first && top(service) === 'healthy';
    }, { what: 'restarted and healthy', timeoutMs: 20_000 });
    const second = (await readPidFile(stateDir, providerConfig('llamacpp', port)))!.pid;
    ledger.add(second);
    expect(second).not.toBe(first);

    await service.stop();
    expect(top(service)).toBe('stopped');
    expect(pidAlive(second), trace.join('\n')).toBe(false);
    expect(existsSync(pidFilePath(stateDir, providerConfig('llamacpp', port)))).toBe(false);
  });

  it('Ollama without the model: ensureHealthy pulls it and hands out a ready provider', async () => {
    const port = await freePort();
    const env = testEnv({ HOME: stateDir, OLLAMA_MODELS: join(stateDir, 'models'), ACODE_FAKE_PULL_BYTES: '2000000' });
    const service = makeService('ollama', port, env);
    const adapter = await service.ensureHealthy();
    ledger.add((await readPidFile(stateDir, providerConfig('ollama', port)))?.pid);
    const models = await adapter.listModels();
    expect(models.map((m) => m.id)).toContain('llama3.2:latest');
  });
});
