// The state directory outlives a CLI process: pid files say which server this tool started, so a
// later acode process can adopt it (and stop it) — but only after checking /proc that the pid still
// names the same process. A stale file is removed, never trusted.
import { randomUUID } from 'node:crypto';
import { link, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { bootId, isAlive, readProcIdentity } from './proc.js';

export interface PidFile {
  pid: number;
  /** /proc/<pid>/stat field 22 at spawn time. */
  startTime: string;
  cmdline: string[];
  port: number;
  /** ISO time. */
  startedAt: string;
  /** The resolved binary that was spawned. */
  binary: string;
  /** /proc/sys/kernel/random/boot_id: start times are only comparable within one boot. */
  bootId?: string;
  /** Byte offset of the log file when this run started, so a log tail shows only this run. */
  logOffset?: number;
  /** The argv we passed (after the binary): a wrapper script that execs the server keeps it. */
  args?: string[];
  /** ISO times of acode's restarts of this server within the restart window (this start included when it was one). */
  restarts?: string[];
}

export function pidFilePath(stateDir: string, providerId: string): string {
  return join(stateDir, 'run', `${providerId}.json`);
}

export function lockFilePath(stateDir: string, providerId: string): string {
  return join(stateDir, 'run', `${providerId}.lock`);
}

export function logFilePath(stateDir: string, providerId: string): string {
  return join(stateDir, 'logs', `${providerId}.log`);
}

export async function readPidFile(stateDir: string, providerId: string): Promise<PidFile | undefined> {
  try {
    const parsed = JSON.parse(await readFile(pidFilePath(stateDir, providerId), 'utf8')) as Partial<PidFile>;
    if (typeof parsed.pid !== 'number' || typeof parsed.startTime !== 'string' || !Array.isArray(parsed.cmdline)) {
      return undefined;
    }
    return parsed as PidFile;
  } catch {
    return undefined;
  }
}

/** Records a freshly spawned child; reads its identity from /proc now, while it is certainly ours. */
export async function writePidFile(
  stateDir: string,
  providerId: string,
  facts: { pid: number; port: number; binary: string; logOffset?: number; args?: string[]; restarts?: string[] },
): Promise<PidFile | undefined> {
  const identity = await readProcIdentity(facts.pid);
  if (!isAlive(identity)) return undefined;
  const record: PidFile = {
    pid: facts.pid,
    startTime: identity.startTime,
    cmdline: identity.cmdline,
    port: facts.port,
    startedAt: new Date().toISOString(),
    binary: facts.binary,
    bootId: await bootId(),
    ...(facts.logOffset === undefined ? {} : { logOffset: facts.logOffset }),
    ...(facts.args === undefined ? {} : { args: facts.args }),
    ...(facts.restarts === undefined ? {} : { restarts: facts.restarts }),
  };
  const file = pidFilePath(stateDir, providerId);
  await mkdir(join(stateDir, 'run'), { recursive: true });
  // Write then rename, so a concurrent reader never sees half a file.
  const tmp = `${file}.${process.pid}.tmp`;
  // Owner-only: the command line may carry flags the user would not want world-readable in a file.
  await writeFile(tmp, JSON.stringify(record, null, 2), { mode: 0o600 });
  await rename(tmp, file);
  return record;
}

/**
 * Ours = alive, same boot, same start time, and a command line that is still the one we spawned.
 * A server may exec through a wrapper or rename itself (setproctitle), so the command line also
 * matches when it still carries our argv or mentions the binary's name; the start time is what
 * makes a reused pid fail.
 */
export async function isOurProcess(pidfile: PidFile): Promise<boolean> {
  const identity = await readProcIdentity(pidfile.pid);
  if (!isAlive(identity)) return false;
  if (pidfile.bootId !== undefined && pidfile.bootId !== (await bootId())) return false;
  if (identity.startTime !== pidfile.startTime) return false;
  // An empty command line is transient (mid-exec, e.g. a wrapper script exec'ing the server) or
  // unreadable; pid + start time within one boot already names exactly one process.
  if (identity.cmdline.length === 0) return true;
  if (identity.cmdline.join('\0') === pidfile.cmdline.join('\0')) return true;
  if (pidfile.args && pidfile.args.length >= 2 && identity.cmdline.join('\0').endsWith(pidfile.args.join('\0'))) return true;
  const name = (pidfile.binary.split('/').pop() ?? pidfile.binary).toLowerCase();
  return name.length > 0 && identity.cmdline.join(' ').toLowerCase().includes(name);
}

/**
 * Removes the pid file, but only if it still describes `pid`: moved aside first and checked there,
 * so a file another spawn wrote meanwhile is put back instead of deleted.
 */
export async function removePidFile(stateDir: string, providerId: string, pid?: number): Promise<void> {
  const file = pidFilePath(stateDir, providerId);
  if (pid === undefined) {
    await rm(file, { force: true });
    return;
  }
  const aside = `${file}.${process.pid}.${randomUUID()}.rm`;
  try {
    await rename(file, aside);
  } catch {
    return;
  }
  try {
    const moved = JSON.parse(await readFile(aside, 'utf8')) as Partial<PidFile>;
    if (moved.pid !== pid) await link(aside, file).catch(() => undefined);
  } catch {
    // Unparseable: nobody's; drop it.
  }
  await rm(aside, { force: true });
}

/** The pid file if it still names a live process of ours; a stale one is deleted. */
export async function readOwnedPidFile(stateDir: string, providerId: string): Promise<PidFile | undefined> {
  const record = await readPidFile(stateDir, providerId);
  // Missing or unparseable: not ours (the next spawn overwrites it; deleting here could race one).
  if (!record) return undefined;
  if (await isOurProcess(record)) return record;
  await removePidFile(stateDir, providerId, record.pid).catch(() => undefined);
  return undefined;
}
