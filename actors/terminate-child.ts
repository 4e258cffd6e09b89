// Ending a child this process spawned, and the clean-ups the CLI must wait for before it exits. A
// cancelled spawn's promise runs on after its actor stopped; if the process exited first, its child
// would be left running (or half-killed, with a pid file naming it).
import type { Logger } from '../log/index.js';
import type { ChildEntry } from './process-table.js';

export type Termination = { signal: 'none' | 'SIGTERM' | 'SIGKILL'; gone: boolean };

const inFlight = new WeakMap<ChildEntry, Promise<Termination>>();
const cleanups = new Set<Promise<unknown>>();

/** Keeps `work` in the set settleCleanups() waits for, until it settles. */
export function trackCleanup<T>(work: Promise<T>): Promise<T> {
  const tracked = work.finally(() => cleanups.delete(tracked));
  cleanups.add(tracked);
  return tracked;
}

/** Resolves once every tracked clean-up has settled (each bounds itself), including ones added meanwhile. */
export async function settleCleanups(): Promise<void> {
  while (cleanups.size > 0) await Promise.allSettled([...cleanups]);
}

function signalGroup(pid: number, sig: NodeJS.Signals): void {
  // The spawn was detached, so the child leads its own group: the group reaches its workers too.
  for (const target of [-pid, pid]) {
    try {
      process.kill(target, sig);
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
    }
  }
}

function exitWithin(entry: ChildEntry, ms: number): Promise<boolean> {
  if (entry.exit) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    void entry.exited.then(() => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

/**
 * SIGTERM our child's process group, SIGKILL it after `graceMs`, then wait up to `killWaitMs`. Signals
 * go out only while its exit is unseen: until Node reaps it, its pid (and group id) cannot name anyone
 * else. A second caller for the same child (a STOP and the cancelled spawn) shares the first one's work.
 */
export function terminateChild(
  entry: ChildEntry,
  { graceMs, killWaitMs, log }: { graceMs: number; killWaitMs: number; log?: Logger },
): Promise<Termination> {
  const running = inFlight.get(entry);
  if (running) return running;
  const work = trackCleanup(
    (async (): Promise<Termination> => {
      // An exit we asked for is not a crash (watchProcess reads this).
      entry.stopRequested = true;
      if (entry.exit) return { signal: 'none', gone: true };
      const fields = { provider: entry.providerId, serverPid: entry.pid };
      log?.info({ ...fields, graceMs }, 'sent SIGTERM');
      signalGroup(entry.pid, 'SIGTERM');
      if (await exitWithin(entry, graceMs)) return { signal: 'SIGTERM', gone: true };
      log?.warn(fields, `still running after ${graceMs} ms: sent SIGKILL`);
      signalGroup(entry.pid, 'SIGKILL');
      return { signal: 'SIGKILL', gone: await exitWithin(entry, killWaitMs) };
    })(),
  );
  inFlight.set(entry, work);
  return work;
}
