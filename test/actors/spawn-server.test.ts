// spawnServer + watchProcess + stopServer against the real stand-in servers, as child processes.
import { readFile, writeFile, mkdir } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { dirname } from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { isAcodeError } from '../../config/index.js';
import { isPortFree, pidFilePath, logFilePath, readPidFile, type ActorEvent } from '../../actors/index.js';
import { resolveDeps } from '../../actors/deps.js';
import { spawnServer } from '../../actors/server-process.js';
import { watchProcess } from '../../actors/watch-process.js';
import { stopServer } from '../../actors/stop-server.js';
import { detectService } from '../../actors/detect.js';
import { PidLedger, freePort, removeDir, requireBuiltServers, serviceRef, tempStateDir, testEnv } from './helpers.js';
import { pidAlive, until } from '../support/processes.js';
import { providerConfig } from '../support/providers.js';

const ledger = new PidLedger();
let stateDir: string;
const servers: Server[] = [];
const sockets: Socket[] = [];

beforeAll(() => requireBuiltServers());
beforeEach(async () => {
  stateDir = await tempStateDir();
});
afterEach(async () => {
  await ledger.killAll(stateDir);
  for (const socket of sockets.splice(0)) socket.destroy();
  for (const server of servers.splice(0)) await new Promise((done) => server.close(done));
  await removeDir(stateDir);
});

async function expectRejectCode(promise: Promise<unknown>, code: string): Promise<Record<string, unknown>> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(isAcodeError(error), `expected an AcodeError ${code}, got ${String(error)}`).toBe(true);
  if (!isAcodeError(error)) throw new Error('unreachable');
  expect(error.code).toBe(code);
  return { message: error.message, hint: error.hint, ...error.details };
}

