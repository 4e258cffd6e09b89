// The state directory outlives a CLI process: pid files say which server this tool started, so a
// later acode process can adopt it (and stop it) — but only after checking /proc that the pid still
// names the same process. A stale file is removed, never trusted.
//
// Records are keyed by the server (kind, loopback host, port), not by the provider id: every project
// shares one state directory, and two projects that both call their server `vllm` on different ports
// run two servers. Two projects with the same kind, host and port use one server, so they share its
// pid file, lock and log, and one never starts a second copy.
import { randomUUID } from 'node:crypto';
import { link, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ProviderConfig } from '../config/index.js';
import { canonicalHost } from './argv.js';
import { bootId, isAlive, readProcIdentity } from './proc.js';

/** What names a server: the provider's id is only used to find a record written before keys existed. */
export type ServerAddress = Pick<ProviderConfig, 'id' | 'kind' | 'host' | 'port'>;

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
  /** Which configuration started it and from where, so a reader can say whose server this is. */
  providerId?: string;
  kind?: string;
  host?: string;
  /** The working directory of the acode process that started it (its project). */
  cwd?: string;
  /** ISO times of acode's restarts of this server within the restart window (this start included when it was one). */
  restarts?: string[];
}

/** e.g. `vllm@127.0.0.1-8000`: no provider id can contain `@` or `.`, so it never names an old id-keyed file. */
export function serverKey(server: ServerAddress): string {
  return `${server.kind}@${canonicalHost(server.host)}-${server.port}`.replace(/[^\w.:@-]/g, '_');
}

export function pidFilePath(stateDir: string, server: ServerAddress): string {
  return join(stateDir, 'run', `${serverKey(server)}.json`);
}

export function lockFilePath(stateDir: string, server: ServerAddress): string {
  return join(stateDir, 'run', `${serverKey(server)}.lock`);
}

export function logFilePath(stateDir: string, server: ServerAddress): string {
  return join(stateDir, 'logs', `${serverKey(server)}.log`);
}

async function readPidFileAt(file: string): Promise<PidFile | undefined> {
  try {
    const parsed = JSON.parse(await readFile(file, 'utf8')) as Partial<PidFile>;
    if (typeof parsed.pid !== 'number' || typeof parsed.startTime !== 'string' || !Array.isArray(parsed.cmdline)) {
      return undefined;
    }
    return parsed as PidFile;
  } catch {
    return undefined;
  }
}

export function readPidFile(stateDir: string, server: ServerAddress): Promise<PidFile | undefined> {
  return readPidFileAt(pidFilePath(stateDir, server));
}

/** Records a freshly spawned child; reads its identity from /proc now, while it is certainly ours. */
export async function writePidFile(
  stateDir: string,
  server: ServerAddress,
  facts: { pid: number; binary: string; logOffset?: number; args?: string[]; restarts?: string[] },
): Promise<PidFile | undefined> {
  const identity = await readProcIdentity(facts.pid);
  if (!isAlive(identity)) return undefined;
  const record: PidFile = {
    pid: facts.pid,
    startTime: identity.startTime,
    cmdline: identity.cmdline,
    port: server.port,
    startedAt: new Date().toISOString(),
    binary: facts.binary,
    bootId: await bootId(),
    ...(facts.logOffset === undefined ? {} : { logOffset: facts.logOffset }),
    ...(facts.args === undefined ? {} : { args: facts.args }),
    providerId: server.id,
    kind: server.kind,
    host: canonicalHost(server.host),
    cwd: process.cwd(),
    ...(facts.restarts === undefined ? {} : { restarts: facts.restarts }),
  };
  const file = pidFilePath(stateDir, server);
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
  if (pidfile.args && pidfile.args.length >= 2 && identity.cmdline.join('\0').endsWith(pidfile.args.join('\0')))
    return true;
  const name = (pidfile.binary.split('/').pop() ?? pidfile.binary).toLowerCase();
  return name.length > 0 && identity.cmdline.join(' ').toLowerCase().includes(name);
}

/**
 * Removes the pid file, but only if it still describes `pid`: moved aside first and checked there,
 * so a file another spawn wrote meanwhile is put back instead of deleted.
 */
export async function removePidFile(stateDir: string, server: ServerAddress, pid?: number): Promise<void> {
  await removePidFileAt(pidFilePath(stateDir, server), pid);
}

async function removePidFileAt(file: string, pid?: number): Promise<void> {
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
export async function readOwnedPidFile(stateDir: string, server: ServerAddress): Promise<PidFile | undefined> {
  // Unparseable counts as missing: not ours (the next spawn overwrites it; deleting here could race one).
  const record = await readPidFile(stateDir, server);
  if (record) {
    if (await isOurProcess(record)) return record;
    await removePidFile(stateDir, server, record.pid).catch(() => undefined);
  }
  return adoptIdKeyedPidFile(stateDir, server);
}

/**
 * A record from before keys (`run/<id>.json`, `logs/<id>.log`): a live server on this port moves to
 * its keyed name, log included, so it stays adoptable and stoppable; a dead one is removed; a live one
 * on another port is left for the project that configures that port.
 */
async function adoptIdKeyedPidFile(stateDir: string, server: ServerAddress): Promise<PidFile | undefined> {
  const old = join(stateDir, 'run', `${server.id}.json`);
  const record = await readPidFileAt(old);
  if (!record) return undefined;
  if (!(await isOurProcess(record))) {
    await removePidFileAt(old, record.pid).catch(() => undefined);
    return undefined;
  }
  if (record.port !== server.port) return undefined;
  // link, not rename: never replaces a keyed file another process wrote meanwhile. The server still
  // writes through its fd to the old log's inode, which the keyed name then shows.
  await link(join(stateDir, 'logs', `${server.id}.log`), logFilePath(stateDir, server)).catch(() => undefined);
  await link(old, pidFilePath(stateDir, server)).catch(() => undefined);
  const keyed = await readPidFile(stateDir, server);
  // Another record took the key meanwhile: keep the old file, so this server is never left unrecorded.
  if (keyed?.pid !== record.pid) return undefined;
  await removePidFileAt(old, record.pid).catch(() => undefined);
  return keyed;
}
