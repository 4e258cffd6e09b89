// A per-server lock (state-dir.ts keys it by kind, host and port) so two acode processes, from one
// project or two, never start the same server twice. An O_EXCL lock
// file holding the owner's pid + start time: a dead owner is noticed at once from /proc (no mtime
// heartbeat that a busy event loop could miss), and a reused pid never keeps a lock alive.
import { link, mkdir, open, readFile, rename, rm, stat } from 'node:fs/promises';
import { randomUUID } from 'node:crypto';
import { dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { AcodeError } from '../config/index.js';
import type { Logger } from '../log/index.js';
import { bootId, readProcIdentity, stillRuns, type ProcessStamp } from './proc.js';
import { lockFilePath, type ServerAddress } from './state-dir.js';

interface LockOwner extends ProcessStamp {
  acquiredAt: string;
  /** Tells two holders from one process apart (release must only remove its own file). */
  nonce: string;
}

export interface LockHandle {
  file: string;
  release(): Promise<void>;
}

export interface AcquireOptions {
  signal?: AbortSignal;
  /** How long to wait for another process's lock before LOCK_TIMEOUT. */
  timeoutMs?: number;
  /** How often to look again while waiting. */
  retryMs?: number;
  /** Where waits, stale locks and timeouts are logged. */
  log?: Logger;
}

const EMPTY_LOCK_STALE_MS = 5_000;

async function ageMs(file: string): Promise<number> {
  try {
    return Date.now() - (await stat(file)).mtimeMs;
  } catch {
    return 0;
  }
}

async function readOwner(file: string): Promise<{ raw: string; owner?: LockOwner } | undefined> {
  try {
    const raw = await readFile(file, 'utf8');
    try {
      return { raw, owner: JSON.parse(raw) as LockOwner };
    } catch {
      return { raw };
    }
  } catch {
    return undefined;
  }
}

/**
 * Takes a stale lock away without ever deleting a fresh one: move it aside under a unique name,
 * and only delete it if it is still the stale content we judged; otherwise put it back.
 */
async function breakStale(file: string, staleRaw: string): Promise<void> {
  const aside = `${file}.stale.${process.pid}.${Date.now()}`;
  try {
    await rename(file, aside);
  } catch {
    return;
  }
  const moved = await readFile(aside, 'utf8').catch(() => undefined);
  if (moved !== undefined && moved !== staleRaw) {
    await link(aside, file).catch(() => undefined);
  }
  await rm(aside, { force: true });
}

/** Waits (bounded, abortable) for the server's lock; LOCK_TIMEOUT names the holder. */
export function acquireLock(
  stateDir: string,
  server: ServerAddress,
  options: AcquireOptions = {},
): Promise<LockHandle> {
  return acquireFileLock(lockFilePath(stateDir, server), { id: server.id, what: 'the start lock' }, options);
}

/** The same lock on any file (a model download's, say); `holder` names it in LOCK_TIMEOUT. */
export async function acquireFileLock(
  file: string,
  holder: { id: string; what: string },
  { signal, timeoutMs = 30_000, retryMs = 50, log }: AcquireOptions = {},
): Promise<LockHandle> {
  await mkdir(dirname(file), { recursive: true });
  const me = await readProcIdentity(process.pid);
  const owner: LockOwner = {
    pid: process.pid,
    startTime: me?.startTime ?? '',
    bootId: await bootId(),
    acquiredAt: new Date().toISOString(),
    nonce: randomUUID(),
  };
  const content = JSON.stringify(owner);
  const started = Date.now();
  const deadline = started + timeoutMs;
  let lastOwner: LockOwner | undefined;
  for (;;) {
    signal?.throwIfAborted();
    try {
      const fh = await open(file, 'wx');
      try {
        await fh.writeFile(content);
      } finally {
        await fh.close();
      }
      log?.debug({ file, waitedMs: Date.now() - started }, 'lock acquired');
      return { file, release: () => releaseLock(file, content) };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const current = await readOwner(file);
    // A file caught between create and write has no owner yet: give it a moment before judging.
    if (current?.owner && !(await stillRuns(current.owner))) {
      log?.info({ file, deadPid: current.owner.pid }, 'breaking a stale lock');
      await breakStale(file, current.raw);
      continue;
    }
    // An owner that died between create and write leaves an empty file: stale after a few seconds.
    if (current && !current.owner && (await ageMs(file)) > EMPTY_LOCK_STALE_MS) {
      await breakStale(file, current.raw);
      continue;
    }
    // Once per holder, not once per retry.
    if (current?.owner && current.owner.pid !== lastOwner?.pid)
      log?.info({ file, holderPid: current.owner.pid, timeoutMs }, 'waiting for a lock');
    lastOwner = current?.owner ?? lastOwner;
    if (Date.now() >= deadline) {
      log?.warn({ file, holderPid: lastOwner?.pid, timeoutMs }, 'gave up waiting for a lock');
      throw new AcodeError(
        'LOCK_TIMEOUT',
        `${holder.id}: another acode process (pid ${lastOwner?.pid ?? 'unknown'}) has held ${holder.what} for over ${Math.round(timeoutMs / 1000)} s.`,
        `Wait for it to finish, or stop that process; if no acode process runs, delete ${file}.`,
        { details: { provider: holder.id, file, holderPid: lastOwner?.pid } },
      );
    }
    await sleep(retryMs, undefined, signal ? { signal } : {});
  }
}

/** Releases only a lock that is still ours. */
async function releaseLock(file: string, content: string): Promise<void> {
  const current = await readFile(file, 'utf8').catch(() => undefined);
  if (current === content) await rm(file, { force: true });
}

/** Runs `fn` under the server's lock and always releases it. */
export async function withLock<T>(
  stateDir: string,
  server: ServerAddress,
  fn: () => Promise<T>,
  options: AcquireOptions = {},
): Promise<T> {
  const handle = await acquireLock(stateDir, server, options);
  try {
    return await fn();
  } finally {
    await handle.release();
  }
}
