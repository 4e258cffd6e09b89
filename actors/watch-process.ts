// watchProcess: tells the machine when the server process goes away. Our own child: its exit event
// (code and signal). A pid adopted from an earlier acode process: a cheap /proc liveness check every
// 100 ms. Cleanup stops watching; it never kills.
import type { ServiceRef } from './contracts.js';
import type { ActorEvent } from './events.js';
import type { ActorDeps } from './deps.js';
import { logTail } from './log-file.js';
import { childEntry } from './process-table.js';
import { bootId, isAlive, readProcIdentity } from './proc.js';
import { logFilePath, readPidFile } from './state-dir.js';

const WATCH_POLL_MS = 100;
const EXIT_TAIL_LINES = 60;

type Exited = Extract<ActorEvent, { type: 'PROCESS_EXITED' }>;

export function watchProcess(
  input: ServiceRef & { pid: number },
  deps: ActorDeps,
  sendBack: (event: Exited) => void,
): () => void {
  let stopped = false;
  const report = async (exitCode: number | null, signal: string | null, offset: number | undefined): Promise<void> => {
    const logFile = logFilePath(input.stateDir, input.provider);
    // Enough lines to reach back past a traceback to the error that explains the exit.
    const tail = await logTail(logFile, { lines: EXIT_TAIL_LINES, ...(offset === undefined ? {} : { offset }) });
    if (!stopped)
      deps.log.warn({ provider: input.provider.id, serverPid: input.pid, exitCode, signal, logFile }, 'server exited');
    if (!stopped) sendBack({ type: 'PROCESS_EXITED', exitCode, signal, logTail: tail, logFile });
  };

  const entry = childEntry(input.pid);
  if (entry) {
    void entry.exited.then((info) => {
      // An exit stopServer asked for is not a crash.
      if (!stopped && !entry.stopRequested) void report(info.exitCode, info.signal, entry.logOffset);
    });
    return () => {
      stopped = true;
    };
  }

  let handle: unknown;
  const poll = async (startTime: string | undefined, offset: number | undefined): Promise<void> => {
    const identity = await readProcIdentity(input.pid);
    if (stopped) return;
    if (!isAlive(identity) || (startTime !== undefined && identity.startTime !== startTime)) {
      // Not our child: its exit status went to its parent; we only know it is gone.
      void report(null, null, offset);
      return;
    }
    handle = deps.clock.setTimeout(() => void poll(startTime, offset), WATCH_POLL_MS);
  };
  void (async () => {
    // The identity to watch: the pid file's start time when it names this pid, else what /proc says now.
    const record = await readPidFile(input.stateDir, input.provider);
    const sameBoot = record?.bootId === undefined || record.bootId === (await bootId());
    const fromFile = record && record.pid === input.pid && sameBoot ? record : undefined;
    const startTime = fromFile?.startTime ?? (await readProcIdentity(input.pid))?.startTime;
    if (!stopped) await poll(startTime, fromFile?.logOffset);
  })();
  return () => {
    stopped = true;
    deps.clock.clearTimeout(handle);
  };
}
