// What the registry reports per provider: the service machine's contract state read off its snapshot,
// plus the facts the CLI prints (pid, model region, pull progress, last error).
import type { AnyActorRef } from 'xstate';
import type { LifecycleMode, ProviderConfig, ProviderKind } from '../config/index.js';
import type { LoadProgress, SerializedError } from '../actors/index.js';
import type { HealthView } from './selector.js';
import { isStartPulling, LOAD_PHASE_WORD } from './status.js';

export interface PullView {
  status: string;
  completed: number;
  total: number;
  bytesPerSecond: number;
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
  pull?: PullView | null;
  /** While starting: what our server last logged about its download or load. */
  load?: LoadProgress | null;
  error?: SerializedError | null;
}

interface ServiceSnapshotLike {
  value: unknown;
  context?: { pid?: number | null; owned?: boolean; pull?: PullView | null; load?: LoadProgress | null; lastError?: SerializedError | null };
}

/** The top-level state name and, when healthy, the model region of a snapshot value. */
export function stateOf(value: unknown): { state: HealthView; modelState?: string } {
  if (typeof value === 'string') return { state: value as HealthView };
  if (typeof value === 'object' && value !== null) {
    const [top] = Object.keys(value);
    const inner = (value as Record<string, unknown>)[top ?? ''];
    const model = isStartPulling(value) ? 'pulling'
      : typeof inner === 'object' && inner !== null ? (inner as Record<string, unknown>).model : undefined;
    return { state: (top ?? 'stopped') as HealthView, ...(typeof model === 'string' ? { modelState: model } : {}) };
  }
  return { state: 'stopped' };
}

/** A provider's status from its service actor, or `unspawned` when there is none. */
export function providerStatus(provider: ProviderConfig, ref: AnyActorRef | undefined): ProviderStatus {
  const base: ProviderStatus = {
    id: provider.id, kind: provider.kind, baseUrl: provider.baseUrl, lifecycle: provider.lifecycle.mode, state: 'unspawned',
    ...(provider.model !== undefined ? { model: provider.model } : {}),
  };
  if (ref === undefined) return base;
  const snap = ref.getSnapshot() as ServiceSnapshotLike;
  const ctx = snap.context ?? {};
  return {
    ...base,
    ...stateOf(snap.value),
    pid: ctx.pid ?? null,
    owned: ctx.owned ?? false,
    pull: ctx.pull ?? null,
    load: ctx.load ?? null,
    error: ctx.lastError ?? null,
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
    case 'detecting': return `${who}: detecting`;
    case 'starting':
      if (status.modelState === 'pulling') return pullPhrase(status);
      return status.load ? `${who}: starting, ${loadPhrase(status.load)}` : `${who}: starting`;
    case 'crashed': return `${who}: crashed`;
    case 'restarting': return `${who}: restarting`;
    case 'reloading': return `${who}: restarting with the edited config`;
    case 'stopping': return `${who}: stopping`;
    case 'healthy': {
      if (status.modelState === 'checking') return `${who}: checking model ${status.model ?? ''}`.trimEnd();
      if (status.modelState === 'pulling') return pullPhrase(status);
      if (status.modelState === 'ready') return `${who}: ready`;
      return undefined;
    }
    default: return undefined;
  }
}
