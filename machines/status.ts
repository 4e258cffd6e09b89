// A service snapshot as plain data: what `acode status --json` prints and the TUI renders. Derived
// from the snapshot alone (plus "now"), so it needs no actor and is the same in replays.
import type { StateValue } from 'xstate';
import type { LifecycleMode, OperatingMode } from '../config/index.js';
import type { LoadProgress, SerializedError } from '../actors/index.js';
import { restartsInWindow } from './policy.js';
import { MODEL_STATES, SERVICE_STATES } from './service-types.js';
import type { ModelState, PullState, ServiceContext, ServiceState } from './service-types.js';

export interface StatusReport {
  id: string;
  state: ServiceState;
  /** The model region, only while healthy. */
  model: ModelState | null;
  /** One line about the model: its name when ready, progress while pulling, the reason when missing. */
  modelDetail: string | null;
  /** Pull progress while pulling (bytes summed over layers). */
  pull: PullState | null;
  /** While starting: what our server last logged about its download or load (vLLM, huggingface_hub). */
  load: LoadProgress | null;
  lifecycle: LifecycleMode;
  mode: OperatingMode;
  pid: number | null;
  port: number;
  baseUrl: string;
  /** Did this tool start it (so it may stop it)? */
  owned: boolean;
  uptimeMs: number | null;
  restartsInWindow: number;
  lastError: SerializedError | null;
  /** Healthy but impaired: why (a GPU vLLM uses disappeared or reports errors), else null. */
  degraded: string | null;
}

/** How a load phase reads in the status views and on stderr. */
export const LOAD_PHASE_WORD: Record<LoadProgress['phase'], string> = { download: 'downloading', load: 'loading', init: 'warming up' };

/** Is this the start's pull before the spawn (starting.proc.pulling)? */
export function isStartPulling(value: unknown): boolean {
  const starting = typeof value === 'object' && value !== null ? (value as { starting?: unknown }).starting : undefined;
  return typeof starting === 'object' && starting !== null && (starting as { proc?: unknown }).proc === 'pulling';
}

/** The contract state name of a (possibly nested) state value. */
export function topState(value: StateValue): ServiceState {
  const key = typeof value === 'string' ? value : Object.keys(value)[0];
  const found = SERVICE_STATES.find((s) => s === key);
  if (!found) throw new Error(`not a service state value: ${JSON.stringify(value)}`);
  return found;
}

/** The model region's state while healthy, and `pulling` while a start fetches its model (vLLM), else null. */
export function modelState(value: StateValue): ModelState | null {
  if (typeof value === 'string') return null;
  if (isStartPulling(value)) return 'pulling';
  if (!('healthy' in value)) return null;
  const healthy = value.healthy;
  const model = typeof healthy === 'object' ? healthy.model : undefined;
  return MODEL_STATES.find((s) => s === model) ?? null;
}

/** "healthy/ready", "starting", ...: the label replays and logs use for a state value. */
export function stateLabel(value: StateValue): string {
  // The model region only: a start's pull shows in status (modelState), the label stays `starting`.
  const model = typeof value === 'object' && 'healthy' in value ? modelState(value) : null;
  return model ? `${topState(value)}/${model}` : topState(value);
}

function modelDetail(model: ModelState | null, context: ServiceContext): string | null {
  const { pull, lastError } = context;
  if (model === 'pulling' && pull) {
    const pct = pull.total > 0 ? Math.floor((pull.completed / pull.total) * 100) : 0;
    return `${pull.status} ${pct}%`;
  }
  if (model === 'missing') return lastError ? `${lastError.message} ${lastError.hint}` : null;
  if (model === 'ready') return context.ref.provider.model ?? null;
  return null;
}

export function statusOf(snapshot: { value: StateValue; context: ServiceContext }, now: number): StatusReport {
  const { context } = snapshot;
  const { provider, mode } = context.ref;
  const state = topState(snapshot.value);
  const model = modelState(snapshot.value);
  return {
    id: provider.id,
    state,
    model,
    modelDetail: modelDetail(model, context),
    pull: model === 'pulling' ? context.pull : null,
    load: state === 'starting' ? context.load : null,
    lifecycle: provider.lifecycle.mode,
    mode,
    pid: context.pid,
    port: provider.port,
    baseUrl: provider.baseUrl,
    owned: context.owned,
    uptimeMs: state === 'healthy' && context.startedAt !== null ? Math.max(0, now - context.startedAt) : null,
    restartsInWindow: restartsInWindow(context.restarts, now, provider.lifecycle.restartWindowSeconds * 1000).length,
    lastError: context.lastError,
    degraded: state === 'healthy' ? context.gpuFault : null,
  };
}
