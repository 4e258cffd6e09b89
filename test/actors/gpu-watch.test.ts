// watchGpus: while vLLM is healthy, the GPU probe (the nvidia-smi stand-in, a real process) runs at the
// health-check interval on the injected clock, and reports a fault when it appears, changes or clears
// (the next probe is scheduled before the report, so each `next()` below fires exactly one probe).
import { SimulatedClock } from 'xstate';
import { afterEach, describe, expect, it } from 'vitest';
import { resolveDeps } from '../../actors/index.js';
import { watchGpus } from '../../actors/gpu-watch.js';
import { KNOB_ENV } from '../servers/lib/knobs.js';
import { requireBuiltServers, serviceRef, testEnv } from './helpers.js';
import type { AnyEventObject } from 'xstate';
import { providerConfig } from '../support/providers.js';

const stops: Array<() => void> = [];
afterEach(() => stops.splice(0).forEach((stop) => stop()));

function watch(env: NodeJS.ProcessEnv) {
  const clock = new SimulatedClock();
  const events: AnyEventObject[] = [];
  let notify: (() => void) | undefined;
  const ref = serviceRef(
    providerConfig('vllm', 8000, {
      lifecycle: { ...providerConfig('vllm', 8000).lifecycle, healthCheckIntervalSeconds: 60 },
    }),
    '/nonexistent',
  );
  stops.push(
    watchGpus(ref, resolveDeps({ clock, env }), (e) => {
      events.push(e);
      notify?.();
    }),
  );
  const next = (): Promise<AnyEventObject> =>
    new Promise((resolve) => {
      const seen = events.length;
      notify = () => {
        if (events.length > seen) resolve(events[events.length - 1]!);
      };
      clock.increment(60_000);
    });
  return { next, events };
}

describe('watchGpus against the nvidia-smi stand-in', () => {
  requireBuiltServers();

  it('reports a failing driver, its recovery, then a lost GPU, one event per change', async () => {
    const env = testEnv({ [KNOB_ENV.gpuFail]: 'exit' });
    const w = watch(env);
    expect(await w.next()).toEqual({
      type: 'GPU_FAULT',
      detail: 'nvidia-smi exited with code 18: Failed to initialize NVML: Driver/library version mismatch',
    });
    env[KNOB_ENV.gpuFail] = 'none';
    expect(await w.next()).toEqual({ type: 'GPU_OK' });
    env[KNOB_ENV.gpuFail] = 'lost';
    env[KNOB_ENV.gpuCount] = '2';
    expect(await w.next()).toEqual({
      type: 'GPU_FAULT',
      detail: 'nvidia-smi reports: Unable to determine the device handle for GPU00000000:1B:00.0: Unknown Error',
    });
    expect(w.events).toHaveLength(3);
  }, 30_000);

  it('a GPU hidden by CUDA_VISIBLE_DEVICES after the start counts as gone', async () => {
    const env = testEnv({ [KNOB_ENV.gpuFail]: 'exit' });
    const w = watch(env);
    await w.next();
    env[KNOB_ENV.gpuFail] = 'none';
    env.CUDA_VISIBLE_DEVICES = '3';
    expect(await w.next()).toEqual({ type: 'GPU_FAULT', detail: '1 of its 1 GPU no longer visible' });
  }, 30_000);
});
