// isOurProcess: the identity rules of a pid file against /proc, on a live `sleep` we started.
import { stat, writeFile } from 'node:fs/promises';
import { execa } from 'execa';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isOurProcess, pidFilePath, readOwnedPidFile, readPidFile, type PidFile } from '../../actors/index.js';
import { writePidFile } from '../../actors/state-dir.js';
import { readProcIdentity } from '../../actors/proc.js';
import { PidLedger, pidAlive, providerConfig, removeDir, tempStateDir } from './helpers.js';

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

async function sleeper(): Promise<{ pid: number; base: PidFile }> {
  const child = execa('sleep', ['30', '31'], { reject: false });
  ledger.add(child.pid);
  const pid = child.pid!;
  const record = await writePidFile(stateDir, VLLM, { pid, binary: '/opt/wrappers/start-vllm.sh', args: ['30', '31'] });
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
