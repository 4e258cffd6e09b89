// Children this process spawned, keyed by pid: watchProcess listens to their exit event (within
// 100 ms, with exit code and signal) instead of polling, and stopServer marks exits it asked for.
import type { ChildProcess } from 'node:child_process';

export interface ExitInfo {
  exitCode: number | null;
  signal: string | null;
}

export interface ChildEntry {
  pid: number;
  providerId: string;
  logFile: string;
  logOffset: number;
  /** Settles when the child exits; never rejects. */
  exited: Promise<ExitInfo>;
  /** Set once it has exited, for late watchers. */
  exit?: ExitInfo;
  /** stopServer sets this: an exit we asked for is not a crash. */
  stopRequested: boolean;
}

const table = new Map<number, ChildEntry>();

export function registerChild(
  child: ChildProcess,
  facts: { pid: number; providerId: string; logFile: string; logOffset: number },
  onExit?: (entry: ChildEntry) => void,
): ChildEntry {
  let settle!: (info: ExitInfo) => void;
  const entry: ChildEntry = { ...facts, stopRequested: false, exited: new Promise((resolve) => (settle = resolve)) };
  child.once('exit', (exitCode, signal) => {
    entry.exit = { exitCode, signal };
    settle(entry.exit);
    onExit?.(entry);
  });
  table.set(facts.pid, entry);
  return entry;
}

export function childEntry(pid: number): ChildEntry | undefined {
  return table.get(pid);
}
