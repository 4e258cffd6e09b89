// detect's verdicts for strangers on the port, the state dir from ACODE_STATE_DIR, log rotation, and a
// server that dies at start with its reason in the log tail (vLLM, unknown model).
import { existsSync } from 'node:fs';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { createServer as createHttpServer } from 'node:http';
import { join } from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { resolveStateDir, isAcodeError } from '../../config/index.js';
import { lockFilePath, logFilePath, logTail, pidFilePath, type ActorEvent } from '../../actors/index.js';
import { resolveDeps } from '../../actors/deps.js';
import { detectService } from '../../actors/detect.js';
import { openServerLog } from '../../actors/log-file.js';
import { spawnServer } from '../../actors/server-process.js';
import { watchProcess } from '../../actors/watch-process.js';
import { PidLedger, freePort, removeDir, requireBuiltServers, serviceRef, tempStateDir, testEnv } from './helpers.js';
import { until } from '../support/processes.js';
import { providerConfig } from '../support/providers.js';

const ledger = new PidLedger();
const closers: (() => Promise<void>)[] = [];
let stateDir: string;

beforeAll(() => requireBuiltServers());
beforeEach(async () => {
  stateDir = await tempStateDir();
});
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
  await ledger.killAll(stateDir);
  await removeDir(stateDir);
});

function track(server: Server | ReturnType<typeof createHttpServer>): void {
  closers.push(
    () =>
      new Promise((done) => {
        if ('closeAllConnections' in server) server.closeAllConnections();
        server.close(() => done());
      }),
  );
}

describe('detect', () => {
  it('an HTTP server that is not the expected one is foreign, named by pid; spawn refuses with PORT_IN_USE', async () => {
    const port = await freePort();
    const http = createHttpServer((_req, res) => res.writeHead(404).end('nope'));
    track(http);
    await new Promise<void>((done) => http.listen(port, '127.0.0.1', done));
    const ref = serviceRef(providerConfig('llamacpp', port), stateDir);
    const deps = resolveDeps({ env: testEnv() });
    const found = await detectService(ref, deps);
    expect(found.kind).toBe('foreign');
    expect(found.kind === 'foreign' && found.holder).toContain(`pid ${process.pid}`);
    const error = await spawnServer(ref, deps).catch((e: unknown) => e);
    expect(isAcodeError(error) && error.code).toBe('PORT_IN_USE');
  });

  it('nothing on the port is absent; a bound, silent port is foreign', async () => {
    const port = await freePort();
    const ref = serviceRef(providerConfig('vllm', port), stateDir);
    const deps = resolveDeps({ env: testEnv() });
    expect(await detectService(ref, deps)).toEqual({ kind: 'absent' });
    const sockets: import('node:net').Socket[] = [];
    const raw = createServer((s) => sockets.push(s));
    closers.push(async () => sockets.forEach((s) => s.destroy()));
    track(raw);
    await new Promise<void>((done) => raw.listen(port, '127.0.0.1', done));
    const found = await detectService(ref, deps);
    expect(found.kind).toBe('foreign');
  });
});

describe('state dir and logs', () => {
  it('pid file, lock and log land under ACODE_STATE_DIR; the lock is released after spawning', async () => {
    const dir = resolveStateDir({ ACODE_STATE_DIR: join(stateDir, 'custom') });
    expect(dir).toBe(join(stateDir, 'custom'));
    const port = await freePort();
    const ref = serviceRef(providerConfig('llamacpp', port), dir);
    const { pid } = await spawnServer(ref, resolveDeps({ env: testEnv() }));
    ledger.add(pid);
    expect(existsSync(pidFilePath(dir, providerConfig('llamacpp', port)))).toBe(true);
    expect(existsSync(logFilePath(dir, providerConfig('llamacpp', port)))).toBe(true);
    expect(pidFilePath(dir, providerConfig('llamacpp', port)).startsWith(dir)).toBe(true);
    expect(existsSync(lockFilePath(dir, providerConfig('llamacpp', port)))).toBe(false);
  });

  it('rotates an oversized log to .1 before a new run and starts the run offset at 0', async () => {
    const file = logFilePath(stateDir, providerConfig('vllm', 8000));
    const first = await openServerLog(file, { maxBytes: 100 });
    await first.close();
    await writeFile(file, 'x'.repeat(200));
    const log = await openServerLog(file, { maxBytes: 100, banner: 'run 2' });
    await log.close();
    expect(log.offset).toBe(0);
    expect((await stat(`${file}.1`)).size).toBe(200);
    expect(await readFile(file, 'utf8')).toBe('run 2\n');
  });

  it('vLLM with an unknown model exits at start; PROCESS_EXITED carries the server reason in the log tail', async () => {
    const port = await freePort();
    const ref = serviceRef(providerConfig('vllm', port, { model: 'no-such-org/no-such-model' }), stateDir);
    const deps = resolveDeps({ env: testEnv({ HOME: stateDir, HF_HOME: join(stateDir, 'hf') }) });
    const { pid } = await spawnServer(ref, deps);
    ledger.add(pid);
    const events: ActorEvent[] = [];
    const stop = watchProcess({ ...ref, pid: pid! }, deps, (e) => events.push(e));
    await until(() => events.length > 0, { what: 'PROCESS_EXITED', timeoutMs: 20_000 });
    stop();
    const exited = events[0] as Extract<ActorEvent, { type: 'PROCESS_EXITED' }>;
    expect(exited.exitCode).not.toBe(0);
    expect(exited.logTail.join('\n')).toMatch(/no-such-org\/no-such-model/);
    expect(exited.logTail.length).toBeLessThanOrEqual(20);
  });
});

describe('logTail', () => {
  it('returns the last lines of this run only, reading just the end of a large log', async () => {
    const file = logFilePath(stateDir, providerConfig('ollama', 11434));
    const before = Array.from({ length: 5 }, (_, i) => `old ${i}`).join('\n') + '\n';
    const big = Array.from({ length: 30_000 }, (_, i) => `line ${i}`).join('\n') + '\n';
    await openServerLog(file).then((l) => l.close());
    await writeFile(file, before + big);
    const tail = await logTail(file, { offset: before.length });
    expect(tail).toEqual(Array.from({ length: 20 }, (_, i) => `line ${29_980 + i}`));
    await writeFile(file, before + 'only one\n');
    expect(await logTail(file, { offset: before.length })).toEqual(['only one']);
  });
});
