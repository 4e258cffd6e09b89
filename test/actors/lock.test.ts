// The per-server start lock: exclusive, waits bounded and abortable, breaks a dead owner's lock at
// once, and never treats a live process with a reused pid as the owner.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { execa } from 'execa';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isAcodeError } from '../../config/index.js';
import { acquireLock, lockFilePath, withLock } from '../../actors/index.js';
import { bootId, readProcIdentity } from '../../actors/proc.js';
import { PidLedger, removeDir, tempStateDir } from './helpers.js';
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

async function writeLock(owner: Record<string, unknown>): Promise<string> {
  const file = lockFilePath(stateDir, VLLM);
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, JSON.stringify(owner));
  return file;
}

/** A live process that is not acode: `sleep`, with its real start time. */
async function liveStranger(): Promise<{ pid: number; startTime: string }> {
  const child = execa('sleep', ['30'], { reject: false });
  ledger.add(child.pid);
  const identity = await readProcIdentity(child.pid!);
  return { pid: child.pid!, startTime: identity!.startTime };
}

describe('provider lock', () => {
  it('serialises holders in one process: the second waits until the first releases', async () => {
    const order: string[] = [];
    let releaseFirst!: () => void;
    const firstHeld = new Promise<void>((done) => (releaseFirst = done));
    const first = withLock(stateDir, VLLM, async () => {
      order.push('first in');
      await firstHeld;
      order.push('first out');
    });
    await expect.poll(() => order.length).toBe(1);
    // While it is held, nobody else gets it (the owner, this very process, is alive).
    const refused = await acquireLock(stateDir, VLLM, { timeoutMs: 0 }).catch((e: unknown) => e);
    expect(isAcodeError(refused) && refused.code).toBe('LOCK_TIMEOUT');
    const second = withLock(stateDir, VLLM, async () => void order.push('second in'), { retryMs: 10 });
    expect(order).toEqual(['first in']);
    releaseFirst();
    await Promise.all([first, second]);
    expect(order).toEqual(['first in', 'first out', 'second in']);
  });

  it('breaks the lock of a dead owner at once', async () => {
    const dead = execa('true', [], { reject: false });
    const deadPid = dead.pid!;
    await dead;
    await writeLock({
      pid: deadPid,
      startTime: '1',
      bootId: await bootId(),
      acquiredAt: new Date(0).toISOString(),
      nonce: 'x',
    });
    const handle = await acquireLock(stateDir, VLLM, { timeoutMs: 0 });
    const owner = JSON.parse(await readFile(handle.file, 'utf8')) as { pid: number };
    expect(owner.pid).toBe(process.pid);
    await handle.release();
  });

  it('a reused pid (live process, other start time) does not keep a lock, and is not signalled', async () => {
    const stranger = await liveStranger();
    await writeLock({
      pid: stranger.pid,
      startTime: '1',
      bootId: await bootId(),
      acquiredAt: new Date(0).toISOString(),
      nonce: 'x',
    });
    const handle = await acquireLock(stateDir, VLLM, { timeoutMs: 0 });
    await handle.release();
    expect(pidAlive(stranger.pid)).toBe(true);
  });

  it('a live owner keeps it: LOCK_TIMEOUT names the holder pid after the bound', async () => {
    const holder = await liveStranger();
    await writeLock({
      pid: holder.pid,
      startTime: holder.startTime,
      bootId: await bootId(),
      acquiredAt: new Date().toISOString(),
      nonce: 'x',
    });
    const error = await acquireLock(stateDir, VLLM, { timeoutMs: 200, retryMs: 20 }).catch((e: unknown) => e);
    expect(isAcodeError(error) && error.code).toBe('LOCK_TIMEOUT');
    expect(isAcodeError(error) && error.message).toContain(String(holder.pid));
    expect(pidAlive(holder.pid)).toBe(true);
  });

  it('waiting is abortable', async () => {
    const holder = await liveStranger();
    await writeLock({
      pid: holder.pid,
      startTime: holder.startTime,
      bootId: await bootId(),
      acquiredAt: new Date().toISOString(),
      nonce: 'x',
    });
    const ac = new AbortController();
    const pending = acquireLock(stateDir, VLLM, { timeoutMs: 60_000, retryMs: 20, signal: ac.signal }).catch(
      (e: unknown) => e,
    );
    ac.abort();
    const error = (await pending) as Error;
    expect(error.name).toBe('AbortError');
  });

  it('release never removes a lock that is no longer ours', async () => {
    const handle = await acquireLock(stateDir, VLLM);
    const file = await writeLock({ pid: 1, startTime: '1', bootId: 'other', acquiredAt: '', nonce: 'someone else' });
    await handle.release();
    expect(JSON.parse(await readFile(file, 'utf8'))).toMatchObject({ nonce: 'someone else' });
  });
});
