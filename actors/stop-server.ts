// stopServer: SIGTERM the server's process group, wait the grace period, SIGKILL, wait until /proc
// says it is gone, remove the pid file. Only ever for a pid whose pid file still matches /proc.
import { setTimeout as sleep } from 'node:timers/promises';
import { AcodeError } from '../config/index.js';
import type { ServiceRef } from './contracts.js';
import type { ActorDeps } from './deps.js';
import { childEntry } from './process-table.js';
import { terminateChild } from './terminate-child.js';
import { isAlive, readProcIdentity } from './proc.js';
import { isOurProcess, readPidFile, removePidFile, type PidFile } from './state-dir.js';

const EXIT_POLL_MS = 25;

export interface StopInput extends ServiceRef {
  pid: number;
  graceMs: number;
}

/** Still the process the pid file describes? Re-checked before every signal. */
async function stillOurs(record: PidFile): Promise<boolean> {
  return isOurProcess(record);
}

/** Resolves true once the process is gone (or is a zombie), false at the deadline. */
async function waitGone(record: PidFile, ms: number, signal?: AbortSignal): Promise<boolean> {
  const deadline = Date.now() + ms;
  for (;;) {
    const identity = await readProcIdentity(record.pid);
    if (!isAlive(identity) || identity.startTime !== record.startTime) return true;
    if (Date.now() >= deadline) return false;
    await sleep(EXIT_POLL_MS, undefined, signal ? { signal } : {});
  }
}

/** The whole group when the server leads one (detached spawn), so its workers go too. */
async function signalServer(record: PidFile, sig: NodeJS.Signals, deps: ActorDeps): Promise<void> {
  const identity = await readProcIdentity(record.pid);
  const target = identity?.pgrp === record.pid ? -record.pid : record.pid;
  deps.log[sig === 'SIGKILL' ? 'warn' : 'info'](
    { provider: record.providerId, serverPid: record.pid, group: target < 0 },
    `sent ${sig}`,
  );
  try {
    process.kill(target, sig);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}

function stuckError(provider: StopInput['provider'], pid: number, killWaitMs: number): AcodeError {
  return new AcodeError(
    'INTERNAL',
    `${provider.id}: pid ${pid} is still alive ${Math.round(killWaitMs / 1000)} s after SIGKILL.`,
    `It may be stuck in the kernel (state D); check \`ps -o pid,stat,cmd -p ${pid}\`.`,
    { details: { provider: provider.id, pid } },
  );
}

export async function stopServer(
  input: StopInput,
  deps: ActorDeps,
  { signal }: { signal?: AbortSignal } = {},
): Promise<{ signal: 'SIGTERM' | 'SIGKILL' | 'none' }> {
  const { stateDir, provider } = input;
  // Our own child, not yet exited: ours by construction, even before its pid file is written (a STOP
  // right after the spawn reported its pid).
  const own = childEntry(input.pid);
  if (own && !own.exit) {
    const ended = await terminateChild(own, { graceMs: input.graceMs, killWaitMs: deps.killWaitMs, log: deps.log });
    if (!ended.gone) throw stuckError(provider, input.pid, deps.killWaitMs);
    await removePidFile(stateDir, provider, input.pid);
    return { signal: ended.signal };
  }
  const record = await readPidFile(stateDir, provider);
  if (!record || record.pid !== input.pid || !(await stillOurs(record))) {
    // Not ours (or already gone): never signal it. A stale file is cleaned up.
    deps.log.info(
      { provider: provider.id, serverPid: input.pid },
      'not stopping: the pid is no longer the server acode started',
    );
    if (record && record.pid === input.pid) await removePidFile(stateDir, provider, record.pid);
    return { signal: 'none' };
  }
  const entry = childEntry(record.pid);
  if (entry) entry.stopRequested = true;
  await signalServer(record, 'SIGTERM', deps);
  if (await waitGone(record, input.graceMs, signal)) {
    await removePidFile(stateDir, provider, record.pid);
    return { signal: 'SIGTERM' };
  }
  if (await stillOurs(record)) await signalServer(record, 'SIGKILL', deps);
  if (!(await waitGone(record, deps.killWaitMs, signal))) {
    throw stuckError(provider, record.pid, deps.killWaitMs);
  }
  await removePidFile(stateDir, provider, record.pid);
  return { signal: 'SIGKILL' };
}
