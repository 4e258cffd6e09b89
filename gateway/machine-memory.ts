// The machine's side of swapping by memory: a provider's need (memory-need.ts) with the GPUs the probe
// sees, and what is free on a device: MemAvailable for RAM (the kernel already counts our servers), the
// visible GPUs' free memory for GPU, less what our running servers hold when the probe does not list
// their processes (nvidia-smi without process accounting, rocm-smi, a stand-in).
import type { ModelInfo } from '../adapters/index.js';
import { availableRamBytes, pgrpOf, probeGpus, visibleGpus, type GpuInfo } from '../actors/index.js';
import type { ProviderConfig } from '../config/index.js';
import { memoryNeed } from './memory-need.js';
import type { MemoryProbe } from './residency.js';

export interface MemorySources {
  env: NodeJS.ProcessEnv;
  /** Default /proc/meminfo. */
  meminfoPath?: string;
}

const MIB = 1024 * 1024;

export function machineMemory(
  sources: MemorySources,
  provider: (id: string) => ProviderConfig | undefined,
  listed: (id: string) => ModelInfo[],
): MemoryProbe {
  const { env } = sources;
  const gpus = async (signal: AbortSignal) => {
    const probe = await probeGpus(env, { signal });
    return probe.kind === 'ok'
      ? { gpus: visibleGpus(probe.gpus, env.CUDA_VISIBLE_DEVICES), processes: probe.processes }
      : { gpus: [] as GpuInfo[], processes: [] };
  };
  return {
    async need(id, signal) {
      const p = provider(id);
      return p ? memoryNeed(p, (await gpus(signal)).gpus, env, listed(id)) : undefined;
    },
    async free(device, running, signal) {
      if (device === 'ram') return availableRamBytes(sources.meminfoPath);
      const seen = await gpus(signal);
      if (seen.gpus.length === 0) return undefined;
      const free = seen.gpus.reduce((sum, g) => sum + ((g.memoryTotalMiB ?? 0) - (g.memoryUsedMiB ?? 0)) * MIB, 0);
      // A server of ours leads its own process group: a GPU process in it is the server's (vLLM's engine core).
      const listedGroups = new Set(await Promise.all(seen.processes.map((p) => pgrpOf(p.pid))));
      let unlisted = 0;
      for (const [pid, bytes] of running) if (!listedGroups.has(pid)) unlisted += bytes;
      return Math.max(0, free - unlisted);
    },
  };
}