describe('spawnServer', () => {
  it('spawns llama-server detached, writes the pid file in the state dir, and reaches ready', async () => {
    const port = await freePort();
    const ref = serviceRef(providerConfig('llamacpp', port), stateDir);
    const deps = resolveDeps({ env: testEnv() });
    const result = await spawnServer(ref, deps);
    ledger.add(result.pid);
    expect(result.adopted).toBe(false);
    expect(result.pid).toBeGreaterThan(0);
    const record = await readPidFile(stateDir, providerConfig('llamacpp', port));
    expect(record?.pid).toBe(result.pid);
    expect(record?.port).toBe(port);
    expect(record?.startTime).toMatch(/^\d+$/);
    expect(pidFilePath(stateDir, providerConfig('llamacpp', port)).startsWith(stateDir)).toBe(true);
    await until(async () => (await detectService(ref, deps)).kind === 'running', { what: 'llama-server ready' });
    expect(await detectService(ref, deps)).toEqual({ kind: 'running', ownedPid: result.pid });
    // Its own process group, so a stop reaches its workers and a Ctrl-C of the CLI does not reach it.
    const stat = await readFile(`/proc/${result.pid}/stat`, 'utf8');
    expect(Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2])).toBe(result.pid);
    const log = await readFile(logFilePath(stateDir, providerConfig('llamacpp', port)), 'utf8');
    expect(log).toContain('[acode]');
    expect(log).toContain('model loaded');
  });

  it('fails with BINARY_NOT_FOUND naming the binary, PATH and config key', async () => {
    const port = await freePort();
    const ref = serviceRef(providerConfig('llamacpp', port, { binary: 'llama-server-nope' }), stateDir);
    const facts = await expectRejectCode(spawnServer(ref, resolveDeps({ env: testEnv() })), 'BINARY_NOT_FOUND');
    expect(facts.message).toContain('llama-server-nope');
    expect(facts.message).toContain('PATH');
    expect(facts.hint).toContain('providers.llamacpp.binary');
    expect(await readPidFile(stateDir, providerConfig('llamacpp', port))).toBeUndefined();
  });

  it('fails with PORT_IN_USE naming the pid of a foreign holder', async () => {
    const port = await freePort();
    // A plain TCP holder that never answers HTTP: our probe's connection is destroyed on cleanup.
    const server = createServer((socket) => sockets.push(socket));
    servers.push(server);
    await new Promise<void>((done) => server.listen(port, '127.0.0.1', done));
    const ref = serviceRef(providerConfig('llamacpp', port), stateDir);
    const facts = await expectRejectCode(spawnServer(ref, resolveDeps({ env: testEnv() })), 'PORT_IN_USE');
    expect(facts.holderPid).toBe(process.pid);
    expect(facts.message).toContain(`pid ${process.pid}`);
    expect(facts.hint).toContain('providers.llamacpp.port');
    expect(await readPidFile(stateDir, providerConfig('llamacpp', port))).toBeUndefined();
  });

  it('refuses a non-loopback host before spawning anything', async () => {
    const port = await freePort();
    const ref = serviceRef(providerConfig('llamacpp', port, { host: '0.0.0.0' }), stateDir);
    await expectRejectCode(spawnServer(ref, resolveDeps({ env: testEnv() })), 'MODE_FORBIDDEN');
  });

  it('refuses to spawn anything in airgapped mode (AIRGAP_VIOLATION), even on loopback', async () => {
    const port = await freePort();
    const ref = { ...serviceRef(providerConfig('llamacpp', port), stateDir), mode: 'airgapped' as const };
    const facts = await expectRejectCode(spawnServer(ref, resolveDeps({ env: testEnv() })), 'AIRGAP_VIOLATION');
    expect(facts.hint).toContain('providers.llamacpp.lifecycle.mode');
    expect(await readPidFile(stateDir, providerConfig('llamacpp', port))).toBeUndefined();
    expect(await isPortFree(port)).toBe(true);
  });

  it('reports an exit during start with its code and log tail', async () => {
    const port = await freePort();
    const ref = serviceRef(providerConfig('llamacpp', port), stateDir);
    const deps = resolveDeps({ env: testEnv({ ACODE_FAKE_EXIT_CODE: '3' }) });
    const result = await spawnServer(ref, deps);
    ledger.add(result.pid);
    const events: ActorEvent[] = [];
    const stop = watchProcess({ ...ref, pid: result.pid! }, deps, (e) => events.push(e));
    await until(() => events.length > 0, { what: 'PROCESS_EXITED' });
    stop();
    expect(events[0]).toMatchObject({ type: 'PROCESS_EXITED', exitCode: 3, signal: null });
    const tail = (events[0] as { logTail: string[] }).logTail;
    expect(tail.join('\n')).toContain('ACODE_FAKE_EXIT_CODE');
    await until(async () => (await readPidFile(stateDir, providerConfig('llamacpp', port))) === undefined, {
      what: 'pid file removed',
    });
  });

  it('reports SIGKILL of the child as PROCESS_EXITED with the signal', async () => {
    const port = await freePort();
    const ref = serviceRef(providerConfig('llamacpp', port), stateDir);
    const deps = resolveDeps({ env: testEnv() });
    const { pid } = await spawnServer(ref, deps);
    ledger.add(pid);
    const events: ActorEvent[] = [];
    const stop = watchProcess({ ...ref, pid: pid! }, deps, (e) => events.push(e));
    process.kill(pid!, 'SIGKILL');
    await until(() => events.length > 0, { what: 'PROCESS_EXITED' });
    stop();
    expect(events).toEqual([expect.objectContaining({ type: 'PROCESS_EXITED', exitCode: null, signal: 'SIGKILL' })]);
  });

  it('stops a server that ignores SIGTERM with SIGKILL after the grace period', async () => {
    const port = await freePort();
    const ref = serviceRef(providerConfig('llamacpp', port), stateDir);
    const deps = resolveDeps({ env: testEnv({ ACODE_FAKE_IGNORE_SIGTERM: '1' }) });
    const { pid } = await spawnServer(ref, deps);
    ledger.add(pid);
    const events: ActorEvent[] = [];
    const unwatch = watchProcess({ ...ref, pid: pid! }, deps, (e) => events.push(e));
    await until(async () => (await detectService(ref, deps)).kind === 'running', { what: 'ready' });
    const outcome = await stopServer({ ...ref, pid: pid!, graceMs: 1_000 }, deps);
    unwatch();
    expect(outcome).toEqual({ signal: 'SIGKILL' });
    expect(pidAlive(pid!)).toBe(false);
    expect(await readPidFile(stateDir, providerConfig('llamacpp', port))).toBeUndefined();
    // A stop we asked for is not a crash.
    expect(events).toEqual([]);
  });

  it('stops a well-behaved server with SIGTERM alone', async () => {
    const port = await freePort();
    const ref = serviceRef(providerConfig('llamacpp', port), stateDir);
    const deps = resolveDeps({ env: testEnv() });
    const { pid } = await spawnServer(ref, deps);
    ledger.add(pid);
    await until(async () => (await detectService(ref, deps)).kind === 'running', { what: 'ready' });
    expect(await stopServer({ ...ref, pid: pid!, graceMs: 10_000 }, deps)).toEqual({ signal: 'SIGTERM' });
    expect(pidAlive(pid!)).toBe(false);
  });

  it('never signals a live process whose pid file is stale (pid reused by another process)', async () => {
    const sleeper = execa('sleep', ['30'], { reject: false });
    ledger.add(sleeper.pid);
    const pid = sleeper.pid!;
    const port = await freePort();
    const ref = serviceRef(providerConfig('llamacpp', port), stateDir);
    // A pid file from an earlier run whose pid now belongs to `sleep`: same pid, other start time.
    const file = pidFilePath(stateDir, providerConfig('llamacpp', port));
    await mkdir(dirname(file), { recursive: true });
    const stale = {
      pid,
      startTime: '1',
      cmdline: ['llama-server', '-m', 'x.gguf'],
      port,
      startedAt: new Date(0).toISOString(),
      binary: '/usr/bin/llama-server',
    };
    await writeFile(file, JSON.stringify(stale));
    const deps = resolveDeps({ env: testEnv() });
    expect(await stopServer({ ...ref, pid, graceMs: 100 }, deps)).toEqual({ signal: 'none' });
    expect(pidAlive(pid)).toBe(true);
    expect(await readPidFile(stateDir, providerConfig('llamacpp', port))).toBeUndefined();
    // detect does not claim it either, and removes the stale file.
    await writeFile(file, JSON.stringify(stale));
    expect(await detectService(ref, deps)).toEqual({ kind: 'absent' });
    expect(await readPidFile(stateDir, providerConfig('llamacpp', port))).toBeUndefined();
    expect(pidAlive(pid)).toBe(true);
  });
});
