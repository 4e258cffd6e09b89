// A service snapshot as plain data: what `acode status --json` prints and the TUI renders (statusOf),
// and what the registry reports per provider, spawned or not, with the one-line progress phrase the
// CLI prints on stderr (providerStatus, progressLine). Derived from snapshots alone (plus "now"), so
// they need no I/O and are the same in replays.
import type { StateValue } from 'xstate';
import type { LifecycleMode, OperatingMode, ProviderConfig, ProviderKind } from '../config/index.js';
import type { LoadProgress, SerializedError } from '../actors/index.js';
import { restartsInWindow } from './policy.js';
import type { HealthView } from './selector.js';
import type { ServiceActor } from './service.js';
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
export const LOAD_PHASE_WORD: Record<LoadProgress['phase'], string> = {
  download: 'downloading',
  load: 'loading',
  init: 'warming up',
};

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

export interface ProviderStatus {
  id: string;
  kind: ProviderKind;
  baseUrl: string;
  model?: string;
  lifecycle: LifecycleMode;
  /** The service's top-level state; `unspawned` when this process has not created its actor. */
  state: HealthView;
  /** The healthy state's model region (unknown, checking, pulling, ready, missing). */
  modelState?: string;
  pid?: number | null;
  /** Whether acode started (and so may stop) the server. */
  owned?: boolean;
  pull?: PullState | null;
  /** While starting: what our server last logged about its download or load. */
  load?: LoadProgress | null;
  error?: SerializedError | null;
}

/** A provider's status from its service actor, or `unspawned` when there is none. */
export function providerStatus(provider: ProviderConfig, ref: ServiceActor | undefined): ProviderStatus {
  const base: ProviderStatus = {
    id: provider.id,
    kind: provider.kind,
    baseUrl: provider.baseUrl,
    lifecycle: provider.lifecycle.mode,
    state: 'unspawned',
    ...(provider.model !== undefined ? { model: provider.model } : {}),
  };
  if (ref === undefined) return base;
  const { value, context } = ref.getSnapshot();
  const model = modelState(value);
  return {
    ...base,
    state: topState(value),
    ...(model !== null ? { modelState: model } : {}),
    pid: context.pid,
    owned: context.owned,
    pull: context.pull,
    load: context.load,
    error: context.lastError,
  };
}

// One line per 10 % of a bar, not per redraw: the bar's name without its count, and the step it reached.
function loadPhrase(load: LoadProgress): string {
  if (load.percent === null) return `${LOAD_PHASE_WORD[load.phase]}: ${load.text}`;
  return `${LOAD_PHASE_WORD[load.phase]} ${load.text.replace(/\s\S+\/\S+$/, '')} ${Math.floor(load.percent / 10) * 10}%`;
}

function pullPhrase(status: ProviderStatus): string {
  const p = status.pull;
  const pct = p && p.total > 0 ? ` ${Math.floor((p.completed / p.total) * 100)}%` : '';
  return `${status.id}: pulling ${status.model ?? ''}${pct}`.replace(/\s+/g, ' ').trimEnd();
}

/** A one-line progress phrase for stderr (detecting, starting, pulling 43% ...), or undefined at rest. */
export function progressLine(status: ProviderStatus): string | undefined {
  const who = status.id;
  switch (status.state) {
    case 'detecting':
      return `${who}: detecting`;
    case 'starting':
      if (status.modelState === 'pulling') return pullPhrase(status);
      return status.load ? `${who}: starting, ${loadPhrase(status.load)}` : `${who}: starting`;
    case 'crashed':
      return `${who}: crashed`;
    case 'restarting':
      return `${who}: restarting`;
    case 'reloading':
      return `${who}: restarting with the edited config`;
    case 'stopping':
      return `${who}: stopping`;
    case 'healthy': {
      if (status.modelState === 'checking') return `${who}: checking model ${status.model ?? ''}`.trimEnd();
      if (status.modelState === 'pulling') return pullPhrase(status);
      if (status.modelState === 'ready') return `${who}: ready`;
      return undefined;
    }
    default:
      return undefined;
  }
}
