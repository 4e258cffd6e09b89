// Issue 5, "Done when": crash and restart within the budget, a spent budget, llama-server's 503 while
// loading, and a stop that needs SIGKILL. The real service machine spawns the real stand-ins.
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { logFilePath, pidFilePath, readPidFile } from '../../actors/index.js';
import { freePort } from '../servers/harness.js';
import { World, eachTestWorld, serversOnPort, top, waitState } from './helpers.js';
import { pidAlive, until } from '../support/processes.js';
import { providerConfig } from '../support/providers.js';

let world: World;
eachTestWorld((w) => (world = w));

async function currentPid(port: number): Promise<number> {
  const record = await readPidFile(world.stateDir, providerConfig('llamacpp', port));
  if (!record) throw new Error('no pid file');
  return record.pid;
}

describe('service + real actors: crashes, restarts, stop', { timeout: 60_000 }, () => {
  it('kill -9 while healthy: crashed → restarting → starting → healthy with a new process, one restart counted', async () => {
    const port = await freePort();
    const { service, labels } = world.service('llamacpp', port, {
      lifecycle: { maxRestarts: 3, restartWindowSeconds: 60 },
    });
    await service.ensureHealthy();
    const first = await currentPid(port);
    labels.length = 0;
    process.kill(first, 'SIGKILL');
    await until(() => labels.at(-1) === 'healthy/ready' && labels.includes('restarting'), {
      what: 'restart to healthy',
      timeoutMs: 20_000,
    });
    expect(labels).toEqual([
      'crashed',
      'restarting',
      'starting',
      'healthy/unknown',
      'healthy/checking',
      'healthy/ready',
    ]);
    const second = await currentPid(port);
    expect(second).not.toBe(first);
    expect(service.status()).toMatchObject({ pid: second, owned: true, restartsInWindow: 1 });
    expect(await serversOnPort(port)).toEqual([second]);
    expect((await (await service.ensureHealthy()).health()).status).toBe('ready');
  });

  it('budget spent: the next crash is failed CRASH_LOOP with the server log tail, and nothing restarts it', async () => {
    const port = await freePort();
    const { service, labels } = world.service('llamacpp', port, {
      lifecycle: { maxRestarts: 1, restartWindowSeconds: 600 },
    });
    await service.ensureHealthy();
    process.kill(await currentPid(port), 'SIGKILL');
    await until(() => labels.filter((l) => l === 'healthy/ready').length === 2, {
      what: 'first restart',
      timeoutMs: 20_000,
    });
    const second = await currentPid(port);
    process.kill(second, 'SIGKILL');
    await waitState(service, 'failed');
    const error = service.status().lastError!;
    expect(error.code).toBe('CRASH_LOOP');
    expect(error.message).toMatch(/crash-looping: 2 exits in 600 s/);
    const tail = (error.details as { logTail: string[] }).logTail;
    expect(tail.length).toBeGreaterThan(0);
    expect(tail.length).toBeLessThanOrEqual(20);
    // The tail is the server's own log: its ready line is in it.
    expect(tail.join('\n')).toContain('server is listening');
    expect(readFileSync(logFilePath(world.stateDir, providerConfig('llamacpp', port)), 'utf8')).toContain(tail.at(-1)!);
    await expect(service.ensureHealthy()).rejects.toMatchObject({ code: 'CRASH_LOOP' });
    expect(top(service)).toBe('failed');
    expect(await serversOnPort(port)).toEqual([]);
    expect(labels.filter((l) => l === 'restarting')).toHaveLength(1);
  });

  it('llama-server answering 503 Loading model is starting, not crashed, and becomes healthy past the start timeout', async () => {
    const port = await freePort();
    // Loading outlasts start_timeout_seconds: only the 503-is-loading rule (model_load_timeout) gets it healthy.
    const { service, labels } = world.service('llamacpp', port, {
      lifecycle: { startTimeoutSeconds: 2, modelLoadTimeoutSeconds: 30 },
      env: { ACODE_FAKE_LOAD_DELAY_MS: '5000' },
    });
    let sawLoading = false;
    const sub = service.actor.subscribe((s) => {
      if (s.matches({ starting: { readiness: 'loading' } })) sawLoading = true;
    });
    await service.ensureHealthy();
    sub.unsubscribe();
    expect(sawLoading).toBe(true);
    expect(labels).toEqual([
      'stopped',
      'detecting',
      'starting',
      'healthy/unknown',
      'healthy/checking',
      'healthy/ready',
    ]);
    expect(service.status().restartsInWindow).toBe(0);
  });

  it('stop with a server that ignores SIGTERM: SIGKILL after the grace period, stopped, nothing left', async () => {
    const port = await freePort();
    const { service, labels } = world.service('llamacpp', port, {
      env: { ACODE_FAKE_IGNORE_SIGTERM: '1' },
      graceMs: 500,
    });
    await service.ensureHealthy();
    const pid = await currentPid(port);
    await service.stop();
    expect(labels.slice(-2)).toEqual(['stopping', 'stopped']);
    expect(pidAlive(pid)).toBe(false);
    // It logged the SIGTERM it ignored, so only the SIGKILL can have ended it.
    expect(readFileSync(logFilePath(world.stateDir, providerConfig('llamacpp', port)), 'utf8')).toContain(
      'received SIGTERM, ignoring it',
    );
    expect(existsSync(pidFilePath(world.stateDir, providerConfig('llamacpp', port)))).toBe(false);
    expect(service.status().lastError).toBeNull();
  });
});
