// Events that the I/O actors send back to the service machine. Plain serialisable data, so the
// JSONL recorder can write them and a replay can feed them back.
import type { LoadProgress } from './load-progress.js';

export type ActorEvent =
  /** The child we spawned exited (we did not ask it to). */
  | { type: 'PROCESS_EXITED'; exitCode: number | null; signal: string | null; logTail: string[]; logFile?: string }
  /** The process actor spawned a child: pid for the pid file and the TUI. */
  | { type: 'PROCESS_SPAWNED'; pid: number }
  /** Health poller: the server answers and is ready. */
  | { type: 'PROBE_OK' }
  /** Health poller: the server answers but is still loading (llama-server 503 Loading model). */
  | { type: 'PROBE_LOADING' }
  /** Health poller: N consecutive failed probes. */
  | { type: 'PROBE_FAILED'; misses: number; detail: string }
  /** Log watcher: our starting process logs download or load progress (vLLM, huggingface_hub). */
  | ({ type: 'LOAD_PROGRESS' } & LoadProgress)
  /** GPU watch (vLLM, while healthy): a GPU it uses disappeared, or nvidia-smi fails or reports an error. */
  | { type: 'GPU_FAULT'; detail: string }
  /** GPU watch: the fault it reported has cleared. */
  | { type: 'GPU_OK' }
  /** Model pull progress (Ollama). Bytes are summed over layers. */
  | { type: 'PULL_PROGRESS'; status: string; completed: number; total: number; bytesPerSecond: number };

/** What detection found on the configured port. */
export type DetectResult =
  /** The expected server answers and is ready. `pid` when the process is ours (pid file matched). */
  | { kind: 'running'; ownedPid?: number }
  /** The expected server answers but is still loading. */
  | { kind: 'loading'; ownedPid?: number }
  /** Nothing listens on the port. */
  | { kind: 'absent' }
  /** Something else holds the port. */
  | { kind: 'foreign'; holder?: string };

/** What the model check found. */
export type ModelCheckResult = { kind: 'ready' } | { kind: 'absent' };
