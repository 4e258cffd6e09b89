// The view model of the status TUI. The service machine's `status()` returns StatusReport; field names
// and state names are the contract shared with `--json` and the replays, so they are spelled verbatim.

// The machine's own lists (machines/service-types.ts holds only names and types: no engine loads with them).
import type { ModelState, ServiceState } from '../../machines/service-types.js';
export { MODEL_STATES, SERVICE_STATES, type ModelState, type ServiceState } from '../../machines/service-types.js';

export interface ModelDetail {
  completed: number;
  total: number;
  bytesPerSecond: number;
  reason?: string;
}

/** What a starting server last logged about its download or load (vLLM): `loading <what it logged>`, bar percent. */
export interface LoadDetail {
  text: string;
  percent?: number;
}

export interface StatusError {
  code: string;
  message: string;
  hint: string;
}

export interface StatusReport {
  id: string;
  kind: string;
  state: ServiceState;
  model?: string;
  modelState?: ModelState;
  modelDetail?: ModelDetail;
  /** While starting: the server's logged load progress; its percent also fills modelDetail for the bar. */
  load?: LoadDetail;
  lifecycle: 'managed' | 'monitored' | 'external';
  mode: 'local-only' | 'burst' | 'airgapped';
  pid?: number;
  port: number;
  baseUrl: string;
  owned: boolean;
  uptimeMs?: number;
  restartsInWindow: number;
  lastError?: StatusError;
  /** Healthy but impaired: why (a GPU vLLM uses disappeared or reports errors). */
  degraded?: string;
}

/** What the log panel shows for the selected provider. */
export interface LogTailData {
  id: string;
  lines: readonly string[];
  loading?: boolean;
  error?: string;
}

/** A notice under the table (an action's outcome); an AcodeError-like failure is shown with its hint. */
export interface ViewMessage {
  text: string;
  tone: 'info' | 'error';
  error?: StatusError;
}

/** What StatusApp asks the engine to do for the selected provider. */
export interface StatusActions {
  start(id: string): unknown;
  stop(id: string): unknown;
  restart(id: string): unknown;
  logTail(id: string): Promise<readonly string[]>;
}

/** Registers a listener for fresh report arrays; returns the function that unregisters it. */
export type StatusSubscribe = (listener: (reports: readonly StatusReport[]) => void) => () => void;
/** Messages from outside the keys (a reloaded or rejected config edit), shown where action results are. */
export type NoticeSubscribe = (listener: (message: ViewMessage) => void) => () => void;
