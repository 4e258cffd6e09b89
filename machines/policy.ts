// The rules, in one place: what a lifecycle mode lets us do to a process, what an operating mode lets
// us do at all, and how restarts are rationed. Pure functions of plain data, so the service machine's
// guards, the registry and the tests share them.
import { isLoopbackHost } from '../adapters/index.js';
import {
  AcodeError,
  type AcodeErrorCode,
  type LifecycleMode,
  type OperatingMode,
  type ProviderConfig,
} from '../config/index.js';
import type { BackoffOptions } from './service-types.js';
import { DEFAULT_BACKOFF } from './service-types.js';

// --- lifecycle mode -------------------------------------------------------------------------------

/** Only `managed` services are ever spawned by us. */
export function lifecycleMaySpawn(mode: LifecycleMode): boolean {
  return mode === 'managed';
}

/** Only `managed` services are ever signalled by us (and then only a process we own). */
export function lifecycleMayStop(mode: LifecycleMode): boolean {
  return mode === 'managed';
}

/** `external` services are assumed up and probed only when a request fails. */
export function lifecycleAssumesUp(mode: LifecycleMode): boolean {
  return mode === 'external';
}

/** `monitored` services are watched by a periodic poll while they are down (systemd owns them). */
export function lifecyclePollsWhileDown(mode: LifecycleMode): boolean {
  return mode === 'monitored';
}

// --- operating mode -------------------------------------------------------------------------------

// Config objects are replaced, never mutated, on a reload: the parsed host can be kept per object
// (the selector asks for it on every request).
const hosts = new WeakMap<ProviderConfig, string>();

/** The host a client connects to: base_url's, else the host setting. */
export function connectHost(provider: ProviderConfig): string {
  let host = hosts.get(provider);
  if (host === undefined) {
    try {
      host = new URL(provider.baseUrl).hostname;
    } catch {
      host = provider.host;
    }
    hosts.set(provider, host);
  }
  return host;
}

/** Airgapped mode never starts a server: starting one is the user's (or systemd's) decision there. */
export function modeAllowsStart(mode: OperatingMode): boolean {
  return mode !== 'airgapped';
}

/** Airgapped mode never downloads a model. */
export function modeAllowsPull(mode: OperatingMode): boolean {
  return mode !== 'airgapped';
}

/** local-only and airgapped admit loopback providers only; burst admits remote ones too. */
export function modeAllowsProvider(mode: OperatingMode, provider: ProviderConfig): boolean {
  return mode === 'burst' || isLoopbackHost(connectHost(provider));
}

export interface ModeRefusal {
  code: AcodeErrorCode;
  reason: string;
}

/**
 * Why `mode` forbids asking this provider, or undefined when it may be asked (the registry's "may it
 * be asked at all"; the service machine's guards decide whether it may be started or pulled).
 * local-only and airgapped admit loopback providers only (airgapped also refuses at the transport).
 */
export function modeRefusal(mode: OperatingMode, provider: ProviderConfig, localOnly = false): ModeRefusal | undefined {
  const host = connectHost(provider);
  if (isLoopbackHost(host) || (modeAllowsProvider(mode, provider) && !localOnly)) return undefined;
  if (mode === 'airgapped') {
    return {
      code: 'AIRGAP_VIOLATION',
      reason: `${provider.id} is at ${host}, and airgapped mode allows loopback only`,
    };
  }
  const why =
    localOnly && mode === 'burst'
      ? 'the request asks for local providers only'
      : `${mode} mode allows loopback providers only`;
  return { code: 'MODE_FORBIDDEN', reason: `${provider.id} is at ${host}, and ${why}` };
}

/** The refusal as the error `ask` and `config validate` show, or undefined when the provider may be asked. */
export function modeRefusalError(mode: OperatingMode, provider: ProviderConfig): AcodeError | undefined {
  const refusal = modeRefusal(mode, provider);
  if (!refusal) return undefined;
  return new AcodeError(
    refusal.code,
    `${refusal.reason}.`,
    'Use a provider on 127.0.0.1, or change mode: in .agent/config.yml.',
    { details: { provider: provider.id, mode } },
  );
}

