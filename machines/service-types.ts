// The service machine's contract: state names, events, input and context. The state names are what the
// CLI's --json, the TUI and the replays read; renaming one is a breaking change (docs/design.md, "State names are the contract").
import type {
  ActorEvent,
  Clock,
  LoadProgress,
  PullOutcomeEvent,
  SerializedError,
  ServiceRef,
} from '../actors/index.js';

export const SERVICE_STATES = [
  'stopped',
  'detecting',
  'starting',
  'healthy',
  'crashed',
  'restarting',
  'reloading',
  'stopping',
  'failed',
  'unavailable',
] as const;
export type ServiceState = (typeof SERVICE_STATES)[number];

export const MODEL_STATES = ['unknown', 'checking', 'pulling', 'ready', 'missing'] as const;
export type ModelState = (typeof MODEL_STATES)[number];

/** Commands from the user, the CLI or the registry. */
export type ServiceCommand =
  | { type: 'START' }
  | { type: 'STOP' }
  /** Make it healthy if it may be made so (ensureHealthy); a no-op when it already is. */
  | { type: 'ENSURE' }
  /** The user clears a failure (including a spent restart budget). */
  | { type: 'RETRY' }
  /** A request hit a "server is gone" error: probe once now instead of waiting for the poller. */
  | { type: 'REQUEST_FAILED'; detail?: string }
  /** The configuration changed (a reload): the provider's new settings and the operating mode. */
  | { type: 'RECONFIGURE'; ref: ServiceRef };

export type ServiceEvent = ServiceCommand | ActorEvent | PullOutcomeEvent;

export interface BackoffOptions {
  baseMs: number;
  capMs: number;
}

export interface ServiceInput {
  ref: ServiceRef;
  /** Jitter source in [0, 1); injected so replays are deterministic. Defaults to Math.random. */
  random?: () => number;
  /** What "now" is for restart windows and uptime: the actor's clock (a SimulatedClock in replays). Default: wall time. */
  clock?: Pick<Clock, 'now'>;
  backoff?: Partial<BackoffOptions>;
  /** Consecutive failed probes that mean "crashed" (default 3). */
  maxMisses?: number;
  /** SIGTERM grace before SIGKILL when stopping (default 10 s). */
  graceMs?: number;
}

export interface PullState {
  status: string;
  completed: number;
  total: number;
  bytesPerSecond: number;
}

export interface ServiceContext {
  ref: ServiceRef;
  pid: number | null;
  /** Did this tool start the process (or does its pid file say so)? Only then may it be signalled. */
  owned: boolean;
  /**
   * Did THIS process spawn it? Narrower than `owned` (a pid file may say another acode process
   * started it): stop_on_exit stops only what this process spawned.
   */
  spawnedHere: boolean;
  /** Times (clock ms) of the restarts inside the current window. */
  restarts: number[];
  lastError: SerializedError | null;
  pull: PullState | null;
  /** What our starting server last logged about its download or load (vLLM), while starting. */
  load: LoadProgress | null;
  logTail: string[];
  /** While healthy: what the GPU watch last found wrong with vLLM's GPUs (degraded), else null. */
  gpuFault: string | null;
  /** The server log the tail was read from (absent in recordings made before it was recorded). */
  logFile: string | null;
  /** Clock ms when it last became healthy. */
  startedAt: number | null;
  /** Clock ms of the latest crash; the restart-budget guard counts back from it. */
  crashedAt: number | null;
  random: () => number;
  /** Clock ms now, from the input's clock (a function, so snapshots and recordings leave it out). */
  now: () => number;
  backoff: BackoffOptions;
  maxMisses: number;
  graceMs: number;
  /**
   * A reloaded config that waits until the process launched under the current one is stopped: the
   * stop must find that process's records by the settings it was started with.
   */
  pendingRef: ServiceRef | null;
}

export const DEFAULT_BACKOFF: BackoffOptions = { baseMs: 500, capMs: 10_000 };
export const DEFAULT_MAX_MISSES = 3;
export const DEFAULT_GRACE_MS = 10_000;
