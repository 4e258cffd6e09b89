// healthPoller: one adapter health() per tick, scheduled on the injected clock. While starting,
// "connection refused" and 503 are normal: poll fast, then slower, until the server is ready. While
// healthy, count consecutive failures and report after maxMisses.
import type { ServiceRef } from './contracts.js';
import type { ActorEvent } from './events.js';
import type { ActorDeps } from './deps.js';
import type { HealthResult } from '../adapters/index.js';

// A managed server is often up 100-300 ms after its spawn, so the first second is probed every 50 ms (a
// refused connect on loopback costs next to nothing); a doubling schedule there left gaps of 100-200 ms
// right where servers come up (recover: 390 ms instead of 185 ms whenever the boot missed a probe).
// After that, doubling up to 1 s for the servers that load a model for minutes.
const STARTING_FIRST_DELAY_MS = 50;
const STARTING_FAST_PHASE_MS = 1_000;
const STARTING_MAX_DELAY_MS = 1_000;
export const MIN_INTERVAL_MS = 50;

type PollerEvent = Extract<ActorEvent, { type: 'PROBE_OK' | 'PROBE_LOADING' | 'PROBE_FAILED' }>;

export interface HealthPollerInput extends ServiceRef {
  phase: 'starting' | 'healthy';
  maxMisses: number;
}

export function healthPoller(
  input: HealthPollerInput,
  deps: ActorDeps,
  sendBack: (event: PollerEvent) => void,
): () => void {
  const ac = new AbortController();
  const adapter = deps.createAdapter(input.provider, { mode: input.mode });
  let handle: unknown;
  let misses = 0;
  let delay = STARTING_FIRST_DELAY_MS;
  let startingFor = 0;
  let lastSent: PollerEvent['type'] | undefined;
  let lastStatus: HealthResult['status'] | undefined;
  const log = deps.log.child({ provider: input.provider.id, phase: input.phase });
  // A floor, so a zero or tiny interval from config cannot turn the poller into a busy loop.
  const intervalMs = Math.max(MIN_INTERVAL_MS, input.provider.lifecycle.healthCheckIntervalSeconds * 1000);

  const schedule = (ms: number): void => {
    if (!ac.signal.aborted) handle = deps.clock.setTimeout(() => void tick(), ms);
  };
  const probe = async (): Promise<HealthResult> => {
    try {
      return await adapter.health({ signal: ac.signal });
    } catch (error) {
      // health() promises not to throw; if it does, it is a failed probe, not a crash of the poller.
      return { ok: false, status: 'error', detail: error instanceof Error ? error.message : String(error) };
    }
  };

  const tick = async (): Promise<void> => {
    const result = await probe();
    if (ac.signal.aborted) return;
    // Every probe would be a line every 50 ms while starting: only changes are logged.
    if (result.status !== lastStatus) log.debug({ status: result.status, detail: result.detail }, 'probe');
    lastStatus = result.status;
    if (input.phase === 'starting') {
      if (result.status === 'ready') {
        log.info({ port: input.provider.port }, 'server ready');
        sendBack({ type: 'PROBE_OK' });
        return;
      }
      // Send LOADING once per stretch of loading, not on every tick.
      if (result.status === 'starting' && lastSent !== 'PROBE_LOADING') {
        lastSent = 'PROBE_LOADING';
        sendBack({ type: 'PROBE_LOADING' });
      } else if (result.status !== 'starting') {
        lastSent = undefined;
      }
      schedule(delay);
      startingFor += delay;
      if (startingFor >= STARTING_FAST_PHASE_MS) delay = Math.min(delay * 2, STARTING_MAX_DELAY_MS);
      return;
    }
    // A server that answers "loading" is up: not a miss (a model reload is not a crash).
    if (result.status === 'ready' || result.status === 'starting') {
      misses = 0;
    } else {
      misses += 1;
      log.debug({ misses, maxMisses: input.maxMisses, detail: result.detail ?? result.status }, 'probe missed');
      if (misses >= input.maxMisses) {
        log.warn({ misses, detail: result.detail ?? result.status }, 'server stopped answering');
        sendBack({ type: 'PROBE_FAILED', misses, detail: result.detail ?? result.status });
        return;
      }
    }
    schedule(intervalMs);
  };

  if (input.phase === 'starting') void tick();
  else schedule(intervalMs);

  return () => {
    ac.abort();
    deps.clock.clearTimeout(handle);
    void adapter.close().catch(() => undefined);
  };
}
