// Which provider answers a request: a pure ranking over configuration, capabilities, the operating
// mode and what the service actors report, so the whole decision is testable without an actor.
import type { AcodeConfig, AcodeErrorCode, ProviderConfig } from '../config/index.js';
import type { Capabilities } from '../adapters/index.js';
import { modeRefusal } from './policy.js';

/** What a caller needs from a provider. Unset means "don't care". */
export interface Requirements {
  tools?: boolean;
  structuredOutput?: boolean;
  streaming?: boolean;
  /** Tokens the request needs; a provider whose known context is smaller is refused. */
  minContext?: number;
  /** Loopback providers only, whatever the operating mode allows. */
  localOnly?: boolean;
}

/**
 * The service's top-level state as the registry sees it. `unspawned` = no actor yet in this process.
 * The other names are the service machine's contract states.
 */
export type HealthView =
  | 'unspawned'
  | 'stopped'
  | 'detecting'
  | 'starting'
  | 'healthy'
  | 'crashed'
  | 'restarting'
  | 'reloading'
  | 'stopping'
  | 'failed'
  | 'unavailable';

export interface SelectionInput {
  config: AcodeConfig;
  requirements?: Requirements;
  /** Tried first when allowed (an explicit --provider, else providers.active). */
  preferred?: string;
  /** Current state per provider id; missing = unspawned. */
  health?: Record<string, HealthView | undefined>;
  /** Capabilities per provider id where an adapter exists (static per kind before it answered). */
  capabilities?: Record<string, Capabilities | undefined>;
  /** Providers already tried in this request, in order; they are not offered again. */
  exclude?: readonly string[];
  /** Consider every configured provider, not only the preferred one and the fallback list. */
  anyConfigured?: boolean;
}

export interface Refusal {
  id: string;
  code: AcodeErrorCode;
  reason: string;
}

export interface Selection {
  /** Allowed candidates, best first. */
  order: string[];
  /** Candidates ruled out, with the reason (mode, capability, failed). */
  refused: Refusal[];
}

// A failed service waits for the user; unavailable may come back; all else is worth a try.
const HEALTH_TIER: Record<HealthView, number> = {
  healthy: 0,
  unspawned: 1,
  stopped: 1,
  detecting: 1,
  starting: 1,
  crashed: 1,
  restarting: 1,
  reloading: 1,
  stopping: 2,
  unavailable: 2,
  failed: 3,
};

function candidateIds(input: SelectionInput): string[] {
  const { config } = input;
  const ids: string[] = [];
  const push = (id: string | undefined): void => {
    if (id !== undefined && config.providers[id] !== undefined && !ids.includes(id)) ids.push(id);
  };
  push(input.preferred ?? config.active);
  for (const id of config.fallback) push(id);
  if (input.anyConfigured) for (const id of Object.keys(config.providers)) push(id);
  return ids;
}

/** Why a provider cannot serve these requirements, or undefined when it can (or might: unknown context). */
export function capabilityRefusal(id: string, req: Requirements, caps: Capabilities | undefined): Refusal | undefined {
  if (caps === undefined) return undefined;
  const missing: string[] = [];
  // Only what the server said it lacks refuses; unknown may still work and is tried after known fits.
  if (req.tools && caps.tools === false) missing.push('tool calls');
  if (req.structuredOutput && caps.structuredOutput === false) missing.push('structured output');
  if (req.streaming && !caps.streaming) missing.push('streaming');
  if (req.minContext !== undefined && caps.maxContext !== undefined && caps.maxContext < req.minContext) {
    missing.push(`a context of ${req.minContext} tokens (it has ${caps.maxContext})`);
  }
  if (missing.length === 0) return undefined;
  return { id, code: 'MODE_FORBIDDEN', reason: `${id} does not support ${missing.join(', ')}` };
}

// A provider not known to fit (context, tools, structured output unknown) ranks after one known to.
function capabilityScore(req: Requirements, caps: Capabilities | undefined): number {
  const unknown = [
    req.minContext !== undefined && caps?.maxContext === undefined,
    req.tools === true && caps?.tools === undefined,
    req.structuredOutput === true && caps?.structuredOutput === undefined,
  ];
  return unknown.some(Boolean) ? 1 : 0;
}

/** Ranks the candidates for a request: preferred first, then by health, capability fit and fallback order. */
export function selectProviders(input: SelectionInput): Selection {
  const req = input.requirements ?? {};
  const refused: Refusal[] = [];
  const ranked: { id: string; key: number[] }[] = [];
  const ids = candidateIds(input);
  ids.forEach((id, index) => {
    if (input.exclude?.includes(id)) return;
    const provider = input.config.providers[id] as ProviderConfig;
    const mode = modeRefusal(input.config.mode, provider, req.localOnly === true);
    if (mode) return void refused.push({ id, code: mode.code, reason: mode.reason });
    const cap = capabilityRefusal(id, req, input.capabilities?.[id]);
    if (cap) return void refused.push(cap);
    const health = input.health?.[id] ?? 'unspawned';
    if (health === 'failed') {
      return void refused.push({
        id,
        code: 'PROVIDER_UNAVAILABLE',
        reason: `${id} has failed and waits for you to act`,
      });
    }
    const preferred = id === (input.preferred ?? input.config.active) ? 0 : 1;
    ranked.push({ id, key: [preferred, HEALTH_TIER[health], capabilityScore(req, input.capabilities?.[id]), index] });
  });
  ranked.sort((a, b) => compareKeys(a.key, b.key));
  return { order: ranked.map((r) => r.id), refused };
}

function compareKeys(a: number[], b: number[]): number {
  for (let i = 0; i < a.length; i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}
