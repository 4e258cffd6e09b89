// isOurProcess: the identity rules of a pid file against /proc, on a live `sleep` we started; and the
// records' keys: one per server (kind, host, port), whichever project or provider id names it.
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  isOurProcess,
  lockFilePath,
  logFilePath,
  pidFilePath,
  readOwnedPidFile,
  readPidFile,
  resolveDeps,
  stopServerProcess,
  type PidFile,
} from '../../actors/index.js';
import { removePidFile, writePidFile, type ServerAddress } from '../../actors/state-dir.js';
import { readProcIdentity } from '../../actors/proc.js';
import { PidLedger, removeDir, serviceRef, tempStateDir } from './helpers.js';
import { pidAlive } from '../support/processes.js';
import { providerConfig } from '../support/providers.js';

const VLLM = providerConfig('vllm', 8000);

const ledger = new PidLedger();
let stateDir: string;

beforeEach(async () => {
  stateDir = await tempStateDir();
});
afterEach(async () => {
  await ledger.killAll(stateDir);
  await removeDir(stateDir);
});

async function sleeper(server: ServerAddress = VLLM): Promise<{ pid: number; base: PidFile }> {
  const child = execa('sleep', ['30', '31'], { reject: false });
  ledger.add(child.pid);
  const pid = child.pid!;
  const record = await writePidFile(stateDir, server, {
    pid,
    binary: '/opt/wrappers/start-vllm.sh',
    args: ['30', '31'],
  });
  return { pid, base: record! };
}

describe('isOurProcess', () => {
  it('matches on start time plus the exact command line, or our argv carried through a wrapper', async () => {
    const { pid, base } = await sleeper();
    expect(base.startTime).toBe((await readProcIdentity(pid))!.startTime);
    expect(await isOurProcess(base)).toBe(true);
    expect(await isOurProcess({ ...base, cmdline: ['/opt/wrappers/start-vllm.sh', '30', '31'] })).toBe(true);
    expect(await isOurProcess({ ...base, cmdline: ['other'], args: ['40', '41'] })).toBe(false);
  });

  it('a different start time (reused pid) or another boot is never ours, whatever the command line says', async () => {
    const { base } = await sleeper();
    expect(await isOurProcess({ ...base, startTime: String(Number(base.startTime) - 1) })).toBe(false);
    expect(await isOurProcess({ ...base, bootId: 'another-boot' })).toBe(false);
  });

  it('the pid file is owner-only; a stale one is removed by readOwnedPidFile, the live process is left alone', async () => {
    const { pid } = await sleeper();
    expect((await stat(pidFilePath(stateDir, VLLM))).mode & 0o777).toBe(0o600);
    expect((await readOwnedPidFile(stateDir, VLLM))?.pid).toBe(pid);
    const record = (await readPidFile(stateDir, VLLM))!;
    // The same pid, as a later boot's or a reused pid's file would describe it.
    await writeFile(pidFilePath(stateDir, VLLM), JSON.stringify({ ...record, startTime: '1' }));
    expect(await readOwnedPidFile(stateDir, VLLM)).toBeUndefined();
    expect(await readPidFile(stateDir, VLLM)).toBeUndefined();
    expect(pidAlive(pid)).toBe(true);
  });
});

describe('records keyed by server', () => {
  const paths = (server: ServerAddress) =>
    [pidFilePath, lockFilePath, logFilePath].map((path) => path(stateDir, server));

  it('the same id on two ports is two servers; the same kind, host and port is one, whatever its id or host spelling', async () => {
    const other = providerConfig('vllm', 8001);
    for (const [a, b] of paths(VLLM).map((path, i) => [path, paths(other)[i]])) expect(a).not.toBe(b);
    expect(paths(providerConfig('vllm', 8000, { id: 'team-vllm', host: 'localhost' }))).toEqual(paths(VLLM));
    expect(paths(providerConfig('llamacpp', 8000))).not.toContain(pidFilePath(stateDir, VLLM));

    const first = await sleeper(VLLM);
    const second = await sleeper(other);
    expect(first.base).toMatchObject({
      providerId: 'vllm',
      kind: 'vllm',
      host: '127.0.0.1',
      port: 8000,
      cwd: process.cwd(),
    });
    expect((await readOwnedPidFile(stateDir, VLLM))?.pid).toBe(first.pid);
    expect((await readOwnedPidFile(stateDir, other))?.pid).toBe(second.pid);
    // The other server's exit removes its own record only.
    await removePidFile(stateDir, other, second.pid);
    expect((await readOwnedPidFile(stateDir, VLLM))?.pid).toBe(first.pid);
    expect(await readPidFile(stateDir, other)).toBeUndefined();
  });

  it("an id-keyed record from before: a live server on this port moves to its key, log included; another port's is left; a dead one goes", async () => {
    const { pid } = await sleeper(VLLM);
    const old = join(stateDir, 'run', 'vllm.json');
    const { providerId: _id, kind: _kind, host: _host, cwd: _cwd, ...oldRecord } = (await readPidFile(stateDir, VLLM))!;
    await writeFile(old, JSON.stringify(oldRecord));
    await rm(pidFilePath(stateDir, VLLM));
    await mkdir(join(stateDir, 'logs'), { recursive: true });
    await writeFile(join(stateDir, 'logs', 'vllm.log'), 'the old run\n');

    // Another project's vllm on port 9000 does not take it, and does not delete it.
    expect(await readOwnedPidFile(stateDir, providerConfig('vllm', 9000))).toBeUndefined();
    expect(existsSync(old)).toBe(true);
    // The project on its port adopts it: from now on under its key, stoppable like any other.
    expect((await readOwnedPidFile(stateDir, VLLM))?.pid).toBe(pid);
    expect(existsSync(old)).toBe(false);
    expect((await readPidFile(stateDir, VLLM))?.pid).toBe(pid);
    expect(await readFile(logFilePath(stateDir, VLLM), 'utf8')).toBe('the old run\n');

    // A record of a server that is gone (here: the pid now names another process) is removed.
    await writeFile(old, JSON.stringify({ ...oldRecord, startTime: '1' }));
    expect(await readOwnedPidFile(stateDir, providerConfig('vllm', 9000))).toBeUndefined();
    expect(existsSync(old)).toBe(false);
    expect(pidAlive(pid)).toBe(true);

    // The adopted server is acode's to stop.
    const stopped = await stopServerProcess({ ...serviceRef(VLLM, stateDir), pid, graceMs: 2_000 }, resolveDeps());
    expect(stopped.signal).toBe('SIGTERM');
    expect(pidAlive(pid)).toBe(false);
    expect(await readPidFile(stateDir, VLLM)).toBeUndefined();
  });
});
