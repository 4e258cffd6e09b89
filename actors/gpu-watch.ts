// watchGpus: while vLLM is healthy, probe its GPUs at the health-check interval and report a change:
// GPU_FAULT when one disappears or nvidia-smi fails or reports an error, GPU_OK when that clears.
import type { ServiceRef } from './contracts.js';
import type { ActorDeps } from './deps.js';
import type { ActorEvent } from './events.js';
import { checksGpus, gpuFault } from './gpu-check.js';
import { probeGpus } from './gpu-probe.js';
import { MIN_INTERVAL_MS } from './health-poller.js';

type GpuEvent = Extract<ActorEvent, { type: 'GPU_FAULT' | 'GPU_OK' }>;

export function watchGpus(input: ServiceRef, deps: ActorDeps, sendBack: (event: GpuEvent) => void): () => void {
  const ac = new AbortController();
  let handle: unknown;
  let reported: string | null = null;
  const intervalMs = Math.max(MIN_INTERVAL_MS, input.provider.lifecycle.healthCheckIntervalSeconds * 1000);
  const schedule = () => {
    if (!ac.signal.aborted) handle = deps.clock.setTimeout(() => void tick(), intervalMs);
  };
  const tick = async () => {
    let fault: string | null;
    try {
      fault = gpuFault(
        input.provider,
        await probeGpus(deps.env, { signal: ac.signal, timeoutMs: deps.gpuProbeTimeoutMs }),
        deps.env,
      );
    } catch {
      return; // aborted: the actor is stopping
    }
    if (ac.signal.aborted) return;
    const changed = fault !== reported;
    reported = fault;
    schedule();
    // Only changes: a fault that persists is not news on every tick.
    if (changed)
      deps.log[fault === null ? 'info' : 'warn'](
        { provider: input.provider.id, fault },
        fault === null ? 'gpus fine again' : 'gpu fault',
      );
    if (changed) sendBack(fault === null ? { type: 'GPU_OK' } : { type: 'GPU_FAULT', detail: fault });
  };
  if (checksGpus(input.provider)) schedule();
  return () => {
    ac.abort();
    deps.clock.clearTimeout(handle);
  };
}
