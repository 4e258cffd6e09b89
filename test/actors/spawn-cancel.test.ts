// A spawn reports its pid as soon as the child exists, and a spawn cancelled after that kills the child
// it made (its process group, SIGTERM then SIGKILL) and removes its pid file, whether the cancel comes
// from a STOP or from the actor being stopped (Ctrl-C disposing the registry).
import { spawn } from 'node:child_process';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createActorImplementations, readPidFile, settleCleanups } from '../../actors/index.js';
import { resolveDeps } from '../../actors/deps.js';
import { spawnServer } from '../../actors/server-process.js';
import { registerChild } from '../../actors/process-table.js';
import { terminateChild } from '../../actors/terminate-child.js';
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
  const service = createService({ ref: serviceRef(provider, stateDir), actors: createActorImplementations({ env: testEnv() }), tuning: { graceMs: 2_000 } });
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
  const settled = () => !service.actor.getSnapshot().matches('detecting') && !service.actor.getSnapshot().matches('starting');
  await until(() => acted !== undefined || settled(), { what: 'the pid while spawning, or the start to end' });
  if (acted === undefined) throw new Error(`the machine never knew the pid while spawning; it went to ${JSON.stringify(service.actor.getSnapshot().value)}`);
  await acted.done;
  return acted.pid;
}

describe('a cancelled spawn', () => {
  it('reports the pid before it resolves; cancelled then, it kills the child and removes its pid file', async () => {
    const { pid, error } = await cancelAtSpawn(testEnv());
    expect(pid, 'onSpawned was never called').toBeGreaterThan(0);
    expect((error as Error | undefined)?.name).toBe('AbortError');
    expect(pidAlive(pid!)).toBe(false);
    expect(await readPidFile(stateDir, 'llamacpp')).toBeUndefined();
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
    expect(await readPidFile(stateDir, 'llamacpp')).toBeUndefined();
  });

  it('the service actor stopped while spawning (no STOP): the clean-up the exit path waits for kills the child', async () => {
    const pid = await atSpawned((service) => service.dispose());
    await settleCleanups();
    expect(pidAlive(pid)).toBe(false);
    expect(await readPidFile(stateDir, 'llamacpp')).toBeUndefined();
  });
});

describe('terminateChild', () => {
  it('SIGKILLs the group of a child that ignores SIGTERM once the grace is over', async () => {
    // `trap '' TERM` is inherited by the exec'd sleep; "ready" says the trap is set.
    const child = spawn('sh', ['-c', "trap '' TERM; echo ready; exec sleep 30"], { detached: true, stdio: ['ignore', 'pipe', 'ignore'] });
    ledger.add(child.pid);
    const entry = registerChild(child, { pid: child.pid!, providerId: 'test', logFile: '/dev/null', logOffset: 0 });
    await new Promise((resolve) => child.stdout.once('data', resolve));
    const ended = await terminateChild(entry, { graceMs: 300, killWaitMs: 5_000 });
    expect(ended).toEqual({ signal: 'SIGKILL', gone: true });
    expect(entry.exit).toEqual({ exitCode: null, signal: 'SIGKILL' });
    expect(entry.stopRequested).toBe(true);
  });
});
