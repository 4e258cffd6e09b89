// Two acode processes at once: the lock makes exactly one of them start the server, the others adopt
// it; a server started by an earlier process is watched through /proc and survives its starter.
import { readdir, readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { existsSync } from 'node:fs';
import { execa } from 'execa';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { readPidFile, type ActorEvent } from '../../actors/index.js';
import { resolveDeps } from '../../actors/deps.js';
import { spawnServer } from '../../actors/server-process.js';
import { watchProcess } from '../../actors/watch-process.js';
import { detectService } from '../../actors/detect.js';
import { PidLedger, freePort, removeDir, requireBuiltServers, serviceRef, tempStateDir, testEnv } from './helpers.js';
import { until } from '../support/processes.js';
import { providerConfig } from '../support/providers.js';

const FIXTURE = resolve(import.meta.dirname, '..', '..', 'dist', 'test', 'actors', 'fixtures', 'spawn-once.js');
const ledger = new PidLedger();
let stateDir: string;
/** Ports this file's servers use: afterEach kills whatever serves them, even when a test failed early. */
const ports: number[] = [];

beforeAll(() => {
  requireBuiltServers();
  if (!existsSync(FIXTURE)) throw new Error(`${FIXTURE} is missing: run \`npx tsc -p tsconfig.json\` first.`);
});
beforeEach(async () => {
  stateDir = await tempStateDir();
});
afterEach(async () => {
  for (const port of ports.splice(0)) for (const pid of await serversOnPort(port)) ledger.add(pid);
  await ledger.killAll(stateDir);
  await removeDir(stateDir);
});

/** Live llama-server stand-ins serving `port`, found by command line in /proc. */
async function serversOnPort(port: number): Promise<number[]> {
  const found: number[] = [];
  for (const name of await readdir('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const cmdline = await readFile(`/proc/${name}/cmdline`, 'utf8').catch(() => '');
    const args = cmdline.split('\0');
    if (
      args.some((a) => a.endsWith('llama-server.js')) &&
      args.includes('--port') &&
      args[args.indexOf('--port') + 1] === String(port)
    ) {
      found.push(Number(name));
    }
  }
  return found;
}

async function usePort(): Promise<number> {
  const port = await freePort();
  ports.push(port);
  return port;
}

async function runFixture(port: number): Promise<{ pid?: number; adopted?: boolean; error?: string }> {
  const { stdout, stderr, exitCode } = await execa('node', [FIXTURE, stateDir, String(port)], {
    env: testEnv(),
    reject: false,
  });
  const last = stdout.trim().split('\n').at(-1) ?? '';
  if (!last.startsWith('{'))
    throw new Error(`spawn-once fixture printed nothing (exit ${exitCode}): ${stderr.slice(0, 500)}`);
  return JSON.parse(last) as { pid?: number; adopted?: boolean };
}

describe('across processes', () => {
  it('two processes and an in-process call racing to spawn start exactly one server', async () => {
    const port = await usePort();
    const ref = serviceRef(providerConfig('llamacpp', port), stateDir);
    // A load delay keeps the server "loading" while the others arrive: they must adopt via the pid file.
    const deps = resolveDeps({ env: testEnv({ ACODE_FAKE_LOAD_DELAY_MS: '1500' }) });
    const results = await Promise.all([runFixture(port), runFixture(port), spawnServer(ref, deps)]);
    for (const r of results) ledger.add(r.pid);
    for (const pid of await serversOnPort(port)) ledger.add(pid);
    expect(results.map((r) => ('error' in r ? r.error : undefined))).toEqual([undefined, undefined, undefined]);
    expect(results.filter((r) => r.adopted === false)).toHaveLength(1);
    expect(results.filter((r) => r.adopted === true)).toHaveLength(2);
    const pids = new Set(results.map((r) => r.pid));
    expect(pids.size).toBe(1);
    expect(await serversOnPort(port)).toEqual([...pids]);
    expect((await readPidFile(stateDir, providerConfig('llamacpp', port)))?.pid).toBe([...pids][0]);
  });

  it('a server started by an exited process is adopted, and its death is seen by the /proc watcher', async () => {
    const port = await usePort();
    const started = await runFixture(port);
    ledger.add(started.pid);
    expect(started).toMatchObject({ adopted: false });
    const pid = started.pid!;
    const ref = serviceRef(providerConfig('llamacpp', port), stateDir);
    const deps = resolveDeps({ env: testEnv() });
    // The starter process has exited; the server outlived it.
    await until(async () => (await detectService(ref, deps)).kind === 'running', { what: 'adopted server ready' });
    expect(await detectService(ref, deps)).toEqual({ kind: 'running', ownedPid: pid });
    expect(await spawnServer(ref, deps)).toEqual({ pid, adopted: true, owned: true });
    const events: ActorEvent[] = [];
    const stop = watchProcess({ ...ref, pid }, deps, (e) => events.push(e));
    process.kill(pid, 'SIGKILL');
    await until(() => events.length > 0, { what: 'PROCESS_EXITED from the /proc watcher' });
    stop();
    expect(events[0]).toMatchObject({ type: 'PROCESS_EXITED', exitCode: null, signal: null });
    expect((events[0] as { logTail: string[] }).logTail.join('\n')).toContain('model loaded');
  });
});
