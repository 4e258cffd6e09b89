// Issue 5, "Done when": monitored and external lifecycles (never spawn, never stop), two acode processes
// racing to start one provider (exactly one server), and a stale pid file whose pid now belongs to
// another process (never signalled).
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { execa } from 'execa';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { logFilePath, pidFilePath, readPidFile } from '../../actors/index.js';
import { freePort, startTestServer, type TestServer } from '../servers/harness.js';
import { requireBuiltServers } from '../actors/helpers.js';
import { World, serversOnPort, top, waitState, failureOf } from './helpers.js';
import { pidAlive, until } from '../support/processes.js';
import { providerConfig } from '../support/providers.js';

const FIXTURE = resolve(import.meta.dirname, '..', '..', 'dist', 'test', 'service', 'fixtures', 'ensure-once.js');
let world: World;
const servers: TestServer[] = [];
const strangers: ChildProcess[] = [];
beforeAll(() => {
  requireBuiltServers();
  if (!existsSync(FIXTURE)) throw new Error(`${FIXTURE} is missing: run \`npx tsc -p tsconfig.json\` first.`);
});
beforeEach(async () => {
  world = await World.create();
});
afterEach(async () => {
  await world.cleanup();
  for (const s of strangers.splice(0)) s.kill('SIGKILL');
  await Promise.all(servers.splice(0).map((s) => s.stop()));
});

async function serverOn(port: number): Promise<TestServer> {
  const server = await startTestServer('llama-server', { port });
  servers.push(server);
  return server;
}

describe('service + real actors: lifecycle modes', { timeout: 60_000 }, () => {
  it('monitored: down is unavailable with a systemctl hint and nothing spawned; it polls to healthy; a death is unavailable, not a restart', async () => {
    const port = await freePort();
    const { service, labels } = world.service('llamacpp', port, { lifecycle: { mode: 'monitored' } });
    const error = await failureOf(service.ensureHealthy());
    expect(error).toMatchObject({ code: 'PROVIDER_UNAVAILABLE' });
    expect(error.hint).toContain('systemctl');
    expect(top(service)).toBe('unavailable');
    expect(existsSync(logFilePath(world.stateDir, providerConfig('llamacpp', port)))).toBe(false);

    const server = await serverOn(port);
    await waitState(service, 'healthy');
    await until(() => service.status().model === 'ready', { what: 'model ready' });
    expect(service.status()).toMatchObject({ owned: false, pid: null });

    server.kill('SIGKILL');
    await server.exited;
    await waitState(service, 'unavailable');
    expect(labels).toContain('crashed');
    expect(labels).not.toContain('restarting');
    expect(labels).not.toContain('starting');
    expect(await serversOnPort(port)).toEqual([]);
  });

  it('external: assumed up without a probe; a failed request re-probes → unavailable, never spawned; ENSURE finds it again', async () => {
    const port = await freePort();
    const server = await serverOn(port);
    const { service, labels } = world.service('llamacpp', port, { lifecycle: { mode: 'external' } });
    await service.ensureHealthy();
    expect(labels).toEqual(['stopped', 'healthy/unknown', 'healthy/checking', 'healthy/ready']);

    server.kill('SIGKILL');
    await server.exited;
    service.requestFailed(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }));
    await waitState(service, 'unavailable');
    expect(labels.slice(-2)).toEqual(['crashed', 'unavailable']);
    expect(service.status().lastError?.code).toBe('PROVIDER_UNAVAILABLE');
    expect(await serversOnPort(port)).toEqual([]);
    expect(existsSync(pidFilePath(world.stateDir, providerConfig('llamacpp', port)))).toBe(false);

    const again = await serverOn(port);
    await service.ensureHealthy();
    await service.stop();
    expect(pidAlive(again.pid)).toBe(true);
  });
});

describe('service + real actors: across processes', { timeout: 120_000 }, () => {
  it('two processes racing to start the same provider: both healthy on the same pid, exactly one server', async () => {
    for (let run = 0; run < 3; run += 1) {
      const port = await freePort();
      const env = world.env({ ACODE_FAKE_LOAD_DELAY_MS: '300' });
      const both = await Promise.all(
        [0, 1].map(() =>
          execa('node', [FIXTURE, world.stateDir, String(port)], { env, extendEnv: false, reject: false }),
        ),
      );
      const results = both.map(
        (r) =>
          JSON.parse(r.stdout.trim().split('\n').at(-1) ?? '{}') as {
            state?: string;
            model?: string;
            pid?: number;
            error?: string;
          },
      );
      const onPort = await serversOnPort(port);
      for (const pid of onPort) world.ledger.add(pid);
      expect(results.map((r) => r.error)).toEqual([undefined, undefined]);
      expect(results.map((r) => `${r.state}/${r.model}`)).toEqual(['healthy/ready', 'healthy/ready']);
      expect(onPort).toHaveLength(1);
      expect(results.map((r) => r.pid)).toEqual([onPort[0], onPort[0]]);
      expect((await readPidFile(world.stateDir, providerConfig('llamacpp', port)))?.pid).toBe(onPort[0]);
      for (const pid of onPort) process.kill(pid, 'SIGKILL');
      await until(() => onPort.every((pid) => !pidAlive(pid)), { what: 'run servers gone' });
    }
  });

  it('a stale pid file whose pid now belongs to another process: never signalled through start, restart and stop', async () => {
    const port = await freePort();
    const sleeper = spawn('sleep', ['600'], { stdio: 'ignore' });
    strangers.push(sleeper);
    let signalled: string | null = null;
    sleeper.once('exit', (code, signal) => (signalled = signal ?? `exit ${code}`));
    const file = pidFilePath(world.stateDir, providerConfig('llamacpp', port));
    await mkdir(dirname(file), { recursive: true });
    // The server this file named died long ago; its pid is now the sleeper's (other start time).
    await writeFile(
      file,
      JSON.stringify({
        pid: sleeper.pid,
        startTime: '1',
        cmdline: ['node', '/x/llama-server.js', '-m', 'm.gguf', '--port', String(port)],
        port,
        startedAt: new Date(0).toISOString(),
        binary: 'llama-server',
      }),
    );
    const { service, labels } = world.service('llamacpp', port);
    await service.ensureHealthy();
    const first = service.status().pid!;
    expect(first).not.toBe(sleeper.pid);
    expect((await readPidFile(world.stateDir, providerConfig('llamacpp', port)))?.pid).toBe(first);

    process.kill(first, 'SIGKILL');
    await until(() => labels.filter((l) => l === 'healthy/ready').length === 2, {
      what: 'restart to healthy',
      timeoutMs: 20_000,
    });
    await service.stop();
    expect(top(service)).toBe('stopped');
    expect(signalled).toBeNull();
    expect(pidAlive(sleeper.pid!)).toBe(true);
    expect((await readFile(`/proc/${sleeper.pid}/cmdline`, 'utf8')).split('\0')[0]).toBe('sleep');
  });
});