/** May this service be spawned by us: a managed lifecycle in a mode that allows starting servers. */
export function mayStart(lifecycle: LifecycleMode, mode: OperatingMode): boolean {
  return lifecycleMaySpawn(lifecycle) && modeAllowsStart(mode);
}

/** May a missing model be pulled: only Ollama pulls, and never in airgapped mode. */
export function mayPull(provider: ProviderConfig, mode: OperatingMode): boolean {
  return provider.type === 'ollama' && modeAllowsPull(mode);
}

/** Does a server's launch decide which model it serves (vLLM, llama-server)? Ollama pulls instead. */
export function launchPicksModel(provider: ProviderConfig): boolean {
  return provider.kind === 'vllm' || provider.kind === 'llamacpp';
}

// --- restarts -------------------------------------------------------------------------------------

/** The restart times that still count: those within the last `windowMs`. */
export function restartsInWindow(restarts: readonly number[], now: number, windowMs: number): number[] {
  return restarts.filter((t) => now - t < windowMs);
}

/** A restart is allowed while fewer than `maxRestarts` happened within the window. */
export function hasRestartBudget(
  restarts: readonly number[],
  now: number,
  maxRestarts: number,
  windowMs: number,
): boolean {
  return restartsInWindow(restarts, now, windowMs).length < maxRestarts;
}

/**
 * Exponential backoff with "equal jitter": half of base·2^attempt (capped) is fixed, the other half is
 * scaled by `random()`, so consecutive restarts spread out but never come back-to-back.
 */
export function backoffMs(attempt: number, random: () => number, options: BackoffOptions = DEFAULT_BACKOFF): number {
  const exp = Math.min(options.capMs, options.baseMs * 2 ** Math.max(0, attempt));
  const r = Math.min(1, Math.max(0, random()));
  return Math.round(exp / 2 + (exp / 2) * r);
}

/**
 * The wait before a restart, given how many restarts the window holds counting this one. The first
 * restart in a window is immediate: a lone crash (an OOM kill, a stray kill -9) is not a loop, and the
 * editor is waiting. From the second one on, backoff applies (attempt 0 for the second), so a crash
 * loop still spreads out until the budget runs out.
 */
export function restartDelayMs(
  restartsSoFar: number,
  random: () => number,
  options: BackoffOptions = DEFAULT_BACKOFF,
): number {
  return restartsSoFar <= 1 ? 0 : backoffMs(restartsSoFar - 2, random, options);
}

// --- failures -------------------------------------------------------------------------------------

/**
 * Failures that ENSURE does not retry: each retry would cost a full server start (or loop a crashing
 * one), so they wait for an explicit RETRY or START. Anything else (port taken, binary missing, lock
 * timeout ...) is re-detected on the next ENSURE, because the user may have fixed it meanwhile.
 */
const STICKY_FAILURES: ReadonlySet<string> = new Set([
  'CRASH_LOOP',
  'START_FAILED',
  'START_TIMEOUT',
  'MODEL_LOAD_TIMEOUT',
  'AIRGAP_VIOLATION',
  'MODE_FORBIDDEN',
]);

/** Does ENSURE (a request needing the service) retry a service that failed with this code? */
export function ensureRetries(code: string | undefined): boolean {
  return code === undefined || !STICKY_FAILURES.has(code);
}

/**
 * Does a config change alter what a server was launched with (binary, argv, model, address, GPU
 * flags)? Lifecycle timings, request timeouts and whether GPUs are checked are read live and never
 * need a restart.
 */
export function launchChanged(before: ProviderConfig, after: ProviderConfig): boolean {
  const launch = ({ lifecycle: _l, timeouts: _t, gpu: { required: _r, ...gpu }, ...rest }: ProviderConfig) =>
    JSON.stringify({ ...rest, gpu });
  return launch(before) !== launch(after);
}
