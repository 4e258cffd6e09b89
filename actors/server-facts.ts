// How long the server on a provider's port has run, and how often acode restarted it, as any acode
// process can know it: from the pid file acode wrote when it started (or restarted) the server, else,
// for a server acode did not start, from /proc's start time of the process that holds the port. A
// watcher that adopted a running server must not count from the moment it started watching.
import type { ProviderConfig } from '../config/index.js';
import { findPortHolder } from './port.js';
import { processStartedAt } from './proc.js';
import { isOurProcess, readPidFile } from './state-dir.js';

export interface ServerFacts {
  pid: number;
  /** Epoch ms. */
  startedAt: number;
  /** Epoch ms of acode's restarts recorded with it (pid file); undefined when acode did not start it. */
  restarts?: number[];
}

/** The facts of the server process `pid` (null: whoever holds the port), or undefined when unknowable. */
export async function serverFacts(
  stateDir: string,
  provider: ProviderConfig,
  pid: number | null,
  { signal }: { signal?: AbortSignal } = {},
): Promise<ServerFacts | undefined> {
  const file = await readPidFile(stateDir, provider);
  const recorded =
    file && (pid === null ? file.port === provider.port && (await isOurProcess(file)) : file.pid === pid)
      ? file
      : undefined;
  const startedAt = recorded ? Date.parse(recorded.startedAt) : Number.NaN;
  if (recorded && Number.isFinite(startedAt)) {
    return {
      pid: recorded.pid,
      startedAt,
      restarts: (recorded.restarts ?? []).map((t) => Date.parse(t)).filter(Number.isFinite),
    };
  }
  const holder = pid ?? (await findPortHolder(provider.port, signal ? { signal } : {}))?.pid;
  if (holder === undefined) return undefined;
  const started = await processStartedAt(holder);
  return started === undefined ? undefined : { pid: holder, startedAt: started };
}
