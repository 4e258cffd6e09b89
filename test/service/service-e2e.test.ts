// The real service machine driven by the real actors against the stand-in servers: the contract
// between machines/ and actors/ exercised end to end (cold start, crash and restart, stop, pull, a cancelled spawn).
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createActorImplementations, pidFilePath, readPidFile, settleCleanups } from '../../actors/index.js';
import { resolveDeps } from '../../actors/deps.js';
import { registerChild } from '../../actors/process-table.js';
import { spawnServer } from '../../actors/server-process.js';
import { terminateChild } from '../../actors/terminate-child.js';
import { createService, type Service } from '../../machines/service.js';
import {
  PidLedger,
  freePort,
  removeDir,
  requireBuiltServers,
  serviceRef,
  tempStateDir,
  testEnv,
} from '../actors/helpers.js';
import { pidAlive, until } from '../support/processes.js';
import { providerConfig } from '../support/providers.js';

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
      if (e.type === '@xstate.event' && e.actorRef.sessionId === e.rootId)
        trace.push(JSON.stringify(e.event).slice(0, 200));
      if (e.type === '@xstate.snapshot' && e.actorRef.sessionId === e.rootId) {
        const snap = e.snapshot as { value?: unknown; context?: { pid?: unknown; owned?: unknown } };
        trace.push(
          `  -> ${JSON.stringify(snap.value)} pid=${String(snap.context?.pid)} owned=${String(snap.context?.owned)}`,
        );
      }
    },
  });
  services.push(service);
  return service;
}

const top = (service: Service): string => {
  const value = service.actor.getSnapshot().value;
  return typeof value === 'string' ? value : (Object.keys(value)[0] ?? '');
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
    await until(
      async () => {
        const record = await readPidFile(stateDir, providerConfig('llamacpp', port));
        return record !== undefined && record.pid !== first && top(service) === 'healthy';
      },
      { what: 'restarted and healthy', timeoutMs: 20_000 },
    );
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

// A spawn reports its pid as soon as the child exists, and a spawn cancelled after that kills the child
// it made (its process group, SIGTERM then SIGKILL) and removes its pid file, whether the cancel comes
// from a STOP or from the actor being stopped (Ctrl-C disposing the registry).
/** Every pid file in the state dir, whatever it is keyed by. */
async function pidFilesIn(dir: string): Promise<string[]> {
  const names = await readdir(join(dir, 'run')).catch(() => [] as string[]);
  return names.filter((name) => name.endsWith('.json'));
}

async function cancelAtSpawn(env: NodeJS.ProcessEnv): Promise<{ pid: number | undefined; error: unknown }> {
  const ref = serviceRef(providerConfig('llamacpp', await freePort()), stateDir);
  const ac = new AbortController();
  let pid: number | undefined;
  const error = await spawnServer(ref, resolveDeps({ env }), {
    signal: ac.signal,
    onSpawned: (spawned) => {
      pid = spawned;
      ledger.add(spawned);
      ac.abort();
    },
  }).then(
    (result) => {
      ledger.add(result.pid);
      return undefined;
    },
    (e: unknown) => e,
  );
  return { pid, error };
}

/**
 * Starts a service and runs `act` the moment the machine learns the pid while the spawn actor still
 * runs (PROCESS_SPAWNED), before that actor can resolve (it has I/O left: the log's close, the pid file).
 */
async function atSpawned(act: (service: Service) => Promise<void>): Promise<number> {
  const provider = providerConfig('llamacpp', await freePort());
  provider.lifecycle = { ...provider.lifecycle, startTimeoutSeconds: 20 };
  const service = createService({
    ref: serviceRef(provider, stateDir),
    actors: createActorImplementations({ env: testEnv() }),
    tuning: { graceMs: 2_000 },
  });
  services.push(service);
  let acted: { pid: number; done: Promise<void> } | undefined;
  service.actor.subscribe((s) => {
    if (acted === undefined && s.matches({ starting: { proc: 'spawning' } }) && s.context.pid !== null) {
      const pid = s.context.pid;
      ledger.add(pid);
      acted = { pid, done: new Promise<void>((resolve) => queueMicrotask(resolve)).then(() => act(service)) };
    }
  });
  service.start();
  const settled = () =>
    !service.actor.getSnapshot().matches('detecting') && !service.actor.getSnapshot().matches('starting');
  await until(() => acted !== undefined || settled(), { what: 'the pid while spawning, or the start to end' });
  if (acted === undefined)
    throw new Error(
      `the machine never knew the pid while spawning; it went to ${JSON.stringify(service.actor.getSnapshot().value)}`,
    );
  await acted.done;
  return acted.pid;
}

describe('a cancelled spawn', () => {
  it('reports the pid before it resolves; cancelled then, it kills the child and removes its pid file', async () => {
    const { pid, error } = await cancelAtSpawn(testEnv());
    expect(pid, 'onSpawned was never called').toBeGreaterThan(0);
    expect((error as Error | undefined)?.name).toBe('AbortError');
    expect(pidAlive(pid!)).toBe(false);
    expect(await pidFilesIn(stateDir)).toEqual([]);
  });

  it('STOP while spawning, once the pid is known: stopped, with no process and no pid file left', async () => {
    let after = '';
    const pid = await atSpawned(async (service) => {
      await service.stop();
      after = JSON.stringify(service.actor.getSnapshot().value);
    });
    expect(after).toBe('"stopped"');
    await settleCleanups();
    expect(pidAlive(pid)).toBe(false);
    expect(await pidFilesIn(stateDir)).toEqual([]);
  });

  it('the service actor stopped while spawning (no STOP): the clean-up the exit path waits for kills the child', async () => {
    const pid = await atSpawned((service) => service.dispose());
    await settleCleanups();
    expect(pidAlive(pid)).toBe(false);
    expect(await pidFilesIn(stateDir)).toEqual([]);
  });
});

describe('terminateChild', () => {
  it('SIGKILLs the group of a child that ignores SIGTERM once the grace is over', async () => {
    // `trap '' TERM` is inherited by the exec'd sleep; "ready" says the trap is set.
    const child = spawn('sh', ['-c', "trap '' TERM; echo ready; exec sleep 30"], {
      detached: true,
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    ledger.add(child.pid);
    const entry = registerChild(child, { pid: child.pid!, providerId: 'test', logFile: '/dev/null', logOffset: 0 });
    await new Promise((resolve) => child.stdout.once('data', resolve));
    const ended = await terminateChild(entry, { graceMs: 300, killWaitMs: 5_000 });
    expect(ended).toEqual({ signal: 'SIGKILL', gone: true });
    expect(entry.exit).toEqual({ exitCode: null, signal: 'SIGKILL' });
    expect(entry.stopRequested).toBe(true);
  });
});
