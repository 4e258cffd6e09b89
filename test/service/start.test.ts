// Issue 5, "Done when": the service machine with the real actors, spawning the real stand-in servers.
// Starting: cold start, adopting a running server, binary missing, a foreign port holder, an exit
// during start, a start timeout.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { logFilePath, pidFilePath, readPidFile } from '../../actors/index.js';
import { freePort, startTestServer, type TestServer } from '../servers/harness.js';
import { World, eachTestWorld, serversOnPort, top, failureOf } from './helpers.js';
import { pidAlive, until } from '../support/processes.js';
import { providerConfig } from '../support/providers.js';

let world: World;
const strangers: ChildProcess[] = [];
const servers: TestServer[] = [];
eachTestWorld((w) => (world = w));
afterEach(async () => {
  for (const s of strangers.splice(0)) s.kill('SIGKILL');
  await Promise.all(servers.splice(0).map((s) => s.stop()));
});

describe('service + real actors: starting', { timeout: 60_000 }, () => {
  it('cold start: detecting → starting → healthy with the model ready; the pid is ours and stop ends it', async () => {
    const port = await freePort();
    const { service, labels } = world.service('vllm', port, { env: { ACODE_FAKE_LOAD_DELAY_MS: '300' } });
    const adapter = await service.ensureHealthy();
    expect((await adapter.health()).status).toBe('ready');
    expect(labels.slice(0, 3)).toEqual(['stopped', 'detecting', 'starting']);
    expect(labels.at(-1)).toBe('healthy/ready');
    const status = service.status();
    const record = await readPidFile(world.stateDir, providerConfig('vllm', port));
    expect(status).toMatchObject({ state: 'healthy', model: 'ready', owned: true, pid: record?.pid });
    expect(await serversOnPort(port)).toEqual([record!.pid]);
    await service.stop();
    expect(pidAlive(record!.pid)).toBe(false);
    expect(existsSync(pidFilePath(world.stateDir, providerConfig('vllm', port)))).toBe(false);
  });

  it('adopts a server that is already running, never spawns, and leaves it running on stop and dispose', async () => {
    const server = await startTestServer('llama-server');
    servers.push(server);
    const { service, labels } = world.service('llamacpp', server.port);
    await service.ensureHealthy();
    expect(labels).toEqual(['stopped', 'detecting', 'healthy/unknown', 'healthy/checking', 'healthy/ready']);
    expect(service.status()).toMatchObject({ owned: false, pid: null });
    expect(existsSync(logFilePath(world.stateDir, providerConfig('llamacpp', server.port)))).toBe(false);
    await service.stop();
    expect(top(service)).toBe('stopped');
    await service.dispose();
    expect(pidAlive(server.pid)).toBe(true);
    expect((await fetch(`${server.url}/health`)).status).toBe(200);
  });

  it('binary missing: failed with BINARY_NOT_FOUND naming the binary and the config key', async () => {
    const port = await freePort();
    const { service } = world.service('llamacpp', port, {
      provider: { binary: '/nonexistent/acode-test/llama-server' },
    });
    const error = await failureOf(service.ensureHealthy());
    expect(error).toMatchObject({ code: 'BINARY_NOT_FOUND' });
    expect(`${error.message} ${error.hint}`).toContain('/nonexistent/acode-test/llama-server');
    expect(`${error.message} ${error.hint}`).toContain('providers.llamacpp.binary');
    expect(top(service)).toBe('failed');
  });

  it('port held by a foreign process: failed with PORT_IN_USE naming its pid; the holder is left alone', async () => {
    const port = await freePort();
    const stranger = spawn(
      process.execPath,
      ['-e', `require('net').createServer(() => {}).listen(${port}, '127.0.0.1', () => console.log('up'))`],
      { stdio: ['ignore', 'pipe', 'ignore'] },
    );
    strangers.push(stranger);
    await new Promise<void>((done) => stranger.stdout.once('data', () => done()));
    const { service } = world.service('llamacpp', port);
    const error = await failureOf(service.ensureHealthy());
    expect(error.code).toBe('PORT_IN_USE');
    expect(error.message).toContain(String(stranger.pid));
    expect(error.hint).toMatch(/providers\.llamacpp\.port/);
    expect(top(service)).toBe('failed');
    expect(stranger.exitCode).toBeNull();
    expect(stranger.signalCode).toBeNull();
    expect(existsSync(pidFilePath(world.stateDir, providerConfig('llamacpp', port)))).toBe(false);
  });

  it('exit during start: failed with START_FAILED, the exit code and the server log tail', async () => {
    const port = await freePort();
    const { service, labels } = world.service('llamacpp', port, { env: { ACODE_FAKE_EXIT_CODE: '3' } });
    const error = await failureOf(service.ensureHealthy());
    expect(error.code).toBe('START_FAILED');
    expect(error.message).toContain('code 3');
    expect(labels).toEqual(['stopped', 'detecting', 'starting', 'failed']);
    // The tail is the server's own last words, read from its log file.
    expect(service.status().lastError?.details?.logTail).toEqual(
      expect.arrayContaining([expect.stringContaining('exiting with code 3 at start')]),
    );
  });

  it('start timeout: a server that never binds is failed with START_TIMEOUT, and the process we started is reaped', async () => {
    const port = await freePort();
    const { service } = world.service('vllm', port, {
      lifecycle: { startTimeoutSeconds: 1 },
      env: { ACODE_FAKE_STARTUP_DELAY_MS: '120000' },
    });
    const error = await failureOf(service.ensureHealthy());
    expect(error.code).toBe('START_TIMEOUT');
    // failed first stops what it still owns, and the failure is reported only once that is done: a CLI
    // that exits on the error leaves no server behind and no pid file.
    expect(service.status()).toMatchObject({ state: 'failed', pid: null, owned: false });
    expect(existsSync(pidFilePath(world.stateDir, providerConfig('vllm', port)))).toBe(false);
    await until(async () => (await serversOnPort(port)).length === 0, { what: 'the timed-out server to be gone' });
  });
});
