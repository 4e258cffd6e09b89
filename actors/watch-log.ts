// watchLog: tails this run's server log while our process starts and sends LOAD_PROGRESS when it shows
// download or load progress (load-progress.ts). vLLM refuses connections until its model is loaded, so
// the log is what tells "still loading" from "hung". Polls on the injected clock; never throws, never
// touches the process. Cleanup stops the tail.
import { open } from 'node:fs/promises';
import { StringDecoder } from 'node:string_decoder';
import type { ServiceRef } from './contracts.js';
import type { ActorEvent } from './events.js';
import type { ActorDeps } from './deps.js';
import { latestLoadProgress } from './load-progress.js';
import { childEntry } from './process-table.js';
import { logFilePath, readPidFile } from './state-dir.js';

export const LOG_POLL_MS = 250;
// Progress needs only the newest lines: a log that grew by more than this since the last look is read
// from its last window (and the first, partial line of the window is harmless: it does not parse).
const MAX_READ_BYTES = 256 * 1024;
// tqdm redraws one line with \r and no \n until the bar ends; a line longer than this is cut to its end.
const MAX_PENDING_CHARS = 16 * 1024;

type LoadProgressEvent = Extract<ActorEvent, { type: 'LOAD_PROGRESS' }>;

/** Where this run's output starts: the child's own record, else the pid file that names this pid. */
export async function runLog(
  input: ServiceRef & { pid: number },
): Promise<{ file: string; offset: number | undefined }> {
  const entry = childEntry(input.pid);
  if (entry) return { file: entry.logFile, offset: entry.logOffset };
  const record = await readPidFile(input.stateDir, input.provider);
  return {
    file: logFilePath(input.stateDir, input.provider),
    offset: record?.pid === input.pid ? record.logOffset : undefined,
  };
}

export function watchLog(
  input: ServiceRef & { pid: number },
  deps: ActorDeps,
  sendBack: (event: LoadProgressEvent) => void,
): () => void {
  let stopped = false;
  let handle: unknown;
  const decoder = new StringDecoder('utf8');
  let position: number | undefined;
  let pending = '';
  let lastSent = '';

  const readNew = async (file: string): Promise<string> => {
    const fh = await open(file, 'r');
    try {
      const size = (await fh.stat()).size;
      // Unknown start (no record of the run): from the end. Rotated under us (smaller): from its start.
      if (position === undefined || size < position) position = position === undefined ? size : 0;
      const from = Math.max(position, size - MAX_READ_BYTES);
      const buffer = Buffer.alloc(size - from);
      const { bytesRead } = await fh.read(buffer, 0, buffer.length, from);
      position = from + bytesRead;
      return decoder.write(buffer.subarray(0, bytesRead));
    } finally {
      await fh.close();
    }
  };

  const poll = async (file: string): Promise<void> => {
    try {
      const text = pending + (await readNew(file));
      const cut = text.lastIndexOf('\n');
      // The unfinished last line stays pending: it is either a bar being redrawn or a line half-written.
      pending = (cut < 0 ? text : text.slice(cut + 1)).slice(-MAX_PENDING_CHARS);
      const progress = latestLoadProgress(text);
      const key = progress ? `${progress.phase}|${progress.percent}|${progress.text}` : '';
      if (progress && key !== lastSent && !stopped) {
        lastSent = key;
        sendBack({ type: 'LOAD_PROGRESS', ...progress });
      }
    } catch {
      // No log yet, or unreadable: no progress to report; look again on the next tick.
    }
    if (!stopped) handle = deps.clock.setTimeout(() => void poll(file), LOG_POLL_MS);
  };

  void (async () => {
    const log = await runLog(input).catch(() => ({
      file: logFilePath(input.stateDir, input.provider),
      offset: undefined,
    }));
    position = log.offset;
    if (!stopped) await poll(log.file);
  })();
  return () => {
    stopped = true;
    deps.clock.clearTimeout(handle);
  };
}
